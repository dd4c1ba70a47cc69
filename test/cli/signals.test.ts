/**
 * Nothing lost on a stop (cli/signals.ts): SIGINT, SIGTERM and SIGHUP at any moment of
 * `mmcheck explore` — from the moment the command catches them, while mmcheck is still loading,
 * through the search, to the writing of its files — end with exit 3 and a valid partial report
 * (or, if the search was already over, its full result), and with --checkpoint a checkpoint of
 * the last complete level that resumes to the uninterrupted result. Never a death by the
 * signal, a stack, a half-written or temporary file.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { ExploreResult } from "../../explorer/options.js";
import { exploreRef } from "../helpers/search.js";
import { readCheckpoint } from "../../explorer/checkpoint.js";
import { ReportSchema } from "../../reports/schema.js";
import { stopSignalsCaught } from "../helpers/signals.js";

const MAIN = join(import.meta.dirname, "../../dist/cli/main.js");
/**
 * A scenario of about 0.4 s of search here, after about 0.5 s of loading: a signal at a random
 * moment lands in any phase, and sixty runs take well under a minute on two cores.
 */
const GROW = join(import.meta.dirname, "../../bench/truncate-race-grow.yaml");
const SCENARIO = ["--scenario", GROW, "--params", "pages=3,faults=4"];
const SPEC = { name: "mm", args: { scenario: GROW, variant: "modern", params: { pages: 3, faults: 4 } } };
const root = mkdtempSync(join(tmpdir(), "mmcheck-signals-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const jsonSchema = z.fromJSONSchema(JSON.parse(readFileSync(join(import.meta.dirname, "../../reports/report.schema.json"), "utf8")));

type Sig = "SIGINT" | "SIGTERM" | "SIGHUP";

interface Ended {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Starts `mmcheck explore`, waits until the process catches the stop signals (its SigCgt in
 * /proc: the earliest moment a signal can be handled), then sends `signals`, each `after` its
 * own delay in ms from that moment. Fails if the process ended without ever catching them.
 */
async function stopped(args: readonly string[], cwd: string, signals: readonly [Sig, number][]): Promise<Ended> {
  const child = spawn(process.execPath, [MAIN, "explore", ...args, "--no-progress"], { cwd });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const ended = new Promise<Ended>((resolve) => child.on("close", (status, signal) => resolve({ status, signal, stdout, stderr })));
  const caught = await stopSignalsCaught(child);
  expect(caught, `the process ended without catching the stop signals: ${stderr}`).toBe(true);
  const t0 = performance.now();
  for (const [sig, at] of signals) {
    await sleep(Math.max(0, at - (performance.now() - t0)));
    child.kill(sig);
  }
  return ended;
}

function counts(verdict: string, s: { distinctStates: number; statesGenerated: number; maxDepth: number }) {
  return [verdict, s.distinctStates, s.statesGenerated, s.maxDepth];
}

let whole: ExploreResult;
beforeAll(async () => {
  whole = await exploreRef(SPEC, 1);
});

/**
 * The outcome of a run stopped by `signal`: exit 3 with a valid partial report naming the
 * signal, or exit 0 with the full result if the search was over; the files it leaves. Returns
 * the checkpoint's path if one was written.
 */
function expectValidOutcome(r: Ended, cwd: string, signal: Sig, opts: { report?: string; checkpoint?: string }, label: string): string | undefined {
  expect(r.signal, `${label}: killed by ${r.signal}: ${r.stderr}`).toBe(null);
  expect([0, 3], `${label}: exit ${r.status}: ${r.stderr}`).toContain(r.status);
  expect(r.stderr, label).not.toMatch(/internal error|\n\s+at /);
  const reportPath = opts.report ?? "mmcheck-report.json";
  const files = readdirSync(cwd);
  expect(files.filter((f) => ![reportPath, opts.checkpoint].includes(f)), `${label}: ${files}`).toEqual([]);
  if (r.status === 3) {
    expect(r.stdout, label).toContain(`incomplete (stopped by ${signal}; nothing violated so far)`);
    const raw = JSON.parse(readFileSync(join(cwd, reportPath), "utf8"));
    expect(jsonSchema.safeParse(raw).success, label).toBe(true);
    const report = ReportSchema.parse(raw);
    expect(report, label).toMatchObject({ verdict: "incomplete", bound: "interrupted" });
    expect(report.stats.distinctStates, label).toBeLessThanOrEqual(whole.stats.distinctStates);
    if (opts.checkpoint) expect(existsSync(join(cwd, opts.checkpoint)), `${label}: no checkpoint`).toBe(true);
  } else {
    expect(r.stdout, label).toContain("pass (exhaustive; every invariant held)");
    if (opts.report) {
      const report = ReportSchema.parse(JSON.parse(readFileSync(join(cwd, opts.report), "utf8")));
      expect(counts(report.verdict, report.stats), label).toEqual(counts(whole.verdict, whole.stats));
    } else expect(files, label).not.toContain("mmcheck-report.json");
  }
  return r.status === 3 && opts.checkpoint ? join(cwd, opts.checkpoint) : undefined;
}

/** Resumes each checkpoint (once per depth: a level's checkpoint is always the same) and checks the uninterrupted result. */
async function expectResumable(checkpoints: readonly string[]): Promise<void> {
  const byDepth = new Map<number, number>();
  for (const path of checkpoints) {
    const ck = readCheckpoint(path);
    const size = byDepth.get(ck.header.depth);
    if (size !== undefined) {
      expect(ck.header.tableSize, path).toBe(size);
      continue;
    }
    byDepth.set(ck.header.depth, ck.header.tableSize);
    const resumed = await exploreRef(SPEC, 1, { resume: ck });
    expect(counts(resumed.verdict, resumed.stats), path).toEqual(counts(whole.verdict, whole.stats));
  }
}

describe("a stop signal at the first moment", () => {
  it.each(["SIGINT", "SIGTERM", "SIGHUP"] as const)("%s: exit 3, the default report, a checkpoint of depth 0 that resumes", async (sig) => {
    const cwd = mkdtempSync(join(root, "first-"));
    const r = await stopped([...SCENARIO, "--workers", "2", "--checkpoint", "c.ckpt"], cwd, [[sig, 0]]);
    expect(r.status, r.stderr).toBe(3);
    const checkpoint = expectValidOutcome(r, cwd, sig, { checkpoint: "c.ckpt" }, sig)!;
    // Caught while mmcheck was still loading: the search stopped before its first level.
    expect(readCheckpoint(checkpoint).header.depth).toBe(0);
    await expectResumable([checkpoint]);
  });
});

describe("more signals while the files are written", () => {
  it("a second signal changes nothing: exit 3, the report and the checkpoint whole", async () => {
    const cwd = mkdtempSync(join(root, "second-"));
    const opts = { report: "r.json", checkpoint: "c.ckpt" };
    const r = await stopped([...SCENARIO, "--workers", "1", "--report", "r.json", "--checkpoint", "c.ckpt"], cwd, [
      ["SIGINT", 700],
      ["SIGINT", 760],
    ]);
    const checkpoint = expectValidOutcome(r, cwd, "SIGINT", opts, "second");
    if (checkpoint) await expectResumable([checkpoint]);
  });

  it("a third exits at once with 128 + its number, leaving no temporary or half-written file", async () => {
    const cwd = mkdtempSync(join(root, "third-"));
    const r = await stopped([...SCENARIO, "--workers", "1", "--report", "r.json", "--checkpoint", "c.ckpt"], cwd, [
      // From the first moment the signals are caught: the search cannot be over before them
      // (at 600 ms, a quiet machine had finished it, and exit 0 was right).
      ["SIGTERM", 0],
      ["SIGTERM", 1],
      ["SIGTERM", 2],
    ]);
    expect(r.signal).toBe(null);
    expect([3, 128 + 15], r.stderr).toContain(r.status);
    expect(readdirSync(cwd).filter((f) => !["r.json", "c.ckpt"].includes(f))).toEqual([]);
    if (existsSync(join(cwd, "r.json"))) ReportSchema.parse(JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")));
    if (existsSync(join(cwd, "c.ckpt"))) await expectResumable([join(cwd, "c.ckpt")]);
  });
});

describe("stop signals at random moments", () => {
  const seed = Number(process.env.MMCHECK_SIGNAL_SEED ?? Math.floor(Math.random() * 2 ** 31));
  /** mulberry32: the runs of a seed can be repeated (MMCHECK_SIGNAL_SEED). */
  let x = seed;
  const random = () => {
    x = (x + 0x6d2b79f5) | 0;
    let t = Math.imul(x ^ (x >>> 15), 1 | x);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const RUNS = 60;
  const AT_ONCE = 2;

  it(`${RUNS} runs, with and without --checkpoint, one or two workers: exit 0 or 3 and valid files every time (seed from MMCHECK_SIGNAL_SEED or random)`, async () => {
    const checkpoints: string[] = [];
    const stops = { 0: 0, 3: 0 } as Record<number, number>;
    const run = async (i: number) => {
      const sig = (["SIGINT", "SIGTERM", "SIGHUP", "SIGINT", "SIGTERM"] as const)[Math.floor(random() * 5)]!;
      // From the first moment to past the end of a typical run here (about 1 s).
      const at = Math.floor(random() * 1200);
      const signals: [Sig, number][] = [[sig, at]];
      if (random() < 0.25) signals.push([sig, at + Math.floor(random() * 150)]);
      const opts = { report: random() < 0.5 ? "r.json" : undefined, checkpoint: i % 2 === 0 ? "c.ckpt" : undefined };
      const args = [...SCENARIO, "--workers", String(1 + (i % 3 === 0 ? 1 : 0))];
      if (opts.report) args.push("--report", opts.report);
      if (opts.checkpoint) args.push("--checkpoint", opts.checkpoint);
      const cwd = mkdtempSync(join(root, `random-${i}-`));
      const label = `seed ${seed}, run ${i}: ${signals.map(([s, t]) => `${s}@${t}ms`).join(" ")} ${args.join(" ")}`;
      const r = await stopped(args, cwd, signals);
      const checkpoint = expectValidOutcome(r, cwd, sig, opts, label);
      stops[r.status!]!++;
      if (checkpoint) checkpoints.push(checkpoint);
    };
    let next = 0;
    await Promise.all(
      Array.from({ length: AT_ONCE }, async () => {
        while (next < RUNS) await run(next++);
      }),
    );
    // Most runs are stopped (the delays mostly fall within a run), with and without checkpoints.
    expect(stops[3]!, `seed ${seed}`).toBeGreaterThan(RUNS / 3);
    expect(checkpoints.length, `seed ${seed}`).toBeGreaterThan(RUNS / 6);
    await expectResumable(checkpoints);
  });
});
