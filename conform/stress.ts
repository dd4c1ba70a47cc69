/**
 * Stress programs for timing races the conformance probe cannot order step by step
 * (conform/stress/NAME.c, one per finding that needs one): built with the system cc at run time
 * into a temporary folder, run as root under the probe's lock, each reporting how many of its
 * runs hit the race. The program sizes the hugetlb pool itself and puts it back however it ends
 * short of SIGKILL; after every run this side also calls the probe's --restore with the sizes
 * the program reported, as conform/kernel.ts does after a probe.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { KernelUnavailable, kernelSupport, Probe, type PoolSizes } from "./kernel.js";

export interface StressResult {
  readonly program: string;
  readonly mode: string;
  readonly runs: number;
  readonly hits: number;
  readonly seconds: number;
}

/** conform/stress/NAME.c, in the source tree or beside dist/. */
export function stressSource(program: string): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, "stress", `${program}.c`), resolve(here, "../../conform/stress", `${program}.c`)];
  return candidates.find((p) => existsSync(p)) ?? candidates[0]!;
}

/**
 * Builds and runs stress program `program` in `mode` for at most `runs` runs and `seconds`
 * seconds (the program stops itself; it is killed 30 s after that).
 */
export async function runStress(program: string, mode: string, runs: number, seconds: number): Promise<StressResult> {
  const unsupported = kernelSupport();
  if (unsupported) throw unsupported;
  const dir = mkdtempSync(join(tmpdir(), "mmcheck-stress-"));
  let orig: PoolSizes | undefined;
  try {
    const binary = join(dir, program);
    try {
      await promisify(execFile)("cc", ["-O2", "-Wall", "-pthread", "-o", binary, stressSource(program)]);
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: string };
      if (err.code === "ENOENT") throw new KernelUnavailable("no-compiler", "no C compiler: cc is not on PATH");
      throw new Error(`cc could not build ${stressSource(program)}: ${err.stderr ?? err.message}`);
    }
    const out = await new Promise<{ stdout: string; failed: string | null }>((done) => {
      execFile(binary, [mode, String(runs), String(seconds)], { timeout: (seconds + 30) * 1000, killSignal: "SIGKILL" }, (e, stdout) =>
        done({ stdout, failed: e ? e.message.split("\n")[0]! : null }),
      );
    });
    const lines = out.stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    orig = lines.find((l) => l.orig)?.orig as PoolSizes | undefined;
    const error = lines.find((l) => typeof l.error === "string")?.error;
    const result = lines.find((l) => typeof l.hits === "number");
    if (error || !result) throw new Error(`${program} ${mode}: ${String(error ?? out.failed ?? "no result")}`);
    return { program, mode, runs: Number(result.runs), hits: Number(result.hits), seconds: Number(result.seconds) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (orig) await restorePool(orig);
  }
}

/** The safety net: the probe's --restore (under the same lock) with the sizes the program read. */
async function restorePool(orig: PoolSizes): Promise<void> {
  const probe = await Probe.build();
  const mnt = mkdtempSync(join(probe.dir, "mnt-"));
  try {
    await probe.restore(orig, mnt);
  } finally {
    probe.dispose();
  }
}
