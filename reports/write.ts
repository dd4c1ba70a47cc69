/** Writes a report: validated first, then written atomically (base/output.ts). */
import { dirname, relative, resolve } from "node:path";
import { writeAtomic } from "../base/output.js";
import { issueLine, ReportSchema, scenarioIsPath, type Report } from "./schema.js";

/** Where a report's trace is written on its own, beside it: `<report>.itf.json`, the extension ITF viewers open. */
export function itfPath(reportPath: string): string {
  return `${reportPath.replace(/\.json$/, "")}.itf.json`;
}

/**
 * `flag` names the path in an error: `--report`, or `report` for the default path. A scenario
 * file's path (from the current folder, or absolute) is written relative to the report's folder,
 * where `replay` looks for it whatever folder it runs in.
 */
export function writeReport(path: string, report: Report, flag = "--report"): void {
  const scenario = scenarioIsPath(report.scenario) ? relative(dirname(resolve(path)), resolve(report.scenario)) : report.scenario;
  const parsed = ReportSchema.safeParse({ ...report, scenario });
  if (!parsed.success) throw new Error(`report does not match its schema: ${issueLine(parsed.error)}`);
  writeAtomic(path, [`${JSON.stringify(parsed.data, null, 2)}\n`], flag);
}

/** A violation's trace as its own ITF file beside the report (itfPath). */
export function writeItf(reportPath: string, report: Report, flag = "--report"): void {
  if (report.verdict === "violation") writeAtomic(itfPath(reportPath), [`${JSON.stringify(report.violation.trace, null, 2)}\n`], flag);
}
