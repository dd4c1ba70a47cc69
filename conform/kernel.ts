/**
 * The kernel side of a conformance run: build conform/probe.c with the system cc, run a plan's
 * rows through it on the live kernel, and read back one Observation a row.
 *
 * The probe restores the pool sizes and unmounts hugetlbfs itself however a run ends short of
 * SIGKILL; after every run this side also calls the probe's --restore mode with the sizes the
 * run reported, which puts everything back after a run that was killed or crashed.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import { constants, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { Observation, Plan } from "./plan.js";

export type UnavailableReason = "not-root" | "no-hugetlb" | "no-compiler";

/** The kernel side cannot run here; `message` is one line saying why. */
export class KernelUnavailable extends Error {
  override name = "KernelUnavailable";
  constructor(
    readonly reason: UnavailableReason,
    message: string,
  ) {
    super(message);
  }
}

/** The probe refused its input or a step broke it (its one-line message). */
export class ProbeError extends Error {
  override name = "ProbeError";
}

export interface PoolSizes {
  readonly pool: number;
  readonly overcommit: number;
}

/** Why the kernel side cannot run on this machine, or null when it can. */
export function kernelSupport(): KernelUnavailable | null {
  if (process.getuid?.() !== 0)
    return new KernelUnavailable("not-root", "not root: conformance needs root (hugetlb pool, hugetlbfs, /proc/kpageflags)");
  const meminfo = existsSync("/proc/meminfo") ? readFileSync("/proc/meminfo", "utf8") : "";
  const size = /^Hugepagesize:\s+(\d+) kB/m.exec(meminfo)?.[1];
  const filesystems = existsSync("/proc/filesystems") ? readFileSync("/proc/filesystems", "utf8") : "";
  if (!size || !existsSync("/proc/sys/vm/nr_hugepages") || !/\bhugetlbfs\b/.test(filesystems))
    return new KernelUnavailable("no-hugetlb", "no hugetlb support: this kernel has no hugetlb pool or no hugetlbfs");
  // /proc/meminfo and /proc/sys/vm/nr_hugepages speak of the default size; the model's is 2 MiB.
  if (size !== "2048")
    return new KernelUnavailable("no-hugetlb", `no hugetlb support for 2 MiB pages by default (Hugepagesize is ${size} kB)`);
  if (!existsSync("/proc/kpageflags") || !existsSync("/proc/kpagecount"))
    return new KernelUnavailable("no-hugetlb", "no /proc/kpageflags: this kernel cannot show which page a process maps");
  return null;
}

/** The pool sizes as the kernel has them now. */
export function readPoolSizes(): PoolSizes {
  const read = (f: string) => Number(readFileSync(`/proc/sys/vm/${f}`, "utf8").trim());
  return { pool: read("nr_hugepages"), overcommit: read("nr_overcommit_hugepages") };
}

/** Is anything mounted on `dir` or below it? */
export function mountedAt(dir: string): boolean {
  const unescape = (p: string) => p.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .map((l) => unescape(l.split(" ")[1] ?? ""))
    .some((m) => m === dir || m.startsWith(`${dir}/`));
}

function probeSource(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, "probe.c"), resolve(here, "../../conform/probe.c")];
  return candidates.find((p) => existsSync(p)) ?? candidates[0]!;
}

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));

interface ProbeStepLine {
  step: number;
  ret: number;
  errno: number;
  signal: "SIGBUS" | "SIGSEGV" | null;
  total: number;
  free: number;
  rsvd: number;
  surp: number;
  pages: { present: boolean; zero: boolean; mapcount: number }[] | null;
}

function observation(l: ProbeStepLine): Observation {
  return {
    ret: l.ret,
    errno: l.errno ? (ERRNO_NAMES.get(l.errno) ?? `E${l.errno}`) : null,
    signal: l.signal,
    counters: { total: l.total, free: l.free, rsvd: l.rsvd, surp: l.surp },
    pages: l.pages,
  };
}

export interface RunOptions {
  /** Kills the probe (SIGKILL, no chance to clean up): the runner's safety net restores. */
  readonly signal?: AbortSignal;
  /** Called as each row's observation arrives. */
  readonly onRow?: (row: number, obs: Observation) => void;
}

/** A built probe in its own temporary folder; dispose() removes it. */
export class Probe {
  private constructor(
    readonly dir: string,
    readonly binary: string,
  ) {}

  /** Checks the machine and compiles the probe: KernelUnavailable when it cannot run here. */
  static async build(): Promise<Probe> {
    const unsupported = kernelSupport();
    if (unsupported) throw unsupported;
    const dir = mkdtempSync(join(tmpdir(), "mmcheck-conform-"));
    const binary = join(dir, "probe");
    try {
      await promisify(execFile)("cc", ["-O2", "-Wall", "-o", binary, probeSource()]);
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      const err = e as NodeJS.ErrnoException & { stderr?: string };
      if (err.code === "ENOENT") throw new KernelUnavailable("no-compiler", "no C compiler: cc is not on PATH");
      throw new Error(`cc could not build ${probeSource()}: ${err.stderr ?? err.message}`);
    }
    return new Probe(dir, binary);
  }

  /** Runs the plan on the kernel: one observation a row. */
  async run(plan: Plan, opts: RunOptions = {}): Promise<Observation[]> {
    const mnt = mkdtempSync(join(this.dir, "mnt-"));
    const out = await this.exec([mnt], plan.input, opts);
    const orig = out.lines[0]?.orig as PoolSizes | undefined;
    // The sizes the probe found (under its lock) are the ones to put back, if it did not.
    if (orig) await this.restore(orig, mnt);
    if (!mountedAt(mnt)) rmdirSync(mnt);
    const error = out.lines.find((l) => typeof l.error === "string")?.error as string | undefined;
    if (out.aborted) throw new ProbeError(out.aborted);
    if (out.code === 4 || out.code === 5) throw new KernelUnavailable("no-hugetlb", `hugetlb unusable: ${error}`);
    if (out.code !== 0 || error) throw new ProbeError(error ?? `the probe ended with ${out.code ?? out.sig}: ${out.stderr}`);
    const steps = out.lines.filter((l) => typeof l.step === "number") as unknown as ProbeStepLine[];
    if (steps.length !== plan.rows.length) throw new ProbeError(`${steps.length} of ${plan.rows.length} rows ran`);
    return steps.map(observation);
  }

  /**
   * The safety net: unmount `mnt` if it is mounted and set the pool sizes back (the probe's
   * --restore, under the lock every run takes).
   */
  async restore(sizes: PoolSizes, mnt: string): Promise<void> {
    const out = await this.exec(["--restore", String(sizes.pool), String(sizes.overcommit), mnt], "", {});
    if (out.code !== 0) throw new Error(`could not restore the hugetlb pool: ${JSON.stringify(out.lines.at(-1))}`);
  }

  /** Removes the build folder (never while something is mounted inside it). */
  dispose(): void {
    if (mountedAt(this.dir)) throw new Error(`${this.dir}: still mounted, not removed`);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private exec(
    args: string[],
    input: string,
    opts: RunOptions,
  ): Promise<{ lines: Record<string, unknown>[]; code: number | null; sig: string | null; stderr: string; aborted: string | null }> {
    return new Promise((resolvePromise, reject) => {
      const child = spawn(this.binary, args, { stdio: ["pipe", "pipe", "pipe"] });
      const timeout = AbortSignal.timeout(60_000);
      let aborted: string | null = null;
      const kill = () => {
        aborted = timeout.aborted ? "the probe took more than 60 s" : "the run was stopped";
        child.kill("SIGKILL");
      };
      timeout.addEventListener("abort", kill);
      opts.signal?.addEventListener("abort", kill);
      const lines: Record<string, unknown>[] = [];
      let buf = "";
      let stderr = "";
      let rows = 0;
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const text = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          let line: Record<string, unknown>;
          try {
            line = JSON.parse(text) as Record<string, unknown>;
          } catch {
            line = { error: `unreadable probe output: ${text.slice(0, 80)}` };
          }
          lines.push(line);
          if (typeof line.step === "number") opts.onRow?.(rows++, observation(line as unknown as ProbeStepLine));
        }
      });
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
      child.on("error", reject);
      child.on("close", (code, sig) => {
        timeout.removeEventListener("abort", kill);
        opts.signal?.removeEventListener("abort", kill);
        resolvePromise({ lines, code, sig, stderr: stderr.trim(), aborted });
      });
      child.stdin.on("error", () => {}); // a probe that refuses its input closes stdin early
      child.stdin.end(input);
    });
  }
}
