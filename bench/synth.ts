/**
 * The benchmark's sweep and fuzz cases (issue 20): a sweep's scenarios and states per second on
 * one thread and on two (beside the one-scenario rate of the mm case), and, under each historical bug-*
 * variant against modern, fuzz's time to its first finding on the variant's own invariant (the
 * one its shipped scenarios expect), median of three seeds each given at most FIRST_FIND_SECONDS
 * of CPU time, with the shrunk scenario's size beside the smallest shipped scenario that finds
 * the bug.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { findVariant, VARIANTS } from "../model/variant.js";
import { loadScenario, shippedScenarios } from "../scenarios/load.js";
import { fuzz } from "../synth/fuzz.js";
import { sweep } from "../synth/sweep.js";

const SEEDS = [1, 2, 3];
/**
 * Each seed's cap, in CPU seconds of this process (a loaded machine gives a run less of the wall
 * clock, not less of the CPU): 15 variants × 3 seeds stay within about 15 minutes.
 */
const FIRST_FIND_SECONDS = 20;

/** CPU time of this process, every thread, in ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function inTemporaryDir<T>(f: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "mmcheck-bench-"));
  return f(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

/** A sweep of the bound on `workers` threads: its counts, wall time and the process's CPU time (every thread's). */
async function timedSweep(workers: number) {
  const bound = { threads: 2, ops: 1, pages: 1 };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const s = await inTemporaryDir((outDir) => sweep({ variant: findVariant("modern")!, bound, shard: { k: 1, n: 1 }, outDir, interrupted: () => false, workers }));
  const wallMs = Math.round(performance.now() - t0);
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = Math.round((cpu.user + cpu.system) / 1000);
  return { s, workers, wallMs, cpuMs, scenariosPerSec: Math.round(s.stats.scenarios / (wallMs / 1000)), statesPerSec: Math.round(s.stats.states / (wallMs / 1000)) };
}

/**
 * A sweep's scenarios and states per second, on one thread and on two (blocks of scenarios on a
 * pool, synth/pool.ts), beside `oneScenario`: the states per second of one search (an mm case).
 */
export async function sweepCase(oneScenario?: { readonly name: string; readonly distinctPerSec: number }) {
  const one = await timedSweep(1);
  const two = await timedSweep(2);
  const rates = ({ workers, wallMs, cpuMs, scenariosPerSec, statesPerSec }: Awaited<ReturnType<typeof timedSweep>>) => ({ workers, wallMs, cpuMs, scenariosPerSec, statesPerSec });
  return {
    name: "sweep --threads 2 --ops 1 (modern)",
    scenarios: one.s.stats.scenarios,
    states: one.s.stats.states,
    oneWorker: rates(one),
    twoWorkers: { ...rates(two), speedup: Math.round((100 * one.wallMs) / two.wallMs) / 100 },
    ...(oneScenario && { oneScenario }),
  };
}

/** A scenario's size as findings count it, with its pages (huge and 4 KiB) and files. */
interface Size {
  readonly threads: number;
  readonly ops: number;
  readonly pages: number;
  readonly files: number;
}

type Sized = { threads?: { ops: unknown[] }[]; files?: { pages: number }[]; files4k?: { pages: number }[] };

function sizeOf(file: Sized): Size {
  const threads = file.threads ?? [];
  const files = [...(file.files ?? []), ...(file.files4k ?? [])];
  return { threads: threads.length, ops: threads.reduce((n, t) => n + t.ops.length, 0), pages: files.reduce((n, f) => n + f.pages, 0), files: files.length };
}

/** The shipped scenarios whose expect names the variant failing: its invariant, and the smallest one's name and size. */
function shippedFinding(variant: string): { invariant: string; scenario: string; size: Size } | undefined {
  let best: { invariant: string; scenario: string; size: Size } | undefined;
  for (const name of shippedScenarios()) {
    const s = loadScenario(name);
    const e = s.expect[variant];
    if (typeof e !== "object" || e.verdict !== "violation") continue;
    // Its operations as run: a `repeat` counts as what it repeats.
    const ops = s.config.threads.reduce((n, t) => n + t.ops.length, 0);
    const size = { ...sizeOf(parse(readFileSync(s.source, "utf8")) as Sized), ops };
    if (!best || size.ops < best.size.ops || (size.ops === best.size.ops && size.threads < best.size.threads)) best = { invariant: e.invariant, scenario: name, size };
  }
  return best;
}

export async function firstFindCases() {
  const modern = findVariant("modern")!;
  const cases = [];
  for (const variant of VARIANTS.filter((v) => v.name.startsWith("bug-"))) {
    const shipped = shippedFinding(variant.name);
    const runs = [];
    for (const seed of SEEDS) {
      const run = await inTemporaryDir(async (outDir) => {
        const start = cpuMs();
        const s = await fuzz({
          variant,
          against: modern,
          seed,
          runs: Number.MAX_SAFE_INTEGER,
          untilFound: true,
          ...(shipped && { untilInvariant: shipped.invariant }),
          outDir,
          // The cap: a stop signal once the run has had its CPU time.
          interrupted: () => cpuMs() - start > FIRST_FIND_SECONDS * 1000,
        });
        // The run's CPU time, the find's shrinking included: a figure the machine's load changes less than the wall clock's.
        const cpu = Math.round(cpuMs() - start);
        const f = s.findings.find((x) => !shipped || x.invariant === shipped.invariant);
        // Scenarios searched up to the find (shrinking's are not counted): a figure the machine's load does not change.
        return f
          ? { seed, ms: f.foundMs, cpuMs: cpu, scenarios: s.stats.scenarios, invariant: f.invariant, size: sizeOf(parse(readFileSync(join(outDir, f.scenario), "utf8")) as Sized) }
          : { seed, ms: null, cpuMs: cpu, scenarios: s.stats.scenarios };
      });
      runs.push(run);
    }
    // The median of the three, a seed that found nothing counting as longer than any.
    const median = (ms: (number | null)[]) => {
      const found = ms.filter((x): x is number => x !== null).sort((a, b) => a - b);
      return found.length >= 2 ? found[1]! : null;
    };
    cases.push({
      variant: variant.name,
      invariant: shipped?.invariant ?? null,
      shipped: shipped ?? null,
      medianFirstFindMs: median(runs.map((r) => r.ms)),
      medianCpuMs: median(runs.map((r) => (r.ms === null ? null : r.cpuMs))),
      capCpuSeconds: FIRST_FIND_SECONDS,
      runs,
    });
  }
  return cases;
}
