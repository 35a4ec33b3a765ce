import { defineConfig } from "vitest/config";

const major = Number(process.versions.node.split(".")[0]);
if (major < 24) {
  throw new Error(
    `Glidepath's tests need Node >= 24 but this is Node ${process.versions.node}. ` +
      "Run them through npm (`npm test`), which puts the project's Node 24 (the `node` devDependency) first on PATH.",
  );
}

export default defineConfig({
  test: {
    pool: "forks",
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    // Handlers log through Powertools; tests that check what is logged capture it themselves.
    env: { POWERTOOLS_LOG_LEVEL: "SILENT" },
    hookTimeout: 60_000,
  },
});
