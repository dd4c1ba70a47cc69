/**
 * `npm run bench`: exploration speed and memory on a scaled-up scenario, written to
 * bench/results.json with the machine it ran on. Medians of several runs after a warm-up: these
 * machines are shared and noisy, so no test asserts a speed.
 */
import { cpus, freemem, release, totalmem } from "node:os";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { explore } from "../explorer/bfs.js";
import { INVARIANTS } from "../invariants/index.js";
import { Machine } from "../model/machine.js";
import { findVariant } from "../model/variant.js";
import { loadScenario } from "../scenarios/load.js";

const RUNS = 7;
const TARGET_DISTINCT_PER_SEC = 300_000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function benchScenario(file: string, variant: string) {
  const scenario = loadScenario(fileURLToPath(new URL(`../../bench/${file}`, import.meta.url)));
  const machine = new Machine(scenario.config, findVariant(variant)!);
  explore(machine, INVARIANTS); // warm-up: let the JIT settle
  const runs: { ms: number; distinct: number; generated: number; bytesPerState: number; rssMB: number }[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = explore(machine, INVARIANTS);
    runs.push({
      ms: r.stats.durationMs,
      distinct: r.stats.distinctStates,
      generated: r.stats.statesGenerated,
      bytesPerState: r.stats.bytesPerState,
      rssMB: Math.round(process.memoryUsage().rss / 2 ** 20),
    });
  }
  const ms = median(runs.map((r) => r.ms));
  const distinct = runs[0]!.distinct;
  const distinctPerSec = Math.round(distinct / (ms / 1000));
  return {
    name: scenario.name,
    variant,
    stateWords: machine.stateWords,
    runs: RUNS,
    distinctStates: distinct,
    statesGenerated: runs[0]!.generated,
    medianMs: ms,
    runMs: runs.map((r) => r.ms),
    distinctPerSec,
    generatedPerSec: Math.round(runs[0]!.generated / (ms / 1000)),
    bytesPerStoredState: runs[0]!.bytesPerState,
    peakRssMB: Math.max(...runs.map((r) => r.rssMB)),
    target: { distinctPerSec: TARGET_DISTINCT_PER_SEC, met: distinctPerSec >= TARGET_DISTINCT_PER_SEC },
  };
}

const results = {
  date: new Date().toISOString(),
  machine: {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    freeMemoryGiB: Math.round(freemem() / 2 ** 30),
    kernel: release(),
    node: process.version,
  },
  note: "one worker (in-process BFS); bytesPerStoredState counts the visited table and the trace store, not the BFS frontier",
  benchmarks: [benchScenario("split-unmap-large.yaml", "modern")],
};
const out = fileURLToPath(new URL("../../bench/results.json", import.meta.url));
writeFileSync(out, JSON.stringify(results, null, 2) + "\n");
for (const b of results.benchmarks)
  console.log(
    `${b.name} (${b.variant}): ${b.distinctStates} distinct, ${b.statesGenerated} generated, median ${b.medianMs} ms: ` +
      `${b.distinctPerSec} distinct/s, ${b.generatedPerSec} generated/s, ${b.bytesPerStoredState} B/state, peak RSS ${b.peakRssMB} MB` +
      ` (target ${b.target.distinctPerSec}/s: ${b.target.met ? "met" : "NOT met"})`,
);
console.log(`written to ${out}`);
