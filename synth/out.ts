/** The output folder of a sweep, fuzz or merge run (--out): made if missing, never mixed with an earlier run's findings. */
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { OutputError } from "../base/output.js";
import { FINDINGS_DIR } from "./findings.js";

export function prepareOut(dir: string): void {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new OutputError(`--out: ${dir}: is not a directory`);
  const findings = join(dir, FINDINGS_DIR);
  if (existsSync(findings) && readdirSync(findings).length > 0)
    throw new OutputError(`--out: ${dir}: holds the findings of an earlier run (${FINDINGS_DIR}/ is not empty): give a new or empty folder`);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new OutputError(`--out: ${dir}: cannot be created (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
}
