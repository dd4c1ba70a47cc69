/** Writes a report: validated first, then written atomically (reports/output.ts). */
import { writeAtomic } from "../base/output.js";
import { issueLine, ReportSchema, type Report } from "./schema.js";

/** `flag` names the path in an error: `--report`, or `report` for the default path. */
export function writeReport(path: string, report: Report, flag = "--report"): void {
  const parsed = ReportSchema.safeParse(report);
  if (!parsed.success) throw new Error(`report does not match its schema: ${issueLine(parsed.error)}`);
  writeAtomic(path, [`${JSON.stringify(parsed.data, null, 2)}\n`], flag);
}
