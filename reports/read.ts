/**
 * Reads a report for `mmcheck replay`; every problem is a ReportError of one line. A scenario
 * file's path comes back resolved against the report's folder.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { issueLine, ReportSchema, scenarioIsPath, type Report } from "./schema.js";

export class ReportError extends Error {
  override name = "ReportError";
}

/** A JSON file's content; a file that cannot be read, or is not JSON, is a ReportError of one line. */
export function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const reason = err.code ? `cannot read (${err.code})` : `not valid JSON: ${err.message.split("\n")[0]}`;
    throw new ReportError(`${path}: ${reason}`);
  }
}

export function readReport(path: string): Report {
  const parsed = ReportSchema.safeParse(readJson(path));
  if (!parsed.success) throw new ReportError(`${path}: ${issueLine(parsed.error)}`);
  // A scenario file is recorded relative to the report's folder (reports/write.ts).
  const r = parsed.data;
  return scenarioIsPath(r.scenario) ? { ...r, scenario: resolve(dirname(path), r.scenario) } : r;
}
