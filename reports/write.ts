/**
 * Writes a report: validated first, then written to a temporary file beside the target and
 * renamed over it, so a reader never sees half a report and a failure leaves no file behind.
 */
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { issueLine, ReportSchema, type Report } from "./schema.js";

export function writeReport(path: string, report: Report): void {
  const parsed = ReportSchema.safeParse(report);
  if (!parsed.success) throw new Error(`report does not match its schema: ${issueLine(parsed.error)}`);
  writeFileAtomic(path, `${JSON.stringify(parsed.data, null, 2)}\n`);
}

/** `text` to a temporary file beside `path`, then renamed over it: all of it or nothing. */
export function writeFileAtomic(path: string, text: string): void {
  const target = resolve(path);
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    const fd = openSync(tmp, "wx", 0o644);
    try {
      writeFileSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
