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
 * Live and root only: it resizes the hugetlb pool. Runs when MMCHECK_LIVE_KERNEL=1 (`.ci/run`).
 * The choices are seeded: MMCHECK_KILL_SEED=N repeats them (the timing is the machine's).
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { kernelSupport } from "../conform/kernel.js";
import { EXIT_STOPPED } from "../conform/run.js";

const KILLS = 50;
const CLI = resolve(import.meta.dirname, "../dist/cli/main.js");
const LOCK = "/tmp/mmcheck-conform.lock";
const STATE = "/tmp/mmcheck-conform.state";
/** Short, with a fork, an exit and files on the mount: the probe runs for a few tens of ms. */
const SCENARIO = "fork-cow-child-first-tight";
const FOLLOW_UP = "private-basic";

const live = process.env.MMCHECK_LIVE_KERNEL === "1" && kernelSupport() === null;
const title = live
  ? "mmcheck conform stopped at random moments leaves nothing behind"
  : "mmcheck conform stopped at random moments leaves nothing behind (skipped: needs MMCHECK_LIVE_KERNEL=1, root and hugetlb)";

/** mulberry32: small, seeded, good enough to pick moments. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The machine as a run must leave it, read under the probe's lock so that no run is half-way. */
function machine(): { pool: string; overcommit: string; mounts: string[]; state: boolean } {
  const folders = join(tmpdir(), "mmcheck-conform-");
  const out = execFileSync(
    "flock",
    [LOCK, "sh", "-c", `cat /proc/sys/vm/nr_hugepages /proc/sys/vm/nr_overcommit_hugepages; test -e ${STATE} && echo state; cat /proc/mounts`],
    { encoding: "utf8" },
  ).split("\n");
  return {
    pool: out[0]!,
    overcommit: out[1]!,
    state: out[2] === "state",
    mounts: out.filter((l) => l.split(" ")[1]?.startsWith(folders)),
  };
}

/** What the runs we started left: their build folders, and their processes (a probe, a worker, cc). */
function ours(pids: ReadonlySet<number>): { folders: string[]; processes: string[] } {
  const mine = (name: string) => pids.has(Number(/^mmcheck-conform-(\d+)-/.exec(name)?.[1]));
  const folders = readdirSync(tmpdir()).filter(mine);
  const processes: string[] = [];
  for (const p of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let exe = "";
    try {
      exe = readlinkSync(`/proc/${p}/exe`);
    } catch {
      continue; // gone, or a kernel thread
    }
    if (exe.startsWith(tmpdir()) && mine(exe.slice(tmpdir().length + 1).split("/")[0]!)) processes.push(`${p} ${exe}`);
  }
  return { folders, processes };
}

/** The direct children of `pid` by command name (cc, probe). */
function children(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(" ")
      .filter(Boolean)
      .map((c) => {
        try {
          return readFileSync(`/proc/${c}/comm`, "utf8").trim();
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

describe.skipIf(!live)(title, () => {
  it(`${KILLS} kills at random moments, 0 leftovers`, async () => {
    const seed = Number(process.env.MMCHECK_KILL_SEED ?? Math.floor(Math.random() * 2 ** 31));
    console.log(`conform-kill: seed ${seed} (MMCHECK_KILL_SEED=${seed} repeats the choices)`);
    const rand = random(seed);
    const before = machine();
    expect(before.mounts, "a hugetlbfs mount in a build folder before the test").toEqual([]);
    const pids = new Set<number>();
    const hits: Record<string, number> = {};
    const count = (what: string) => (hits[what] = (hits[what] ?? 0) + 1);
    let kills = 0;
    for (let i = 0; kills < KILLS; i++) {
      expect(i, "too many runs ended before their moment came").toBeLessThan(3 * KILLS);
      const kind = KINDS[Math.floor(rand() * KINDS.length)]!;
      const r = rand();
      const phase: Phase = r < 0.3 ? "any" : r < 0.5 ? "build" : "probe";
      const delay = phase === "any" ? rand() * 1500 : phase === "build" ? rand() * 400 : rand() * 60;
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
        const left = ours(new Set([run.pid]));
        const leftState = existsSync(STATE);
        count(`SIGKILL${inProbe ? " in the probe" : ""}${leftState ? ", state left" : ""}${left.folders.length ? ", folder left" : ""}`);
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
      expect(machine(), what).toEqual(before);
      expect(ours(pids), what).toEqual({ folders: [], processes: [] });
    }
    console.log(`conform-kill: ${kills} kills: ${JSON.stringify(hits)}`);
  }, 600_000);
});
