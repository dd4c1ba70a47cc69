/**
 * Nothing is left behind, whatever stops `mmcheck conform` (issue 14, item 6). Runs the real CLI
 * on the live kernel and stops it at random moments — while Node starts, while cc compiles the
 * probe, while the probe sizes the pool, mounts hugetlbfs, forks — with SIGINT, SIGTERM or SIGHUP
 * (to the process group, as Ctrl-C and a hangup do, or to the process alone, as kill does) or
 * SIGKILL of the process group (as a CI timeout does). After a stop signal, `conform` must have put
 * everything back before it exits; after SIGKILL, the next run must (saying so in one line).
 * Then, read under the probe's lock (no run of anyone else is half-way): the pool sizes are as
 * before, nothing is mounted in a build folder, there is no state file, no folder of ours is
 * left in the temporary directory and no process of ours runs.
 *
 * Live only: it resizes the hugetlb pool. Runs when MMCHECK_LIVE_KERNEL=1 (`.ci/run` sets it), as
 * root, and fails if asked where it cannot run.
 * The choices are seeded: MMCHECK_KILL_SEED=N repeats them (the timing is the machine's).
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { kernelSupport, Probe } from "../../conform/kernel.js";
import { plan } from "../../conform/plan.js";
import { conform, EXIT_RESTORE_FAILED, EXIT_STOPPED } from "../../conform/run.js";
import { loadConformScenario } from "../../conform/schema.js";
import { prng } from "../../explorer/walk.js";

const KILLS = 50;
const CLI = resolve(import.meta.dirname, "../../dist/cli/main.js");
const LOCK = "/tmp/mmcheck-conform.lock";
const STATE = "/tmp/mmcheck-conform.state";
/** Short, with a fork, an exit and files on the mount: the probe runs for a few tens of ms. */
const SCENARIO = "fork-cow-child-first-tight";
const FOLLOW_UP = "private-basic";

const live = process.env.MMCHECK_LIVE_KERNEL === "1";
const title = live
  ? "mmcheck conform stopped at random moments leaves nothing behind"
  : "mmcheck conform stopped at random moments leaves nothing behind (not run: set MMCHECK_LIVE_KERNEL=1, as root)";


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The machine as a run must leave it, read under the probe's lock so that no run is half-way. */
function machine(): { pool: string; overcommit: string; mounts: string[]; state: boolean } {
  const folders = join(tmpdir(), "mmcheck-conform-");
  const out = execFileSync(
    "flock",
    [
      LOCK,
      "sh",
      "-c",
      `cat /proc/sys/vm/nr_hugepages /proc/sys/vm/nr_overcommit_hugepages; test -e ${STATE} && echo state; cat /proc/mounts`,
    ],
    { encoding: "utf8" },
  ).split("\n");
  return {
    pool: out[0]!,
    overcommit: out[1]!,
    state: out[2] === "state",
    mounts: out.filter((l) => l.split(" ")[1]?.startsWith(folders)),
  };
}

/** The processes (a probe, its workers) whose program is in a folder `mine` says is ours. */
function probes(mine: (folder: string) => boolean): { pid: number; exe: string; args: string[] }[] {
  const found = [];
  for (const p of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const exe = readlinkSync(`/proc/${p}/exe`);
      if (exe.startsWith(`${tmpdir()}/`) && mine(exe.slice(tmpdir().length + 1).split("/")[0]!))
        found.push({ pid: Number(p), exe, args: readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0").slice(1, -1) });
    } catch {
      // gone, or a kernel thread
    }
  }
  return found;
}

/**
 * The machine is as `before`. Others' live tests may run meanwhile, and one may hold other pool
 * sizes between two of its probes (test/conform/conform.test.ts does): so wait for them, up to 30 s.
 * Something of ours left behind does not go away.
 */
async function expectMachine(before: ReturnType<typeof machine>, what: string): Promise<void> {
  await vi.waitFor(() => expect(machine(), what).toEqual(before), { timeout: 30_000, interval: 200 });
}

/** What the runs of `pids` left: their build folders, and their processes. */
function ours(pids: ReadonlySet<number>): { folders: string[]; processes: string[] } {
  const mine = (name: string) => pids.has(Number(/^mmcheck-conform-(\d+)-/.exec(name)?.[1]));
  return { folders: readdirSync(tmpdir()).filter(mine), processes: probes(mine).map((p) => `${p.pid} ${p.exe}`) };
}

/**
 * The direct children of `pid` by what they do: cc; the probe running a scenario ("probe"), or
 * profiling the host or restoring ("probe --profile", "probe --restore").
 */
function children(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(" ")
      .filter(Boolean)
      .map((c) => {
        try {
          const comm = readFileSync(`/proc/${c}/comm`, "utf8").trim();
          const arg = readFileSync(`/proc/${c}/cmdline`, "utf8").split("\0")[1] ?? "";
          return comm === "probe" && arg.startsWith("--") ? `probe ${arg}` : comm;
        } catch {
          return "";
        }
      });
  } catch {
    return [];
  }
}

interface Run {
  readonly pid: number;
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  exited: boolean;
}

function start(scenario: string): Run {
  // A process group of its own, as a shell job has: the group is what Ctrl-C and CI kill.
  const child = spawn(process.execPath, [CLI, "conform", "--scenario", scenario], { detached: true, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const run: Run = {
    pid: child.pid!,
    exited: false,
    done: new Promise((r) =>
      child.on("close", (code, signal) => {
        run.exited = true;
        r({ code, signal, stderr });
      }),
    ),
  };
  return run;
}

type Phase = "any" | "build" | "probe";
const KINDS = [
  { signal: "SIGKILL", group: true },
  { signal: "SIGINT", group: true },
  { signal: "SIGTERM", group: false },
  { signal: "SIGTERM", group: true },
  { signal: "SIGHUP", group: true },
] as const;

/** Waits for the moment to stop `run`: the phase reached, then a random delay. False if it ended first. */
async function reach(run: Run, phase: Phase, delay: number): Promise<boolean> {
  const want = phase === "build" ? "cc" : phase === "probe" ? "probe" : null;
  while (want && !run.exited && !children(run.pid).includes(want)) await sleep(1);
  if (delay > 0) await sleep(delay);
  return !run.exited;
}

/** A whole run, watched: how long until cc starts, cc runs, the probe runs, all of it (ms). */
async function calibrate(): Promise<{ total: number; build: number; probe: number }> {
  const t0 = performance.now();
  const seen: Record<string, number> = {};
  const run = start(SCENARIO);
  while (!run.exited) {
    const now = performance.now() - t0;
    const names = children(run.pid);
    for (const n of ["cc", "probe"]) if (names.includes(n)) seen[n] ??= now;
    if (seen.probe !== undefined && !names.includes("probe")) seen.probeEnd ??= now;
    await sleep(1);
  }
  const end = await run.done;
  expect(end.code, `a run that nothing stops: ${end.stderr}`).toBe(0);
  const total = performance.now() - t0;
  return { total, build: (seen.probe ?? total) - (seen.cc ?? 0), probe: (seen.probeEnd ?? total) - (seen.probe ?? 0) };
}

describe.runIf(live)(title, () => {
  beforeAll(() => {
    const unsupported = kernelSupport();
    if (unsupported) throw new Error(`MMCHECK_LIVE_KERNEL=1, but ${unsupported.message}`);
  });

  it(`${KILLS} kills at random moments, 0 leftovers`, async () => {
    const seed = Number(process.env.MMCHECK_KILL_SEED ?? Math.floor(Math.random() * 2 ** 31));
    console.log(`conform-kill: seed ${seed} (MMCHECK_KILL_SEED=${seed} repeats the choices)`);
    const rand = prng(seed);
    const before = machine();
    expect(before.mounts, "a hugetlbfs mount in a build folder before the test").toEqual([]);
    const pids = new Set<number>();
    const hits: Record<string, number> = {};
    const count = (what: string) => (hits[what] = (hits[what] ?? 0) + 1);
    // The moments are drawn over the spans of a run here: from the start, from cc's, from the probe's.
    const span = await calibrate();
    const ms = (n: number) => `${n.toFixed(0)} ms`;
    console.log(`conform-kill: a run takes ${ms(span.total)}, cc and the profile ${ms(span.build)}, the probe ${ms(span.probe)}`);
    let kills = 0;
    for (let i = 0; kills < KILLS; i++) {
      expect(i, "too many runs ended before their moment came").toBeLessThan(3 * KILLS);
      const kind = KINDS[Math.floor(rand() * KINDS.length)]!;
      const r = rand();
      const phase: Phase = r < 0.25 ? "any" : r < 0.5 ? "build" : "probe";
      // (a run's last tenth is Node writing out and leaving: drawn there, it would mostly end first)
      const delay = rand() * (phase === "any" ? 0.9 * span.total : phase === "build" ? span.build : span.probe);
      const what = `seed ${seed}, run ${i}: ${kind.signal} to the ${kind.group ? "group" : "process"} at ${phase} + ${delay.toFixed(1)} ms`;
      const run = start(SCENARIO);
      pids.add(run.pid);
      if (!(await reach(run, phase, delay))) {
        await run.done;
        continue;
      }
      const inProbe = children(run.pid).includes("probe");
      process.kill(kind.group ? -run.pid : run.pid, kind.signal);
      kills++;
      const end = await run.done;
      if (kind.signal === "SIGKILL") {
        // Its processes die with it (a restore helper, in a group of its own, ends its work first).
        await vi.waitFor(() => expect(ours(new Set([run.pid])).processes, what).toEqual([]), { timeout: 15_000, interval: 10 });
        const left = ours(new Set([run.pid]));
        const leftState = existsSync(STATE);
        const pool = readFileSync("/proc/sys/vm/nr_hugepages", "utf8").trim();
        const mounted = readFileSync("/proc/mounts", "utf8").includes(`${tmpdir()}/mmcheck-conform-${run.pid}-`);
        count(
          `SIGKILL${inProbe ? " in the probe" : ""}${leftState ? ", state" : ""}${pool !== before.pool ? ", pool" : ""}` +
            `${mounted ? ", mount" : ""}${left.folders.length ? ", folder" : ""}`,
        );
        // The next run puts back what this one left, and says so in one line.
        const next = start(FOLLOW_UP);
        pids.add(next.pid);
        const after = await next.done;
        expect(after.code, `${what}; the next run: ${after.stderr}`).toBe(0);
        const lines = after.stderr.split("\n").filter(Boolean);
        if (leftState || left.folders.length) expect(lines, `${what}: the next run says what it swept`).toHaveLength(1);
        else expect(lines, what).toEqual([]);
      } else {
        count(`${kind.signal}${inProbe ? " in the probe" : ""}`);
        // Stopped (exit 3, one line), or dead of the signal while Node was still starting, or done.
        const stopped = end.code === EXIT_STOPPED && /^mmcheck conform: stopped by SIG[A-Z]+; .*as found\n$/.test(end.stderr);
        const early = end.signal === kind.signal && end.stderr === "";
        expect(stopped || early || end.code === 0, `${what}: exit ${end.code ?? end.signal}, ${end.stderr}`).toBe(true);
      }
      await expectMachine(before, what);
      expect(ours(pids), what).toEqual({ folders: [], processes: [] });
    }
    console.log(`conform-kill: ${kills} kills in ${pids.size} runs: ${JSON.stringify(hits)}`);
  }, 600_000);

  it("the probe alone, stopped at random moments: 100 times, 0 leftovers", async () => {
    const seed = Number(process.env.MMCHECK_KILL_SEED ?? Math.floor(Math.random() * 2 ** 31));
    console.log(`conform-kill (probe): seed ${seed}`);
    const rand = prng(seed);
    const before = machine();
    const probe = await Probe.build();
    const stderr = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const mnt = mkdtempSync(join(probe.dir, "mnt-"));
      const input = plan(loadConformScenario(SCENARIO)).input;
      const mine = (folder: string) => probe.dir === join(tmpdir(), folder);
      /** One run of the probe, stopped after `delay` ms (or not at all): its output lines, its end. */
      const once = async (signal: NodeJS.Signals | null, delay: number) => {
        const child = spawn(probe.binary, [mnt], { detached: true, stdio: ["pipe", "pipe", "ignore"] });
        let out = "";
        child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
        const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
          child.on("close", (code, sig) => r({ code, signal: sig })),
        );
        child.stdin.end(input);
        if (signal) {
          await sleep(delay);
          child.kill(signal);
        }
        const end = await done;
        return { ...end, lines: out.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
      };
      // How long one run takes here: the moments are drawn over that.
      const t0 = performance.now();
      const clean = await once(null, 0);
      const span = performance.now() - t0;
      expect(clean.code, JSON.stringify(clean.lines.at(-1))).toBe(0);
      const hits: Record<string, number> = {};
      for (let i = 0; i < 100; i++) {
        const signal = (["SIGINT", "SIGTERM", "SIGHUP", "SIGKILL"] as const)[Math.floor(rand() * 4)]!;
        const delay = rand() * span;
        const what = `seed ${seed}, probe run ${i}: ${signal} after ${delay.toFixed(1)} ms`;
        const end = await once(signal, delay);
        // How far it came: the last row it printed (pool, mount, create, mmap, fault, fork, …).
        const last = end.lines.filter((l) => typeof l.step === "number").at(-1)?.op ?? (end.lines.some((l) => l.orig) ? "state" : "start");
        hits[`${signal} after ${String(last)}`] = (hits[`${signal} after ${String(last)}`] ?? 0) + 1;
        if (signal === "SIGKILL") {
          // The next probe (here its --restore, the runner's safety net) puts back what this one
          // left, saying so in one line when it left its state file.
          const left = existsSync(STATE);
          if (left) hits["SIGKILL: state left"] = (hits["SIGKILL: state left"] ?? 0) + 1;
          stderr.mockClear();
          await probe.restore();
          expect(stderr.mock.calls.length, what).toBe(left ? 1 : 0);
          await vi.waitFor(() => expect(probes(mine), what).toEqual([]), { timeout: 5000, interval: 20 });
        } else {
          const how = `${what}: ${end.code ?? end.signal} ${JSON.stringify(end.lines.at(-1))}`;
          expect(end.code === 0 || end.signal === signal, how).toBe(true);
          expect(probes(mine), what).toEqual([]);
        }
        await expectMachine(before, what);
      }
      console.log(`conform-kill (probe): 100 stops over ${span.toFixed(0)} ms runs: ${JSON.stringify(hits)}`);
    } finally {
      stderr.mockRestore();
      probe.dispose();
    }
  }, 300_000);

  it("a restore helper that is killed: one line and exit 5, never an internal error", async () => {
    // Holding the lock keeps the run's probe and then the restore helper waiting, to be killed there.
    const holder = spawn("flock", [LOCK, "sleep", "60"], { stdio: "ignore", detached: true });
    const stderr = vi.spyOn(console, "error").mockImplementation(() => {});
    const stdout = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      await vi.waitFor(() => expect(() => execFileSync("flock", ["-n", LOCK, "true"]), "the lock is held").toThrow(), {
        timeout: 30_000,
        interval: 10,
      });
      const run = conform({ scenario: FOLLOW_UP });
      const mine = (folder: string) => folder.startsWith(`mmcheck-conform-${process.pid}-`);
      for (const helper of [false, true]) {
        const p = await vi.waitFor(
          () => {
            // The scenario's probe takes a mount folder (an absolute path); the restore helper
            // --restore. The profile (--profile) is left alone, also as it exits: a process on its
            // way out shows an empty command line, which must not pass for the scenario's probe.
            const found = probes(mine).find((q) => (helper ? q.args[0] === "--restore" : q.args[0]?.startsWith("/")));
            expect(found, helper ? "the restore helper" : "the probe").toBeDefined();
            return found!;
          },
          { timeout: 30_000, interval: 10 },
        );
        process.kill(p.pid, "SIGKILL");
      }
      expect(await run).toBe(EXIT_RESTORE_FAILED);
      expect(stderr.mock.calls.map((c) => String(c[0]))).toEqual([
        "mmcheck conform: could not put the machine back: the restore helper ended with SIGKILL; the next run retries",
      ]);
    } finally {
      stderr.mockRestore();
      stdout.mockRestore();
      process.kill(-holder.pid!, "SIGKILL");
    }
    expect(machine().state, "nothing was changed, so nothing is left to sweep").toBe(false);
  });
});
