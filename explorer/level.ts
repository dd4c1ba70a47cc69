/**
 * A breadth-first level as it is stored (chunks of fingerprints and states), and the loop that
 * expands a run of it: by this thread straight into the next level (explorer/direct.ts), or
 * into a chunk of candidates that this thread merges — a worker's chunk, after this thread's
 * own part, or a batch of that part (BatchExpander). Either way
 * the next level holds each new state once, in the order of its smallest key — (position of
 * its parent in this level, thread that moved) — the order a sequential search finds them in;
 * violations are chosen by the same key, so the counterexample does not depend on the workers.
 */
import type { StateView } from "../model/state-view.js";
import type { Checker, Violation } from "./check.js";
import { pack, packStep, repack, strideOf, unpack, widthOf, type PackedParent, type Width } from "./packed.js";
import { FingerprintSet, growableBuffer } from "./tables.js";
import type { TransitionSystem } from "./system.js";

/**
 * A run of a level's entries, stored together: each state's fingerprint (hi, lo) in `fps` and
 * its words in `states`, packed at the chunk's width (explorer/packed.ts). The models' words
 * are small numbers, so most chunks take a byte a word.
 */
export interface LevelChunk {
  /** Level position of the first entry. */
  readonly first: number;
  readonly count: number;
  readonly fps: Int32Array;
  readonly states: Int32Array;
  readonly width: Width;
}

/** A level: its chunks in order, back to back in level positions. */
export interface LevelBuffer {
  readonly chunks: readonly LevelChunk[];
  readonly count: number;
}

export function levelBytes(level: LevelBuffer): number {
  return level.chunks.reduce((n, c) => n + c.fps.byteLength + c.states.byteLength, 0);
}

/** The index of the chunk holding level position `pos`. */
export function chunkOf(chunks: readonly LevelChunk[], pos: number): number {
  let lo = 0;
  let hi = chunks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (chunks[mid]!.first <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Copies entry i of the chunk's states into `out`. */
export function readState(chunk: LevelChunk, i: number, out: Int32Array): void {
  unpack(chunk.states, i * strideOf(out.length, chunk.width), chunk.width, out);
}

function newBuffer(bytes: number, shared: boolean): SharedArrayBuffer | ArrayBuffer {
  return shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
}

/**
 * The buffers of a search's level chunks (shared memory when workers read them). A dropped
 * level's full-size chunk buffers are kept and handed to the next level's chunks: a fresh
 * buffer is zeroed page by page as it is first written, about 2 µs a 4 KiB page on this
 * machine's VM, 4% of the peer model's search at N = 8.
 */
export class ChunkBuffers {
  private readonly free = new Map<number, (SharedArrayBuffer | ArrayBuffer)[]>();
  /** Sizes of the buffers kept when a level is dropped: the chunks LevelWriter.push fills. */
  private readonly kept = new Set<number>();
  /** Bytes held for reuse. */
  bytes = 0;

  constructor(readonly shared: boolean) {}

  /** A buffer of `bytes`; one of a size that `reused` marks is kept when its level is dropped. */
  take(bytes: number, reused = false): SharedArrayBuffer | ArrayBuffer {
    if (reused) this.kept.add(bytes);
    const b = this.free.get(bytes)?.pop();
    if (!b) return newBuffer(bytes, this.shared);
    this.bytes -= bytes;
    return b;
  }

  /**
   * The level is dropped: its chunks' buffers of the sizes kept are kept for take(), up to
   * `most` bytes held in all (about what the next level will need: more would only raise the
   * search's peak as levels shrink).
   */
  release(level: LevelBuffer, most: number): void {
    for (const c of level.chunks)
      for (const b of [c.fps.buffer, c.states.buffer]) {
        if (!this.kept.has(b.byteLength) || this.bytes + b.byteLength > most) continue;
        const list = this.free.get(b.byteLength);
        if (list) list.push(b);
        else this.free.set(b.byteLength, [b]);
        this.bytes += b.byteLength;
      }
  }
}

/** A level of one chunk: `count` entries of `words + 2` words each (hi, lo, state), as checkpoints keep them. */
export function levelFrom(entries: Int32Array, count: number, words: number, shared: boolean): LevelBuffer {
  const fps = new Int32Array(newBuffer(Math.max(1, 2 * count) * 4, shared));
  let width: Width = 1;
  for (let p = 0; p < count; p++) {
    const o = p * (words + 2);
    fps[2 * p] = entries[o]!;
    fps[2 * p + 1] = entries[o + 1]!;
    width = Math.max(width, widthOf(entries.subarray(o + 2, o + 2 + words))) as Width;
  }
  const stride = strideOf(words, width);
  const states = new Int32Array(newBuffer(Math.max(1, count * stride) * 4, shared));
  for (let p = 0; p < count; p++) pack(entries.subarray(p * (words + 2) + 2, (p + 1) * (words + 2)), states, p * stride, width);
  return { chunks: [{ first: 0, count, fps, states, width }], count };
}

/**
 * Writes a level entry by entry, in chunks of `capacity` entries, each chunk's states at the
 * narrowest width that holds all of them (explorer/direct.ts builds the next level with it).
 */
export class LevelWriter {
  readonly chunks: LevelChunk[] = [];
  count = 0;
  private fps: Int32Array = new Int32Array(0);
  private states: Int32Array = new Int32Array(0);
  private width: Width = 1;
  /** Whether a chunk is being pushed to, and its entries. */
  private open = false;
  private n = 0;
  /** A state unpacked on its way to another width. */
  private readonly scratch: Int32Array;

  constructor(
    private readonly words: number,
    private readonly capacity: number,
    private readonly buffers: ChunkBuffers,
  ) {
    this.scratch = new Int32Array(words);
  }

  /** Bytes held: the chunks written and the one being written. */
  get bytes(): number {
    return levelBytes(this) + (this.open ? this.fps.byteLength + this.states.byteLength : 0);
  }

  /** Calls `f` with each entry's fingerprint, the chunk being written included. */
  forEachFingerprint(f: (hi: number, lo: number) => void): void {
    for (const c of this.chunks) for (let i = 0; i < c.count; i++) f(c.fps[2 * i]!, c.fps[2 * i + 1]!);
    if (this.open) for (let i = 0; i < this.n; i++) f(this.fps[2 * i]!, this.fps[2 * i + 1]!);
  }

  /** Appends a state stepped from `parent`. */
  push(hi: number, lo: number, state: Int32Array, parent: PackedParent): void {
    if (!this.open || this.n === this.capacity) this.start();
    this.fps[2 * this.n] = hi;
    this.fps[2 * this.n + 1] = lo;
    const words = this.words;
    const at = this.n * strideOf(words, this.width);
    const width = packStep(state, parent, this.states, at, this.width);
    if (width > this.width) {
      this.widen(width);
      pack(state, this.states, this.n * strideOf(words, width), width);
    }
    this.n++;
    this.count++;
  }

  /**
   * Appends the candidates `kept[0…n)` of a chunk of candidates: their fingerprints from `meta`
   * ([key, hi, lo] each) and their states from `states`, packed at `width`.
   */
  append(meta: Int32Array, states: Int32Array, width: Width, kept: Int32Array, n: number): void {
    const words = this.words;
    const from = strideOf(words, width);
    for (let j = 0; j < n; ) {
      if (!this.open || this.n === this.capacity) this.start();
      if (width > this.width) this.widen(width);
      // A run of candidates kept one after another, as far as the chunk has room, is copied in one.
      let run = 1;
      while (j + run < n && this.n + run < this.capacity && kept[j + run] === kept[j]! + run) run++;
      const i = kept[j]!;
      for (let r = 0; r < run; r++) {
        this.fps[2 * (this.n + r)] = meta[3 * (i + r) + 1]!;
        this.fps[2 * (this.n + r) + 1] = meta[3 * (i + r) + 2]!;
      }
      if (width === this.width) this.states.set(states.subarray(i * from, (i + run) * from), this.n * from);
      else
        for (let r = 0; r < run; r++) {
          unpack(states, (i + r) * from, width, this.scratch);
          pack(this.scratch, this.states, (this.n + r) * strideOf(words, this.width), this.width);
        }
      this.n += run;
      this.count += run;
      j += run;
    }
  }

  /** Packs the open chunk's states again at the wider `width`. */
  private widen(width: Width): void {
    const wider = new Int32Array(this.buffers.take(this.capacity * strideOf(this.words, width) * 4, true));
    repack(this.states, wider, this.n, this.words, this.width, width);
    this.states = wider;
    this.width = width;
  }

  /** The entries in sealed chunks, which stay as they are: all but the chunk being pushed to. */
  sealed(): LevelBuffer {
    return { chunks: this.chunks, count: this.open ? this.count - this.n : this.count };
  }

  /** The level written. */
  finish(): LevelBuffer {
    this.seal();
    return { chunks: this.chunks, count: this.count };
  }

  /** Starts a chunk to push to. */
  private start(): void {
    this.seal();
    this.fps = new Int32Array(this.buffers.take(this.capacity * 8, true));
    this.states = new Int32Array(this.buffers.take(this.capacity * strideOf(this.words, 1) * 4, true));
    this.width = 1;
    this.n = 0;
    this.open = true;
  }

  /** Ends the chunk being pushed to, if any. */
  private seal(): void {
    if (this.open && this.n > 0) this.chunks.push({ first: this.count - this.n, count: this.n, fps: this.fps, states: this.states, width: this.width });
    this.open = false;
  }
}

export interface FoundViolation extends Violation {
  /** The key of the transition that broke a step invariant, or that reached the state. */
  readonly key: number;
  /** The candidate that broke a state invariant, or −1 for a step invariant. */
  readonly candidate: number;
}

export interface ChunkResult {
  /** Candidates: [key, hi, lo] each, their states in `states`, packed at `width`. */
  meta: Int32Array;
  states: Int32Array;
  width: Width;
  nCandidates: number;
  generated: number;
  /** In key order. */
  violations: FoundViolation[];
  /** The first state of the chunk from which no thread could step (deadlock), if any. */
  stuck: (Violation & { pos: number }) | null;
}

/**
 * A chunk's candidates, in buffers that lengthen in place up to the chunk's worst case (every
 * thread's successor of every state a candidate), their states in the narrowest width so far.
 */
class Candidates {
  meta: Int32Array;
  states: Int32Array;
  width: Width = 1;
  n = 0;
  private room: number;
  /** The states buffer of each width used so far: reset() goes back to the narrowest. */
  private readonly byWidth = new Map<Width, Int32Array>();

  constructor(
    private readonly words: number,
    private readonly most: number,
    expected: number,
  ) {
    this.room = Math.min(most, Math.max(16, expected));
    this.meta = new Int32Array(growableBuffer(this.room * 12, most * 12), 0, this.room * 3);
    this.states = this.statesAt(1);
  }

  push(key: number, hi: number, lo: number, state: Int32Array, parent: PackedParent): void {
    if (this.n === this.room) this.grow();
    const c = 3 * this.n;
    this.meta[c] = key;
    this.meta[c + 1] = hi;
    this.meta[c + 2] = lo;
    // A word too wide for the chunk's width widens the chunk, and the state is packed again.
    const at = this.n * strideOf(this.words, this.width);
    const width = packStep(state, parent, this.states, at, this.width);
    if (width > this.width) {
      const wider = this.statesAt(width);
      repack(this.states, wider, this.n, this.words, this.width, width);
      pack(state, wider, this.n * strideOf(this.words, width), width);
      this.states = wider;
      this.width = width;
    }
    this.n++;
  }

  /** Empties the buffers for another chunk. */
  reset(): void {
    this.n = 0;
    if (this.width !== 1) this.states = this.statesAt(1);
    this.width = 1;
  }

  /** A buffer for `room` states at `width`, that can lengthen to `most`. */
  private statesAt(width: Width): Int32Array {
    const stride = strideOf(this.words, width);
    let b = this.byWidth.get(width);
    if (!b || b.length < this.room * stride) {
      const buffer = (b?.buffer as SharedArrayBuffer | undefined) ?? growableBuffer(this.room * stride * 4, this.most * stride * 4);
      if (buffer.byteLength < this.room * stride * 4) buffer.grow(this.room * stride * 4);
      b = new Int32Array(buffer, 0, this.room * stride);
      this.byWidth.set(width, b);
    }
    return b;
  }

  private grow(): void {
    this.room = Math.min(this.most, this.room * 2);
    const meta = this.meta.buffer as SharedArrayBuffer;
    meta.grow(this.room * 12);
    this.meta = new Int32Array(meta, 0, this.room * 3);
    this.states = this.statesAt(this.width);
  }
}

/** What an expansion does with the transitions it finds (explorer/direct.ts, and CandidateSink below). */
export interface Successors {
  /** The transition with key `key` (parent position · threads + thread) broke a step invariant. */
  violated(v: Violation, key: number): void;
  /**
   * Thread t stepped from the state at level position `pos` to `next`, of fingerprint (hi, lo);
   * `next` is that state only until found() returns (the step is then undone). `parent` is
   * where the state at `pos` is packed, and the step's log, for packing `next` from it.
   */
  found(pos: number, t: number, hi: number, lo: number, next: Int32Array, parent: PackedParent): void;
}

/**
 * Expands states [start, end) of the level, in order: every thread's step from each, each
 * transition checked against the step invariants and handed to `out`. Each step is taken in
 * place in the state and undone after `out` has seen it. Returns the transitions taken, and the
 * first state from which no thread could step, if it is a deadlock.
 */
export function expandRange<V extends StateView>(
  system: TransitionSystem<V>,
  checker: Checker<V>,
  level: LevelBuffer,
  start: number,
  end: number,
  out: Successors,
): { generated: number; stuck: (Violation & { pos: number }) | null } {
  const threads = system.threads;
  const s = new Int32Array(system.stateWords);
  let generated = 0;
  let stuck: (Violation & { pos: number }) | null = null;
  let ci = chunkOf(level.chunks, start);
  const parent: PackedParent = { states: s, at: 0, width: 1, view: system.k };
  for (let pos = start; pos < end; pos++) {
    let chunk = level.chunks[ci]!;
    if (pos >= chunk.first + chunk.count) chunk = level.chunks[++ci]!;
    const i = pos - chunk.first;
    readState(chunk, i, s);
    parent.states = chunk.states;
    parent.width = chunk.width;
    parent.at = i * strideOf(s.length, chunk.width);
    checker.stepFrom(s);
    const parentHi = chunk.fps[2 * i]!;
    const parentLo = chunk.fps[2 * i + 1]!;
    let moved = false;
    for (let t = 0; t < threads; t++) {
      const tr = system.stepInPlace(s, t, parentHi, parentLo);
      if (!tr) continue;
      moved = true;
      generated++;
      const sv = checker.transitionInPlace(s, tr);
      if (sv) out.violated(sv, pos * threads + t);
      else out.found(pos, t, system.k.fpHi, system.k.fpLo, s, parent);
      system.undo(s);
    }
    if (!moved && !stuck) {
      const d = checker.stuck(s);
      if (d) stuck = { ...d, pos };
    }
  }
  return { generated, stuck };
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

/** A worker's chunk: states [start, end) of the level expanded into candidates for the merge. */
export function expandChunk<V extends StateView>(
  system: TransitionSystem<V>,
  checker: Checker<V>,
  level: LevelBuffer,
  start: number,
  end: number,
): ChunkResult {
  const transitions = Math.max(1, (end - start) * system.threads);
  // Most states have about one new successor. On shared memory: the result crosses back uncopied.
  const out = new Candidates(system.stateWords, transitions, end - start);
  return expandInto(system, checker, level, start, end, new CandidateSink(checker, system.threads, out, transitions));
}

/** States [start, end) of the level expanded into the sink's candidates. */
function expandInto<V extends StateView>(
  system: TransitionSystem<V>,
  checker: Checker<V>,
  level: LevelBuffer,
  start: number,
  end: number,
  sink: CandidateSink<V>,
): ChunkResult {
  const { generated, stuck } = expandRange(system, checker, level, start, end, sink);
  const out = sink.out;
  return { meta: out.meta, states: out.states, width: out.width, nCandidates: out.n, generated, violations: sink.violations, stuck };
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
  ) {
    const transitions = parents * system.threads;
    this.sink = new CandidateSink(checker, system.threads, new Candidates(system.stateWords, transitions, transitions), transitions);
  }

  /** The candidates of states [start, end) of the level; valid until the next call. */
  expand(level: LevelBuffer, start: number, end: number): ChunkResult {
    this.sink.reset();
    return expandInto(this.system, this.checker, level, start, end, this.sink);
  }
}
