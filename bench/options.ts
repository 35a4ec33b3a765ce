/** A benchmark option that must be a whole number in a range; a RangeError (bench/run.ts exits 2) otherwise. */
export function wholeNumber(value: string | undefined, name: string, min: number, max: number): number {
  const parsed = Number(value);
  if (!(Number.isInteger(parsed) && parsed >= min && parsed <= max))
    throw new RangeError(`${name} must be a whole number from ${min} to ${max}, not ${value}`);
  return parsed;
}
