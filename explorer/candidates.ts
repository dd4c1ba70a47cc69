/**
 * A run of a level expanded into a chunk of candidates, for this thread to merge in order
 * (explorer/direct.ts): a worker's chunk, or a batch of this thread's own part (BatchExpander).
 * Each candidate is a successor met for the first time in the chunk, with its key.
 */
import { CHANGED, coverageArray, coveredLabels, TAKEN } from "../core/procedure.js";
import type { StateView } from "../core/state-view.js";
import type { Symmetry, TransitionSystem } from "../core/system.js";
import type { Checker, Violation } from "./check.js";
import { expandRange, type Successors } from "./expand.js";
import { widestPacking, type LevelBuffer } from "./level.js";
import { emptyPacking, pack, packStep, repack, widened, type PackedParent, type Packing } from "./packed.js";
import { FingerprintSet } from "./tables.js";

export interface FoundViolation extends Violation {
  /** The key of the transition that broke a step invariant, or that reached the state. */
  readonly key: number;
  /** The candidate that broke a state invariant, or −1 for a step invariant. */
  readonly candidate: number;
}

export interface ChunkResult {
  /** Candidates: [key, hi, lo] each, their states in `states`, at `packing`. */
  meta: Int32Array;
  states: Int32Array;
  packing: Packing;
  nCandidates: number;
  generated: number;
  /** In key order. */
  violations: FoundViolation[];
  /** The first state of the chunk from which no thread could step (deadlock), if any. */
  stuck: (Violation & { pos: number }) | null;
  /**
   * The labels of the steps the chunk took (a chunk expanded apart from the search's own
   * coverage: a worker's, whose step ids are its own), merged with the chunk; [] for a batch,
   * which marks the search's coverage itself.
   */
  covered: string[];
  /** Of those, the labels of the steps that reached code the model counts as changed. */
  changed: string[];
  /** Milliseconds expandChunk took on the thread that ran it (a pool thread's pace, explorer/spread.ts); 0 for a batch. */
  ms: number;
}

/**
 * Shared buffers of chunks already merged, by size (powers of two), for the next chunks'
 * candidates. Fresh memory is zeroed page by page as it is first written: a worker that took a
 * new buffer for each chunk spent a quarter of its time there (split-unmap-xl). The main thread
 * hands a worker's buffers back with its next task (ExpandTask.free), and keeps its own.
 */
const spare = new Map<number, SharedArrayBuffer[]>();
/** Buffers kept of each size at most: more are left to the garbage collector. */
const SPARE_MOST = 32;

function sizeClass(bytes: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(bytes, 64)));
}

/** A shared buffer of at least `bytes`, a spare one if there is one. */
function takeShared(bytes: number): SharedArrayBuffer {
  const size = sizeClass(bytes);
  return spare.get(size)?.pop() ?? new SharedArrayBuffer(size);
}

/** Buffers of chunks this thread has merged, or that came back with a task, kept for takeShared(). */
export function recycle(buffers: readonly ArrayBufferLike[]): void {
  for (const b of buffers) {
    if (!(b instanceof SharedArrayBuffer) || b.byteLength !== sizeClass(b.byteLength)) continue;
    const list = spare.get(b.byteLength);
    if (!list) spare.set(b.byteLength, [b]);
    else if (list.length < SPARE_MOST) list.push(b);
  }
}

/**
 * A chunk's candidates, in buffers that double when full, up to the chunk's worst case (every
 * thread's successor of every state a candidate), their states at the packing the thread's
 * candidates have needed so far.
 * The buffers are shared memory (the result crosses back to the main thread uncopied) of a
 * fixed length: packStep() on views of a growable buffer ran several times slower in a worker
 * (split-unmap-xl, Node 20), and a doubling copies a chunk's candidates once on average.
 */
/** Candidate buffers of finished searches (BatchExpander.release), by state words and transitions; a few of each. */
const spareCandidates = new Map<string, Candidates[]>();
const SPARE_CANDIDATES = 2;
const candidatesKey = (words: number, most: number) => `${words}/${most}`;

class Candidates {
  meta: Int32Array;
  states: Int32Array;
  readonly words: number;
  packing: Packing;
  n = 0;
  private room: number;

  /** `packing`: the one to start at (the candidates' states are much like their parents'). */
  constructor(
    packing: Packing,
    readonly most: number,
    expected: number,
  ) {
    this.words = packing.words;
    this.room = Math.min(most, Math.max(16, expected));
    this.meta = new Int32Array(takeShared(this.room * 12), 0, this.room * 3);
    this.packing = packing;
    this.states = this.statesAt(this.packing);
  }

  push(key: number, hi: number, lo: number, state: Int32Array, parent: PackedParent): void {
    if (this.n === this.room) this.grow();
    const c = 3 * this.n;
    this.meta[c] = key;
    this.meta[c + 1] = hi;
    this.meta[c + 2] = lo;
    // A word too wide for the chunk's packing widens it, and the state is packed again.
    if (!packStep(state, parent, this.states, this.n * this.packing.stride, this.packing)) {
      const packing = widened(this.packing, state);
      const wider = this.statesAt(packing);
      repack(this.states, wider, this.n, this.packing, packing);
      pack(packing, state, wider, this.n * packing.stride);
      recycle([this.states.buffer]);
      this.states = wider;
      this.packing = packing;
    }
    this.n++;
  }

  /** Empties the buffers for another chunk (at the packing reached: the next chunk's states are alike). */
  reset(): void {
    this.n = 0;
  }

  /** A buffer for `room` states at `packing`. */
  private statesAt(packing: Packing): Int32Array {
    const length = Math.max(1, this.room * packing.stride);
    return new Int32Array(takeShared(length * 4), 0, length);
  }

  private grow(): void {
    this.room = Math.min(this.most, this.room * 2);
    const meta = new Int32Array(takeShared(this.room * 12), 0, this.room * 3);
    meta.set(this.meta.subarray(0, 3 * this.n));
    recycle([this.meta.buffer]);
    this.meta = meta;
    const states = this.states;
    this.states = this.statesAt(this.packing);
    this.states.set(states.subarray(0, this.n * this.packing.stride));
    recycle([states.buffer]);
  }
}

/**
 * A worker's successors: each becomes a candidate the first time the chunk finds it, which is
 * at its smallest key in the chunk; its state invariants are checked here, off the main thread.
 */
class CandidateSink<V extends StateView> implements Successors {
  violations: FoundViolation[] = [];
  private readonly seen: FingerprintSet;

  constructor(
    private readonly checker: Checker<V>,
    private readonly threads: number,
    readonly out: Candidates,
    transitions: number,
  ) {
    this.seen = new FingerprintSet(transitions);
  }

  /** Starts another chunk, in the same buffers. */
  reset(): void {
    this.violations = [];
    this.seen.clear();
    this.out.reset();
  }

  violated(v: Violation, key: number): void {
    this.violations.push({ ...v, key, candidate: -1 });
  }

  found(pos: number, t: number, hi: number, lo: number, next: Int32Array, parent: PackedParent): void {
    if (!this.seen.add(hi, lo)) return;
    const key = pos * this.threads + t;
    const v = this.checker.stateAfterStep(next);
    if (v) this.violations.push({ ...v, key, candidate: this.out.n });
    this.out.push(key, hi, lo, next, parent);
  }
}

/**
 * A worker's chunk: states [start, end) of the level expanded into candidates for the merge
 * (known by their canonical forms with `symmetry`, explorer/expand.ts).
 */
export function expandChunk<V extends StateView>(
  system: TransitionSystem<V>,
  checker: Checker<V>,
  level: LevelBuffer,
  start: number,
  end: number,
  symmetry: Symmetry | undefined,
): ChunkResult {
  const t0 = performance.now();
  const transitions = Math.max(1, (end - start) * system.threads);
  // Most states have about one new successor. On shared memory: the result crosses back uncopied.
  const out = new Candidates(widestPacking(level, system.stateWords), transitions, end - start);
  // The chunk's coverage apart: it counts only once the chunk is merged (one expanded ahead may never be).
  const saved = system.coverage;
  const coverage = (system.coverage = coverageArray());
  try {
    const r = expandInto(system, checker, level, start, end, new CandidateSink(checker, system.threads, out, transitions), symmetry);
    r.covered = coveredLabels(coverage, TAKEN);
    r.changed = coveredLabels(coverage, CHANGED);
    r.ms = performance.now() - t0;
    return r;
  } finally {
    system.coverage = saved;
  }
}

/** States [start, end) of the level expanded into the sink's candidates. */
function expandInto<V extends StateView>(
  system: TransitionSystem<V>,
  checker: Checker<V>,
  level: LevelBuffer,
  start: number,
  end: number,
  sink: CandidateSink<V>,
  symmetry: Symmetry | undefined,
): ChunkResult {
  const { generated, stuck } = expandRange(system, checker, level, start, end, sink, symmetry);
  const out = sink.out;
  return { meta: out.meta, states: out.states, packing: out.packing, nCandidates: out.n, generated, violations: sink.violations, stuck, covered: [], changed: [], ms: 0 };
}

/** States of a batch: its candidates' states stay in this thread's L2 cache. */
const BATCH = 256;
/** Models whose states have at most this many words are expanded in batches by default. */
const BATCH_WORDS = 128;

/**
 * States a batch has by default, 0 for one at a time. A batch pays for each candidate a second
 * copy of its state, and the state invariants of the candidates that turn out to be known
 * (a tenth of them); it saves a cache miss for each new state. On this machine the peer model
 * (79 words a state at N = 8) ran 6–8% faster in batches, the mm model's split-unmap-xl (332
 * words, and costlier invariants) 4% slower.
 */
export function defaultBatch(stateWords: number): number {
  return stateWords <= BATCH_WORDS ? BATCH : 0;
}

/**
 * expandChunk for runs of at most `parents` states, again and again into the same buffers:
 * the main thread's own part of a level, in batches that stay in its caches (explorer/direct.ts).
 */
export class BatchExpander<V extends StateView> {
  private readonly sink: CandidateSink<V>;

  constructor(
    private readonly system: TransitionSystem<V>,
    private readonly checker: Checker<V>,
    readonly parents: number,
    private readonly symmetry: Symmetry | undefined,
  ) {
    const transitions = parents * system.threads;
    const out = spareCandidates.get(candidatesKey(system.stateWords, transitions))?.pop() ?? new Candidates(emptyPacking(system.stateWords), transitions, transitions);
    this.sink = new CandidateSink(checker, system.threads, out, transitions);
  }

  /**
   * The search is over: its candidate buffers are kept for the next search of states as wide
   * (a sweep's thousands of small searches would each allocate them afresh).
   */
  release(): void {
    const out = this.sink.out;
    out.reset();
    const key = candidatesKey(out.words, out.most);
    const spare = spareCandidates.get(key) ?? [];
    if (spare.length < SPARE_CANDIDATES) spare.push(out);
    spareCandidates.set(key, spare);
  }

  /** The candidates of states [start, end) of the level; valid until the next call. */
  expand(level: LevelBuffer, start: number, end: number): ChunkResult {
    this.sink.reset();
    return expandInto(this.system, this.checker, level, start, end, this.sink, this.symmetry);
  }
}
