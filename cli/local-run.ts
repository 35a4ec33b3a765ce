import { readFileSync } from "node:fs";
import { type LocalRunState, localStateFile } from "../local/callback-server.ts";

/**
 * The local deployment running on this machine (`npm start`), as its state file says: undefined when none
 * runs (no file, or its process is gone).
 */
export function readLocalRun(stateFile = localStateFile): LocalRunState | undefined {
  let state: Partial<LocalRunState>;
  try {
    state = JSON.parse(readFileSync(stateFile, "utf8"));
  } catch {
    return undefined;
  }
  if (
    typeof state.url !== "string" ||
    typeof state.token !== "string" ||
    typeof state.pid !== "number" ||
    !alive(state.pid)
  )
    return undefined;
  return state as LocalRunState;
}

/** Whether a process of that id runs (and may be signalled by this one). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
