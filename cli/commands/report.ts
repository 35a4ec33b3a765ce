import { randomUUID } from "node:crypto";
import { rename, rm, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { renderHtml } from "../report/html.ts";
import { renderMarkdown } from "../report/markdown.ts";
import { reportModel } from "../report/model.ts";
import { readReport } from "../report/read.ts";
import { resolveTableName } from "../state-table.ts";
import { UsageError } from "../usage-error.ts";
import type { StatusDependencies } from "./status.ts";

export interface ReportOptions {
  /** `md` or `html`, as typed. @default "md" */
  readonly format?: string;
  /** Where to write the report instead of standard output. */
  readonly out?: string;
  readonly table?: string;
}

type ReportFormat = "md" | "html";

/** The reads of `status` (its AWS or local dependencies serve both). */
export type ReportDependencies = Pick<StatusDependencies, "stores" | "env" | "tableName" | "close">;

/** Parses `--format`: `md` (the default) or `html`, else a usage error naming the value. */
function reportFormat(value: string | undefined): ReportFormat {
  if (value === undefined || value === "md" || value === "html") return value ?? "md";
  throw new UsageError(`--format must be md or html, got '${value}'`);
}

/**
 * `glidepath report <promotion-or-deployment-id> [--format md|html] [--out FILE]`: the report of a promotion
 * or one deployment for an incident review or a change ticket (outcome, exposure, timeline, each wave's
 * phases, evaluations, charts and decisions), printed, or with `--out` written to the file (a temporary file
 * renamed, so that no reader sees half of it) and its path printed. Resolves to the exit code, 0.
 */
export async function reportCommand(
  id: string,
  options: ReportOptions,
  dependencies: ReportDependencies,
  print: (line: string) => void,
): Promise<number> {
  const format = reportFormat(options.format);
  const tableName = dependencies.tableName ?? resolveTableName(options.table, dependencies.env);
  try {
    const model = reportModel(await readReport(id, dependencies.stores(tableName)));
    const report = format === "html" ? renderHtml(model) : renderMarkdown(model);
    if (options.out === undefined) {
      print(report.trimEnd());
      return 0;
    }
    const path = resolve(options.out);
    const temporary = `${path}.${randomUUID()}.tmp`;
    try {
      await writeFile(temporary, report);
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      const code = (error as { code?: string }).code;
      if (code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR" || code === "EACCES") {
        throw new UsageError(`cannot write the report to ${path} (${code}): check --out's directory`);
      }
      throw error;
    }
    print(path);
    return 0;
  } finally {
    await dependencies.close?.();
  }
}
