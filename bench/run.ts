/**
 * `npm run bench`: exploration speed and memory, written to bench/results.json with the machine
 * it ran on. The peer model (bench/peer/, ../shared/peer-truncate-race.md) at N = 6, 7, 8 beside
 * SPIN's and TLC's figures, and the mm model's cases: split-unmap-xl and the nightly's big
 * scenarios (bench/nightly/). Each case runs with 1 and 2 workers and with `mmcheck explore`'s
 * default (`auto`), interleaved, each run in a fresh process of its own
 * (bench/case.ts), medians reported: these machines are shared and noisy, so no test asserts a
 * speed. Beside each mm case, in the same rounds, the control: two one-worker runs side by
 * side in two processes, how far the machine itself lets two searches scale (the ceiling of
 * the two-worker speed-up is 2 / its slowdown). Then the memory cases: the peer model at N = 10
 * (28.4M states) once with one worker, and the larger N given with --scale (`npm run bench --
 * --scale 12`: about 2.5·10^8 states). The machine's own speed is measured before and after the
 * speed cases (bench/calibrate.ts). `-- --quick`: one round of the small cases, to check that the
 * benchmark runs (written to --out, by default a file in the system's temporary folder, never
 * bench/results.json).
 */
import { firstFindCases, sweepCase } from "./synth.js";
import { execFile, execFileSync } from "node:child_process";
import { cpus, loadavg, release, totalmem } from "node:os";
import { writeAtomic } from "../base/output.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
  /** The whole process's time from before the model is built, as a user waits for it. */
  wallMs: number;
  /** CPU time of every thread of the process. */
  cpuMs: number;
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

type Workers = number | "auto";

async function once(spec: ModelRef, workers: Workers, symmetry = true): Promise<Run> {
  const { stdout } = await run(process.execPath, [CASE, JSON.stringify(spec), String(workers), ...(symmetry ? [] : ["no-symmetry"])], { maxBuffer: 1 << 20 });
  const r = JSON.parse(stdout) as Run & { verdict: string };
  if (r.verdict !== "pass") throw new Error(`${JSON.stringify(spec)}: ${r.verdict}`);
  return r;
}

/** Two one-worker searches at once, in two processes: the wall time of the slower. */
async function sideBySide(spec: ModelRef, symmetry: boolean): Promise<number> {
  const both = await Promise.all([once(spec, 1, symmetry), once(spec, 1, symmetry)]);
  return Math.max(...both.map((r) => r.wallMs));
}

/** SPIN's pan for the same model, run in turn with mmcheck's cases, with a hash table of 2^hashBits slots. */
interface SpinCase {
  pan: Pan;
  hashBits: number;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * Runs the cases of `workers` alternately, `rounds` times each, after one warm-up of each; in
 * the same turns SPIN, if given, and the control (two one-worker runs side by side), if asked.
 */
async function compare(name: string, spec: ModelRef, rounds: number, opts: { spin?: SpinCase | null; workers?: Workers[]; control?: boolean; symmetry?: boolean } = {}) {
  const { spin = null, workers = [1, 2], control = false, symmetry = true } = opts;
  const runs = new Map<Workers, Run[]>(workers.map((w) => [w, []]));
  const spinRuns: PanRun[] = [];
  const pairs: number[] = [];
  for (const w of workers) await once(spec, w, symmetry);
  spin?.pan.run(spin.hashBits);
  for (let i = 0; i < rounds; i++) {
    for (const w of workers) runs.get(w)!.push(await once(spec, w, symmetry));
    if (spin) spinRuns.push(spin.pan.run(spin.hashBits));
    if (control) pairs.push(await sideBySide(spec, symmetry));
  }
  const summary = (w: Workers) => {
    const rs = runs.get(w)!;
    const wall = median(rs.map((r) => r.wallMs));
    return {
      workers: w,
      medianWallMs: Math.round(wall),
      wallMs: rs.map((r) => Math.round(r.wallMs)),
      medianCpuMs: Math.round(median(rs.map((r) => r.cpuMs))),
      distinctPerSec: Math.round(rs[0]!.distinct / (wall / 1000)),
      generatedPerSec: Math.round(rs[0]!.generated / (wall / 1000)),
      bytesPerStoredState: rs[0]!.bytesPerState,
      peakBytesPerState: perState(Math.max(...rs.map((r) => r.peakBytes)), rs[0]!.distinct),
      peakSearchMB: Math.round(Math.max(...rs.map((r) => r.peakBytes)) / 2 ** 20),
      peakRssMB: Math.round(Math.max(...rs.map((r) => r.rssBytes)) / 2 ** 20),
    };
  };
  for (const w of workers) {
    const rs = runs.get(w)!;
    if (rs.some((r) => r.distinct !== rs[0]!.distinct || r.generated !== runs.get(1)![0]!.generated))
      throw new Error(`${name}: the counts differ between runs (${w} workers)`);
  }
  const one = summary(1);
  const two = summary(2);
  const auto = workers.includes("auto") ? summary("auto") : undefined;
  const controlFigures = control && {
    what: "two one-worker runs side by side in two processes, in the same rounds: the ceiling of the two-worker speed-up is 2 / slowdown",
    sideBySideMs: pairs.map(Math.round),
    slowdown: round2(median(pairs) / one.medianWallMs),
    ceiling: round2((2 * one.medianWallMs) / median(pairs)),
  };
  return {
    name,
    spec,
    symmetry,
    distinctStates: runs.get(1)![0]!.distinct,
    statesGenerated: runs.get(1)![0]!.generated,
    oneWorker: one,
    twoWorkers: two,
    speedup: round2(one.medianWallMs / two.medianWallMs),
    ...(auto ? { defaultWorkers: auto, defaultSpeedup: round2(one.medianWallMs / auto.medianWallMs) } : {}),
    ...(controlFigures ? { control: controlFigures } : {}),
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

const quick = process.argv.includes("--quick");
const arg = (flag: string) => {
  const i = process.argv.indexOf(flag);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const repo = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
/** Rounds of each speed case (after a warm-up of each). */
const ROUNDS = quick ? 1 : 5;

/**
 * The mm model's cases, each with the variant it passes under, and `params` for its size. The
 * benchmark scenarios grow split-unmap, which `modern` stops at finding 001's violation within
 * 10 steps: they run under its proposed fix. The nightly's big scenarios (bench/nightly/, which
 * .github/workflows/nightly.yml runs) at their defaults, 1.1–6.2·10^6 states each; `--quick`
 * runs them shrunk to thousands. split-unmap-xl also without the symmetry reduction of page
 * names (`symmetry: false`: 270,726 states against 7,816), the case of the one-worker target.
 */
interface MmCase {
  readonly scenario: string;
  readonly variant: string;
  readonly params?: Record<string, number>;
  readonly rounds: number;
  readonly symmetry?: false;
}
const NIGHTLY: readonly (Omit<MmCase, "rounds"> & { readonly quick: Record<string, number> })[] = [
  { scenario: "bench/nightly/split-unmap.yaml", variant: "fix-unmap-restore-reserve", quick: { pages: 4 } },
  { scenario: "bench/nightly/alloc-instantiate-race.yaml", variant: "modern", quick: { pages: 4, rounds: 2 } },
  { scenario: "bench/nightly/madv-vs-map.yaml", variant: "modern", quick: { rounds: 6 } },
];
const MM_CASES: readonly MmCase[] = [
  { scenario: "bench/split-unmap-xl.yaml", variant: "fix-unmap-restore-reserve", rounds: ROUNDS },
  { scenario: "bench/split-unmap-xl.yaml", variant: "fix-unmap-restore-reserve", rounds: ROUNDS, symmetry: false },
  ...NIGHTLY.map(({ quick: small, ...c }) => (quick ? { ...c, params: small, rounds: 1 } : { ...c, rounds: 3 })),
];
/**
 * The largest: madv-vs-map grown to 60 rounds (10.6·10^6 states, 25 s a run on one worker), once
 * with 1 and 2 workers, with the memory cases (`--quick`: not run).
 */
/** An mm case's name: its scenario, and the parameters it sets (`pages=8,childFaults=8`). */
function caseName(m: MmCase): string {
  return m.params ? `${m.scenario} ${Object.entries(m.params).map(([k, v]) => `${k}=${v}`).join(",")}` : m.scenario;
}

const MM_SCALE: MmCase = { scenario: "bench/nightly/madv-vs-map.yaml", variant: "modern", params: { rounds: 60 }, rounds: 1 };

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
    // Issue 22: two workers at least 1.3 times one on the mm model, the default never slower than one.
    twoWorkerSpeedup: 1.3,
    bytesPerState: 32,
    mmOneWorkerDistinctPerSec: 500_000,
  },
  note:
    "bytesPerStoredState: visited table + trace store per distinct state; peakSearchMB adds the two BFS levels held at once " +
    "and the workers' chunks not merged yet (peakBytesPerState: the same per distinct state); " +
    "peakRssMB is the whole process's peak resident memory (Node, workers, garbage not yet collected); " +
    "machine.calibration: the machine's speed before and after the speed cases (bench/calibrate.ts), to compare runs on other days; " +
    "wallMs: the whole process from before the model is built, medianCpuMs: all its threads' CPU time; " +
    "defaultWorkers: explore without --workers (auto); control: two one-worker runs side by side in the same rounds, ceiling = 2 / slowdown",
  peer: [] as unknown[],
  mm: [] as unknown[],
  scale: [] as unknown[],
  synth: {} as unknown,
};

const noSpin = spinMissing();
const spinVersion = noSpin ? "" : execFileSync("spin", ["-V"], { encoding: "utf8" }).trim();
if (noSpin) console.log(`SPIN is not run here: ${noSpin}`);
for (const n of quick ? [6] : [6, 7, 8]) {
  const pan = noSpin ? null : new Pan(n);
  // SPIN's hash table does not grow: it is sized for half load at most (mmcheck's runs at 40–80%).
  const spin = pan && { pan, hashBits: Math.ceil(Math.log2(PEER_EXPECTED[n]!.distinct)) + 1 };
  const c = await compare(`peer N=${n}`, { name: "peer", args: { n, bug: false } }, ROUNDS, { spin, control: n === 7, workers: [1, 2, "auto"] }).finally(() => pan?.dispose());
  const expected = PEER_EXPECTED[n]!;
  if (c.distinctStates !== expected.distinct || c.statesGenerated !== expected.transitions)
    throw new Error(`peer N=${n}: ${c.distinctStates} states, ${c.statesGenerated} transitions; expected ${expected.distinct}, ${expected.transitions}`);
  results.peer.push({ ...c, spinHere: c.spinHere ?? { skipped: noSpin }, spin: expected.spin, tlc: expected.tlc });
  const here = c.spinHere ? `SPIN here ${c.spinHere.medianWallMs} ms (${c.spinHere.distinctPerSec}/s)` : "SPIN not run here";
  console.log(
    `${c.name}: 1 worker ${c.oneWorker.medianWallMs} ms (${c.oneWorker.distinctPerSec}/s), 2 workers ${c.twoWorkers.medianWallMs} ms (×${c.speedup}), ` +
      `default ${c.defaultWorkers!.medianWallMs} ms (×${c.defaultSpeedup}), ${c.oneWorker.bytesPerStoredState} B/state; ${here}; peer document: SPIN ${expected.spin}, TLC ${expected.tlc}`,
  );
}
for (const m of MM_CASES) {
  const spec = { name: "mm", args: { scenario: repo(m.scenario), variant: m.variant, ...(m.params && { params: m.params }) } };
  const c = await compare(`${caseName(m)} (${m.variant})${m.symmetry === false ? " without symmetry" : ""}`, spec, m.rounds, {
    workers: [1, 2, "auto"],
    control: true,
    symmetry: m.symmetry ?? true,
  });
  // Recorded relative to the repository, wherever the benchmark ran.
  results.mm.push({ ...c, spec: { ...spec, args: { ...spec.args, scenario: m.scenario } } });
  console.log(
    `${c.name}: ${c.distinctStates} states; 1 worker ${c.oneWorker.medianWallMs} ms (${c.oneWorker.distinctPerSec}/s), 2 workers ${c.twoWorkers.medianWallMs} ms (×${c.speedup}), ` +
      `default ${c.defaultWorkers!.medianWallMs} ms (×${c.defaultSpeedup}); control: two side by side ×${c.control!.slowdown} (ceiling ×${c.control!.ceiling}); ` +
      `${c.oneWorker.bytesPerStoredState} B/state, peak RSS ${c.oneWorker.peakRssMB} MB`,
  );
}

if (!quick) {
  const first = results.mm[0] as { name: string; oneWorker: { distinctPerSec: number } } | undefined;
  const sw = await sweepCase(first && { name: first.name, distinctPerSec: first.oneWorker.distinctPerSec });
  console.log(
    `${sw.name}: ${sw.scenarios} scenarios, ${sw.states} states; 1 worker ${sw.oneWorker.wallMs} ms (${sw.oneWorker.scenariosPerSec} scenarios/s, ${sw.oneWorker.statesPerSec} states/s, ` +
      `${sw.oneWorker.cpuMs} ms CPU), 2 workers ${sw.twoWorkers.wallMs} ms (${sw.twoWorkers.scenariosPerSec} scenarios/s, ×${sw.twoWorkers.speedup})` +
      (sw.oneScenario ? `; one scenario (${sw.oneScenario.name}): ${sw.oneScenario.distinctPerSec} states/s` : ""),
  );
  const firstFind = await firstFindCases();
  for (const c of firstFind)
    console.log(`fuzz ${c.variant} --against modern: first find ${c.medianFirstFindMs ?? "none"} ms, ${c.medianCpuMs ?? "none"} ms CPU (medians of ${c.runs.length} seeds)`);
  results.synth = { sweep: sw, fuzzFirstFind: firstFind };
}
results.machine.calibration.after = calibrate();
console.log(`machine: ${JSON.stringify(results.machine.calibration)}`);

/** A memory case: one run, its time, states and memory. */
async function scaleCase(name: string, spec: ModelRef, workers: number) {
  const r = await once(spec, workers);
  const c = {
    name,
    workers,
    distinctStates: r.distinct,
    statesGenerated: r.generated,
    wallMs: Math.round(r.wallMs),
    cpuMs: Math.round(r.cpuMs),
    distinctPerSec: Math.round(r.distinct / (r.wallMs / 1000)),
    bytesPerStoredState: r.bytesPerState,
    peakBytesPerState: perState(r.peakBytes, r.distinct),
    peakSearchMB: Math.round(r.peakBytes / 2 ** 20),
    peakRssMB: Math.round(r.rssBytes / 2 ** 20),
  };
  results.scale.push(c);
  console.log(
    `${c.name}, ${workers} worker(s): ${c.distinctStates} states in ${c.wallMs} ms (${c.distinctPerSec}/s), peak ${c.peakSearchMB} MB (${c.peakBytesPerState} B/state), RSS ${c.peakRssMB} MB`,
  );
}

const scale = arg("--scale");
for (const n of [...(quick ? [] : [10]), ...(scale !== undefined ? [Number(scale)] : [])])
  await scaleCase(`peer N=${n}`, { name: "peer", args: { n, bug: false } }, 1);
if (!quick) {
  const spec = { name: "mm", args: { scenario: repo(MM_SCALE.scenario), variant: MM_SCALE.variant, params: MM_SCALE.params! } };
  for (const workers of [1, 2]) await scaleCase(`${caseName(MM_SCALE)} (${MM_SCALE.variant})`, spec, workers);
}

const out = arg("--out") ?? (quick ? join(tmpdir(), "mmcheck-bench-quick.json") : repo("bench/results.json"));
writeAtomic(out, [JSON.stringify(results, null, 2) + "\n"], "--out");
console.log(`written to ${out}`);
