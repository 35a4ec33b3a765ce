/**
 * Seeded randomness for the simulation: mulberry32 for uniforms, and Poisson and binomial draws by inversion,
 * so that one uniform decides one count. Inversion is what lets every rollout policy see the same traffic: the
 * same uniform gives the same Poisson arrivals, and monotonically coupled splits and error counts at different
 * weights.
 */

/** A uniform in [0, 1). */
export type Uniform = () => number;

/** mulberry32: 32 bits of state and fast; a stream per seed is far shorter than its period. */
export function mulberry32(seed: number): Uniform {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Mixes several integers into one 32-bit seed (splitmix32's finaliser), so that nearby seeds are unrelated. */
export function seedOf(...parts: readonly number[]): number {
  let hash = 0x9e3779b9;
  for (const part of parts) {
    hash = Math.imul(hash ^ (part | 0), 0x85ebca6b);
    hash ^= hash >>> 13;
    hash = Math.imul(hash, 0xc2b2ae35);
    hash ^= hash >>> 16;
  }
  return hash >>> 0;
}

/** The Poisson distribution of one mean, tabulated once so that a draw is a binary search. */
export class PoissonTable {
  readonly mean: number;
  readonly #first: number;
  readonly #cdf: Float64Array;

  constructor(mean: number) {
    if (!(mean >= 0) || !Number.isFinite(mean))
      throw new RangeError(`a Poisson mean must be finite and ≥ 0, got ${mean}`);
    this.mean = mean;
    // Far enough into both tails that the mass left out is below double precision.
    const spread = 14 * Math.sqrt(mean) + 20;
    this.#first = Math.max(0, Math.floor(mean - spread));
    const last = Math.ceil(mean + spread);
    const pmf = new Float64Array(last - this.#first + 1);
    let total = 0;
    for (let k = this.#first; k <= last; k++) {
      const value = mean === 0 ? (k === 0 ? 1 : 0) : Math.exp(k * Math.log(mean) - mean - logFactorial(k));
      pmf[k - this.#first] = value;
      total += value;
    }
    this.#cdf = new Float64Array(pmf.length);
    let running = 0;
    for (let index = 0; index < pmf.length; index++) {
      running += (pmf[index] ?? 0) / total;
      this.#cdf[index] = running;
    }
  }

  /** The smallest k whose cumulative probability reaches u. */
  draw(u: number): number {
    let low = 0;
    let high = this.#cdf.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.#cdf[middle] ?? 1) < u) low = middle + 1;
      else high = middle;
    }
    return this.#first + low;
  }
}

/** A Binomial(n, p) draw by inversion of one uniform: the smallest k whose cumulative probability reaches u. */
export function binomialInverse(u: number, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  const ratio = p / (1 - p);
  const start = (1 - p) ** n;
  if (start > 1e-280) {
    let k = 0;
    let pmf = start;
    let cdf = pmf;
    while (u > cdf && k < n) {
      pmf *= ((n - k) / (k + 1)) * ratio;
      k += 1;
      cdf += pmf;
    }
    return k;
  }
  // (1 − p)^n underflows for large n: start from the mode instead, where the mass is.
  const mode = Math.min(n, Math.floor((n + 1) * p));
  const logPmf = (k: number) =>
    logFactorial(n) - logFactorial(k) - logFactorial(n - k) + k * Math.log(p) + (n - k) * Math.log1p(-p);
  const atMode = Math.exp(logPmf(mode));
  let below = 0;
  let pmf = atMode;
  for (let k = mode; k > 0 && pmf > 1e-300; k--) {
    pmf *= k / ((n - k + 1) * ratio);
    below += pmf;
  }
  let cdf = below + atMode;
  if (u <= cdf) {
    let k = mode;
    pmf = atMode;
    cdf -= atMode;
    while (k > 0 && u <= cdf) {
      pmf *= k / ((n - k + 1) * ratio);
      k -= 1;
      cdf -= pmf;
    }
    return k;
  }
  let k = mode;
  pmf = atMode;
  while (u > cdf && k < n) {
    pmf *= ((n - k) / (k + 1)) * ratio;
    k += 1;
    cdf += pmf;
  }
  return k;
}

const logFactorials: number[] = [0];

/** ln(k!), exact by summation up to 1024 and by Stirling's series beyond. */
export function logFactorial(k: number): number {
  if (k < 1024) {
    for (let index = logFactorials.length; index <= k; index++) {
      logFactorials.push((logFactorials[index - 1] ?? 0) + Math.log(index));
    }
    return logFactorials[k] ?? 0;
  }
  const x = k + 1;
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x ** 3);
}
