/**
 * `npm run bench`: exploration speed and memory, written to bench/results.json with the machine
 * it ran on. The peer model (bench/peer/, ../shared/peer-truncate-race.md) at N = 6, 7, 8 beside
 * SPIN's and TLC's figures, and the largest mm scenario; each with 1 and 2 workers, the two run
 * interleaved, each run in a process of its own (bench/case.ts), medians reported: these machines
 * are shared and noisy, so no test asserts a speed. A control runs two one-worker searches side
 * by side as separate processes: how far the machine itself lets two such searches scale.
 * Then the memory cases: the peer model at N = 10 (28.4M states) once with one worker, and the
 * larger N given with --scale (`npm run bench -- --scale 12`: about 2.5·10^8 states). The
 * machine's own speed is measured before and after the speed cases (bench/calibrate.ts).
 */
import { firstFindCases, sweepCase } from "./synth.js";
import { execFile, execFileSync } from "node:child_process";
import { cpus, loadavg, release, totalmem } from "node:os";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { ModelRef } from "../core/model.js";
import { calibrate } from "./calibrate.js";
import { PEER_COUNTS } from "./peer/counts.js";
import { Pan, spinMissing, type PanRun } from "./peer/spin.js";

/** The peer document's counts, and the peers' times it gives for this machine kind. */
const PEER_EXPECTED: Record<number, { distinct: number; transitions: number; spin: string; tlc: string }> = {
  6: { ...PEER_COUNTS[6]!, spin: "0.19 s (+1.0–1.6 s to generate and compile)", tlc: "10.4 s" },
  7: { ...PEER_COUNTS[7]!, spin: "0.68 s, 1.5M states/s", tlc: "26 s, 39k states/s" },
  8: { ...PEER_COUNTS[8]!, spin: "2.2 s, 1.4M states/s, 463 MB (~150 B/state)", tlc: "78 s, 38k states/s" },
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface Run {
  wallMs: number;
  distinct: number;
  generated: number;
  bytesPerState: number;
  peakBytes: number;
  rssBytes: number;
}

const run = promisify(execFile);

function perState(bytes: number, states: number): number {
  return Math.round((bytes / states) * 10) / 10;
}
const CASE = fileURLToPath(new URL("./case.js", import.meta.url));

async function once(spec: ModelRef, workers: number): Promise<Run> {
  const { stdout } = await run(process.execPath, [CASE, JSON.stringify(spec), String(workers)], { maxBuffer: 1 << 20 });
  const r = JSON.parse(stdout) as Run & { verdict: string };
  if (r.verdict !== "pass") throw new Error(`${JSON.stringify(spec)}: ${r.verdict}`);
  return r;
}

/** Two one-worker searches at once, in two processes: the wall time of each against one alone. */
async function sideBySide(spec: ModelRef) {
  const alone = (await once(spec, 1)).wallMs;
  const both = await Promise.all([once(spec, 1), once(spec, 1)]);
  return {
    aloneMs: Math.round(alone),
    sideBySideMs: both.map((r) => Math.round(r.wallMs)),
    slowdown: Math.round((Math.max(...both.map((r) => r.wallMs)) / alone) * 100) / 100,
  };
}

/** SPIN's pan for the same model, run in turn with mmcheck's cases, with a hash table of 2^hashBits slots. */
interface SpinCase {
  pan: Pan;
  hashBits: number;
}

/**
 * Runs the 1- and 2-worker cases alternately, `rounds` times each, after one warm-up of each;
 * and SPIN in the same turns, if given.
 */
async function compare(name: string, spec: ModelRef, rounds: number, spin: SpinCase | null = null) {
  const runs: Record<1 | 2, Run[]> = { 1: [], 2: [] };
  const spinRuns: PanRun[] = [];
  await once(spec, 1);
  await once(spec, 2);
  spin?.pan.run(spin.hashBits);
  for (let i = 0; i < rounds; i++) {
    for (const w of [1, 2] as const) runs[w].push(await once(spec, w));
    if (spin) spinRuns.push(spin.pan.run(spin.hashBits));
  }
  const summary = (w: 1 | 2) => {
    const rs = runs[w];
    const wall = median(rs.map((r) => r.wallMs));
    return {
      workers: w,
      medianWallMs: Math.round(wall),
      wallMs: rs.map((r) => Math.round(r.wallMs)),
      distinctPerSec: Math.round(rs[0]!.distinct / (wall / 1000)),
      generatedPerSec: Math.round(rs[0]!.generated / (wall / 1000)),
      bytesPerStoredState: rs[0]!.bytesPerState,
      peakBytesPerState: perState(Math.max(...rs.map((r) => r.peakBytes)), rs[0]!.distinct),
      peakSearchMB: Math.round(Math.max(...rs.map((r) => r.peakBytes)) / 2 ** 20),
      peakRssMB: Math.round(Math.max(...rs.map((r) => r.rssBytes)) / 2 ** 20),
    };
  };
  const one = summary(1);
  const two = summary(2);
  return {
    name,
    spec,
    distinctStates: runs[1][0]!.distinct,
    statesGenerated: runs[1][0]!.generated,
    oneWorker: one,
    twoWorkers: two,
    speedup: Math.round((one.medianWallMs / two.medianWallMs) * 100) / 100,
    ...(spin ? { spinHere: spinSummary(spin, spinRuns, one.medianWallMs) } : {}),
  };
}

/** SPIN's runs beside mmcheck's: its counts must be the spec's, as mmcheck's are. */
function spinSummary({ pan, hashBits }: SpinCase, rs: PanRun[], oneWorkerMs: number) {
  const expected = PEER_EXPECTED[pan.n]!;
  const r = rs[0]!;
  if (r.distinct !== expected.distinct || r.transitions !== expected.transitions || r.errors !== 0)
    throw new Error(`SPIN at N=${pan.n}: ${r.distinct} states, ${r.transitions} transitions, ${r.errors} errors; expected ${expected.distinct}, ${expected.transitions}, 0`);
  const wall = median(rs.map((x) => x.wallMs));
  return {
    what: `${spinVersion}, bench/peer/peer.pml, spin -a, gcc -O2 -DSAFETY, pan -w${hashBits}: run here, in turn with mmcheck's runs`,
    generateAndCompileMs: Math.round(pan.buildMs),
    medianWallMs: Math.round(wall),
    wallMs: rs.map((x) => Math.round(x.wallMs)),
    distinctPerSec: Math.round(r.distinct / (wall / 1000)),
    memoryMB: r.memoryMB,
    /** mmcheck's one-worker speed as a fraction of SPIN's, both measured here in the same turns. */
    oneWorkerSpeedAgainstSpin: Math.round((wall / oneWorkerMs) * 100) / 100,
  };
}

const mmLarge = fileURLToPath(new URL("../../bench/split-unmap-xl.yaml", import.meta.url));
const results = {
  date: new Date().toISOString(),
  machine: {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
    calibration: { before: calibrate(), after: null as ReturnType<typeof calibrate> | null },
  },
  targets: {
    peerOneWorkerDistinctPerSec: 1_000_000,
    twoWorkerSpeedup: 1.7,
    bytesPerState: 32,
    mmOneWorkerDistinctPerSec: 300_000,
  },
  note:
    "bytesPerStoredState: visited table + trace store per distinct state; peakSearchMB adds the two BFS levels held at once " +
    "and the workers' chunks not merged yet (peakBytesPerState: the same per distinct state); " +
    "peakRssMB is the whole process's peak resident memory (Node, workers, garbage not yet collected); " +
    "machine.calibration: the machine's speed before and after the speed cases (bench/calibrate.ts), to compare runs on other days",
  peer: [] as unknown[],
  mm: [] as unknown[],
  control: {} as unknown,
  scale: [] as unknown[],
  synth: {} as unknown,
};

const noSpin = spinMissing();
const spinVersion = noSpin ? "" : execFileSync("spin", ["-V"], { encoding: "utf8" }).trim();
if (noSpin) console.log(`SPIN is not run here: ${noSpin}`);
for (const n of [6, 7, 8]) {
  const pan = noSpin ? null : new Pan(n);
  // SPIN's hash table does not grow: it is sized for half load at most (mmcheck's runs at 40–80%).
  const spin = pan && { pan, hashBits: Math.ceil(Math.log2(PEER_EXPECTED[n]!.distinct)) + 1 };
  const c = await compare(`peer N=${n}`, { name: "peer", args: { n, bug: false } }, 5, spin).finally(() => pan?.dispose());
  const expected = PEER_EXPECTED[n]!;
  if (c.distinctStates !== expected.distinct || c.statesGenerated !== expected.transitions)
    throw new Error(`peer N=${n}: ${c.distinctStates} states, ${c.statesGenerated} transitions; expected ${expected.distinct}, ${expected.transitions}`);
  results.peer.push({ ...c, spinHere: c.spinHere ?? { skipped: noSpin }, spin: expected.spin, tlc: expected.tlc });
  const here = c.spinHere ? `SPIN here ${c.spinHere.medianWallMs} ms (${c.spinHere.distinctPerSec}/s)` : "SPIN not run here";
  console.log(`${c.name}: 1 worker ${c.oneWorker.medianWallMs} ms (${c.oneWorker.distinctPerSec}/s), 2 workers ${c.twoWorkers.medianWallMs} ms (×${c.speedup}), ${c.oneWorker.bytesPerStoredState} B/state; ${here}; peer document: SPIN ${expected.spin}, TLC ${expected.tlc}`);
}
// Under the proposed fix of finding 001: `modern` stops split-unmap-xl at its violation in 10 steps.
const mm = await compare("split-unmap-xl (fix-unmap-restore-reserve)", { name: "mm", args: { scenario: mmLarge, variant: "fix-unmap-restore-reserve" } }, 5);
// Recorded relative to the repository, wherever the benchmark ran.
results.mm.push({ ...mm, spec: { ...mm.spec, scenario: "bench/split-unmap-xl.yaml" } });
console.log(`${mm.name}: 1 worker ${mm.oneWorker.medianWallMs} ms (${mm.oneWorker.distinctPerSec}/s), 2 workers ${mm.twoWorkers.medianWallMs} ms (×${mm.speedup}), ${mm.oneWorker.bytesPerStoredState} B/state`);

const sw = await sweepCase();
console.log(`${sw.name}: ${sw.scenarios} scenarios in ${sw.wallMs} ms (${sw.scenariosPerSec} scenarios/s, ${sw.statesPerSec} states/s)`);
const firstFind = await firstFindCases();
for (const c of firstFind) console.log(`fuzz ${c.variant} --against modern: first find ${c.medianFirstFindMs ?? "none"} ms (median of ${c.runs.length} seeds)`);
results.synth = { sweep: sw, fuzzFirstFind: firstFind };

const control = await sideBySide({ name: "peer", args: { n: 7, bug: false } });
results.control = { what: "peer N=7, two one-worker searches in two processes at once", ...control };
console.log(`control: peer N=7 alone ${control.aloneMs} ms, two side by side ${control.sideBySideMs.join(" and ")} ms (×${control.slowdown})`);
results.machine.calibration.after = calibrate();
console.log(`machine: ${JSON.stringify(results.machine.calibration)}`);

const scaleArg = process.argv.indexOf("--scale");
for (const n of [10, ...(scaleArg > 0 ? [Number(process.argv[scaleArg + 1])] : [])]) {
  const r = await once({ name: "peer", args: { n, bug: false } }, 1);
  const c = {
    name: `peer N=${n}`,
    workers: 1,
    distinctStates: r.distinct,
    statesGenerated: r.generated,
    wallMs: Math.round(r.wallMs),
    distinctPerSec: Math.round(r.distinct / (r.wallMs / 1000)),
    bytesPerStoredState: r.bytesPerState,
    peakBytesPerState: perState(r.peakBytes, r.distinct),
    peakSearchMB: Math.round(r.peakBytes / 2 ** 20),
    peakRssMB: Math.round(r.rssBytes / 2 ** 20),
  };
  results.scale.push(c);
  console.log(`${c.name}: ${c.distinctStates} states in ${c.wallMs} ms (${c.distinctPerSec}/s), peak ${c.peakSearchMB} MB (${c.peakBytesPerState} B/state), RSS ${c.peakRssMB} MB`);
}

const out = fileURLToPath(new URL("../../bench/results.json", import.meta.url));
writeFileSync(out, JSON.stringify(results, null, 2) + "\n");
console.log(`written to ${out}`);
