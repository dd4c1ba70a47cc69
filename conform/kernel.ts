/**
 * The kernel side of a conformance run: build conform/probe.c with the system cc, run a plan's
 * rows through it on the live kernel, and read back one Observation a row.
 *
 * Nothing is left behind, whatever stops a run (conform/README.md): the probe puts the pool sizes
 * and the mount back itself however it ends short of SIGKILL, and first sweeps what a killed run
 * left, from the state file that run wrote before it changed anything; after a probe that did
 * not end cleanly this side calls the probe's --restore mode, which does that sweep at once. The
 * build folder is named after its owner (pid and start time), so that a run that finds it with
 * its owner gone removes it.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import { constants, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { vmasText, type Observation, type Plan } from "./plan.js";

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

/** A stop signal (SIGINT, SIGTERM, SIGHUP) ended the run; everything was put back. */
export class Stopped extends Error {
  override name = "Stopped";
  constructor(readonly signal: string) {
    super(`stopped by ${signal}`);
  }
}

/** The pool sizes or the mount could not be put back as found (one line saying what is left). */
export class RestoreError extends Error {
  override name = "RestoreError";
}

/** The signals that ask a run to stop, rather than kill it. */
export const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

export const isStopSignal = (sig: string | null): sig is (typeof STOP_SIGNALS)[number] =>
  (STOP_SIGNALS as readonly (string | null)[]).includes(sig);

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

/** This process's start time (clock ticks after boot, field 22 of /proc/self/stat): with the pid, who owns a build folder. */
function startTime(): string {
  const stat = readFileSync("/proc/self/stat", "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]!;
}

function probeSource(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, "probe.c"), resolve(here, "../../conform/probe.c")];
  return candidates.find((p) => existsSync(p)) ?? candidates[0]!;
}

// EWOULDBLOCK is EAGAIN's alias: a nonblocking read of an empty pipe is EAGAIN, as the model says.
const ERRNO_NAMES = new Map(
  Object.entries(constants.errno)
    .filter(([name]) => name !== "EWOULDBLOCK")
    .map(([name, n]) => [n, name]),
);

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
  vmas: [number, number, number][] | null;
}

function observation(l: ProbeStepLine): Observation {
  return {
    ret: l.ret,
    errno: l.errno ? (ERRNO_NAMES.get(l.errno) ?? `E${l.errno}`) : null,
    signal: l.signal,
    counters: { total: l.total, free: l.free, rsvd: l.rsvd, surp: l.surp },
    pages: l.pages,
    vmas: l.vmas && vmasText(l.vmas.map(([s, e, w]) => [s, e, w !== 0] as const)),
  };
}

/** The probe's last {"error"} line: after a failed step, a failed restore says what is left. */
function lastError(lines: readonly Record<string, unknown>[]): string | undefined {
  const errors = lines.map((l) => l.error).filter((e): e is string => typeof e === "string");
  return errors.at(-1);
}

export interface RunOptions {
  /**
   * Stops the probe: it is sent `stopWith`, and the run ends in Stopped. SIGTERM (the default)
   * lets it put everything back itself; after SIGKILL the safety net does.
   */
  readonly signal?: AbortSignal;
  readonly stopWith?: "SIGTERM" | "SIGKILL";
  /** Called as each row's observation arrives. */
  readonly onRow?: (row: number, obs: Observation) => void;
}

/** A built probe in its own temporary folder; dispose() removes it. */
export class Probe {
  private constructor(
    readonly dir: string,
    readonly binary: string,
  ) {}

  /**
   * Checks the machine and compiles the probe: KernelUnavailable when it cannot run here, Stopped
   * when `stop` aborts or a stop signal kills cc (the folder is removed either way).
   */
  static async build(stop?: AbortSignal): Promise<Probe> {
    const unsupported = kernelSupport();
    if (unsupported) throw unsupported;
    const dir = mkdtempSync(join(tmpdir(), `mmcheck-conform-${process.pid}-${startTime()}-`));
    const binary = join(dir, "probe");
    try {
      // cc's own temporary files go in the folder too, so that a killed cc leaves none in /tmp.
      await promisify(execFile)("cc", ["-O2", "-Wall", "-o", binary, probeSource()], {
        signal: stop,
        env: { ...process.env, TMPDIR: dir },
      });
    } catch (e) {
      // Retried: the compiler's own children (cc1, as) may still be closing their files in it.
      rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
      const err = e as NodeJS.ErrnoException & { stderr?: string; signal?: string | null };
      if (stop?.aborted) throw new Stopped(String(stop.reason));
      if (isStopSignal(err.signal ?? null)) throw new Stopped(err.signal!);
      if (err.code === "ENOENT") throw new KernelUnavailable("no-compiler", "no C compiler: cc is not on PATH");
      throw new Error(`cc could not build ${probeSource()}: ${err.stderr ?? err.message}`);
    }
    return new Probe(dir, binary);
  }

  /** Runs the plan on the kernel: one observation a row. */
  async run(plan: Plan, opts: RunOptions = {}): Promise<Observation[]> {
    const mnt = mkdtempSync(join(this.dir, "mnt-"));
    const out = await this.exec([mnt], plan.input, opts);
    // A probe that did not end cleanly may have left what it changed: the safety net sweeps it.
    if (out.code !== 0) await this.restore();
    if (!mountedAt(mnt)) rmdirSync(mnt);
    const error = lastError(out.lines);
    if (out.stopped) throw new Stopped(out.stopped);
    if (isStopSignal(out.sig)) throw new Stopped(out.sig);
    if (out.aborted) throw new ProbeError(out.aborted);
    if (out.code === 4 || out.code === 5) throw new KernelUnavailable("no-hugetlb", `hugetlb unusable: ${error}`);
    if (out.code !== 0 || error) throw new ProbeError(error ?? `the probe ended with ${out.code ?? out.sig}: ${out.stderr}`);
    const steps = out.lines.filter((l) => typeof l.step === "number") as unknown as ProbeStepLine[];
    if (steps.length !== plan.rows.length) throw new ProbeError(`${steps.length} of ${plan.rows.length} rows ran`);
    return steps.map(observation);
  }

  /**
   * The safety net (the probe's --restore, under the lock every run takes): puts back what a
   * killed probe left; with `sizes`, then unmounts `mnt` and sets the pool sizes to them.
   * RestoreError when that cannot be done. The helper runs in a process group of its own, so that
   * a Ctrl-C or a kill of this one's group does not cut it short.
   */
  async restore(sizes?: PoolSizes, mnt?: string): Promise<void> {
    const args = sizes && mnt ? [String(sizes.pool), String(sizes.overcommit), mnt] : [];
    const out = await this.exec(["--restore", ...args], "", { detached: true });
    if (out.code === 0) return;
    const error = lastError(out.lines);
    throw new RestoreError(
      error !== undefined
        ? error
        : `could not put the machine back: the restore helper ended with ${out.code ?? out.sig}; the next run retries`,
    );
  }

  /** Removes the build folder (never while something is mounted inside it). */
  dispose(): void {
    if (mountedAt(this.dir)) throw new RestoreError(`could not put the machine back: ${this.dir}: still mounted, not removed`);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private exec(
    args: string[],
    input: string,
    opts: RunOptions & { detached?: boolean },
  ): Promise<{
    lines: Record<string, unknown>[];
    code: number | null;
    sig: string | null;
    stderr: string;
    aborted: string | null;
    stopped: string | null;
  }> {
    return new Promise((resolvePromise, reject) => {
      const child = spawn(this.binary, args, { stdio: ["pipe", "pipe", "pipe"], detached: opts.detached });
      const timeout = AbortSignal.timeout(60_000);
      let aborted: string | null = null;
      let stopped: string | null = null;
      const kill = () => {
        aborted = "the probe took more than 60 s";
        child.kill("SIGKILL");
      };
      const stop = () => {
        const reason: unknown = opts.signal?.reason;
        stopped = typeof reason === "string" ? reason : "an abort";
        child.kill(opts.stopWith ?? "SIGTERM");
      };
      timeout.addEventListener("abort", kill);
      if (opts.signal?.aborted) stop();
      opts.signal?.addEventListener("abort", stop);
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
          if (typeof line.swept === "string") console.error(`mmcheck conform: ${line.swept}`);
          if (typeof line.step === "number") opts.onRow?.(rows++, observation(line as unknown as ProbeStepLine));
        }
      });
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
      child.on("error", reject);
      child.on("close", (code, sig) => {
        timeout.removeEventListener("abort", kill);
        opts.signal?.removeEventListener("abort", stop);
        resolvePromise({ lines, code, sig, stderr: stderr.trim(), aborted, stopped });
      });
      child.stdin.on("error", () => {}); // a probe that refuses its input closes stdin early
      child.stdin.end(input);
    });
  }
}
