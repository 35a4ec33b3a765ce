import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { stopProcess } from "../functions/adapters/local/stop-process.ts";

/** What one invocation of a code answered: the handler's result, or the function error Lambda reports. */
export type CodeOutcome =
  | { readonly result: unknown }
  | { readonly error: { readonly errorType: string; readonly errorMessage: string } };

/** One code of a function, running in its own process (lambda-runtime.ts). */
export interface CodeProcess {
  /** Resolves once the handler module loaded and the process listens; rejects with its init error. */
  readonly started: Promise<void>;
  readonly pid: number | undefined;
  invoke(event: string, version: string, timeoutMs: number): Promise<CodeOutcome>;
  /** Stops the process; safe to call twice. */
  stop(): Promise<void>;
}

const runtime = fileURLToPath(new URL("./lambda-runtime.ts", import.meta.url));

/** Starts a process of `handler`, with the project's Node and the code's environment on top of this one's. */
export function startCodeProcess(props: {
  readonly handler: string;
  readonly environment: Readonly<Record<string, string>>;
  /** Milliseconds the module may take to load. @default 10000 */
  readonly initTimeoutMs?: number;
}): CodeProcess {
  const child = spawn(process.execPath, [runtime, props.handler], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...props.environment },
  });
  let url: string | undefined;
  let initError: string | undefined;
  const started = listening(child, props.initTimeoutMs ?? 10_000).then(
    (port) => {
      url = `http://127.0.0.1:${port}`;
    },
    (error: Error) => {
      initError = error.message;
      child.kill("SIGKILL");
      throw error;
    },
  );
  // Seen through `invoke` and `settled`; never an unhandled rejection.
  started.catch(() => undefined);
  const exited = () => child.exitCode !== null || child.signalCode !== null;

  return {
    started,
    get pid() {
      return exited() ? undefined : child.pid;
    },
    async invoke(event, version, timeoutMs) {
      await started.catch(() => undefined);
      if (url === undefined || exited()) {
        return {
          error: {
            errorType: "Runtime.ExitError",
            errorMessage: `Runtime exited before the invocation: ${initError ?? "the process is gone"}`,
          },
        };
      }
      try {
        const response = await fetch(`${url}/invoke`, {
          method: "POST",
          body: event,
          headers: { "content-type": "application/json", "x-glidepath-version": version },
          signal: AbortSignal.timeout(timeoutMs),
        });
        return (await response.json()) as CodeOutcome;
      } catch (error) {
        const timedOut = (error as Error).name === "TimeoutError";
        return {
          error: timedOut
            ? {
                errorType: "Sandbox.Timedout",
                errorMessage: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
              }
            : { errorType: "Runtime.ExitError", errorMessage: `Runtime exited: ${(error as Error).message}` },
        };
      }
    },
    stop: () => stopProcess(child),
  };
}

/** The port the runtime prints once it listens; the init error (its stderr) when it exits first. */
function listening(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    const lines = createInterface({ input: child.stdout as NonNullable<ChildProcess["stdout"]> });
    const timer = setTimeout(() => {
      lines.close();
      reject(new Error(`the handler module did not load within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(stderr.trim() || `the runtime exited with code ${code} before it listened`));
    });
    lines.on("line", (line) => {
      try {
        const event = JSON.parse(line) as { event?: string; port?: number };
        if (event.event === "listening" && typeof event.port === "number") {
          clearTimeout(timer);
          resolve(event.port);
        }
      } catch {
        // The handler's own output.
      }
    });
  });
}
