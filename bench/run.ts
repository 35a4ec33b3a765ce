/**
 * `npm run bench -- <name> [options]`: runs one reproducible benchmark. Benchmarks print what they measured,
 * ending with one JSON line, and are never used as tests.
 */
const benchmarks: Readonly<
  Record<string, () => Promise<{ main(argv: readonly string[]): void | Promise<void> }>>
> = {
  "blast-radius": () => import("./blast-radius/index.ts"),
  business: () => import("./business/index.ts"),
  chaos: () => import("./chaos/index.ts"),
  "control-plane": () => import("./control-plane/index.ts"),
  "rollback-latency": () => import("./rollback-latency/index.ts"),
};

const [name, ...rest] = process.argv.slice(2);
const load = name === undefined ? undefined : benchmarks[name];
if (load === undefined) {
  console.error(`usage: npm run bench -- <${Object.keys(benchmarks).join("|")}> [options]`);
  process.exit(2);
}
try {
  await (await load()).main(rest);
} catch (error) {
  if (error instanceof TypeError || error instanceof RangeError) {
    console.error(`error: ${error.message}`);
    process.exit(2);
  }
  throw error;
}
