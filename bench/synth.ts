/**
 * The benchmark's sweep and fuzz cases (issue 20): a sweep's scenarios and states per second in
 * one process (beside the one-scenario rate of the mm case), and, under each historical bug-*
 * variant against modern, fuzz's time to its first finding (median of three seeds, each given
 * at most a minute).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findVariant, VARIANTS } from "../model/variant.js";
import { fuzz } from "../synth/fuzz.js";
import { sweep } from "../synth/sweep.js";

const SEEDS = [1, 2, 3];
const FIRST_FIND_SECONDS = 60;

function inTemporaryDir<T>(f: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "mmcheck-bench-"));
  return f(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

export async function sweepCase() {
  const bound = { threads: 2, ops: 1, pages: 1 };
  const s = await inTemporaryDir((outDir) =>
    sweep({ variant: findVariant("modern")!, bound, shard: { k: 1, n: 1 }, outDir, interrupted: () => false }),
  );
  const seconds = s.stats.durationMs / 1000;
  return {
    name: "sweep --threads 2 --ops 1 (modern)",
    scenarios: s.stats.scenarios,
    states: s.stats.states,
    wallMs: s.stats.durationMs,
    scenariosPerSec: Math.round(s.stats.scenarios / seconds),
    statesPerSec: Math.round(s.stats.states / seconds),
  };
}

export async function firstFindCases() {
  const modern = findVariant("modern")!;
  const cases = [];
  for (const variant of VARIANTS.filter((v) => v.name.startsWith("bug-"))) {
    const runs = [];
    for (const seed of SEEDS) {
      const s = await inTemporaryDir((outDir) =>
        fuzz({ variant, against: modern, seed, runs: Number.MAX_SAFE_INTEGER, timeSeconds: FIRST_FIND_SECONDS, untilFound: true, outDir, interrupted: () => false }),
      );
      const f = s.findings[0];
      runs.push(f ? { seed, ms: f.foundMs, invariant: f.invariant, size: f.size } : { seed, ms: null });
    }
    const found = runs.map((r) => r.ms).filter((ms): ms is number => ms !== null).sort((a, b) => a - b);
    // The median of the three, a seed that found nothing counting as longer than any.
    const median = found.length >= 2 ? found[1]! : null;
    cases.push({ variant: variant.name, medianFirstFindMs: median, runs });
  }
  return cases;
}
