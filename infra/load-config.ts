import { readFile } from "node:fs/promises";
import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigInvalidError, type GlidepathConfig, parseConfig } from "../functions/domain/config/index.ts";

/**
 * Reads a config file — JSON, or a TypeScript/JavaScript module whose default export is the config — and
 * validates it. Every failure is a `ConfigInvalidError` naming the file, so callers report one kind of error.
 * It sits in infra, below the CLI, because the CDK app reads the same files (`cdk synth -c config=<path>`).
 */
export async function loadConfig(file: string): Promise<GlidepathConfig> {
  return parseConfig(await loadConfigInput(file), file);
}

/** The unvalidated config input of a file: a JSON document, or a module's default export. */
export async function loadConfigInput(file: string): Promise<unknown> {
  const path = resolve(file);
  const extension = extname(path);
  if (extension === ".json") {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      throw unreadable(file, error);
    }
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new ConfigInvalidError(
        [{ path: "(file)", message: `not valid JSON: ${(error as Error).message}` }],
        file,
      );
    }
  }
  if ([".ts", ".mts", ".js", ".mjs"].includes(extension)) {
    let module: { default?: unknown };
    try {
      module = await import(pathToFileURL(path).href);
    } catch (error) {
      throw unreadable(file, error);
    }
    if (module.default === undefined) {
      throw new ConfigInvalidError(
        [{ path: "(file)", message: "has no default export: `export default defineConfig({...})`" }],
        file,
      );
    }
    return module.default;
  }
  throw new ConfigInvalidError(
    [{ path: "(file)", message: `unsupported extension '${extension}': use .json, .ts, .mts, .js or .mjs` }],
    file,
  );
}

function unreadable(file: string, error: unknown): ConfigInvalidError {
  const code = (error as NodeJS.ErrnoException).code;
  const message =
    code === "ENOENT" || code === "ERR_MODULE_NOT_FOUND" ? "no such file" : (error as Error).message;
  return new ConfigInvalidError([{ path: "(file)", message: `cannot be read: ${message}` }], file);
}
