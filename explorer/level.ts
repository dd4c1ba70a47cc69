/**
 * A breadth-first level as it is stored (chunks of fingerprints and states), and its expansion
 * by workers, chunk by chunk, merged (explorer/merge.ts) so that the result is the same however
 * it was split, and the same as one thread's (explorer/direct.ts): the next level holds each
 * new state once, in the order of its smallest claim — (position of its parent in this level,
 * thread that moved) — which is the order a sequential search finds them in. Violations are
 * chosen by the same key, so the counterexample does not depend on the workers either.
 */
import type { StateView } from "../model/state-view.js";
import type { Checker, Violation } from "./check.js";
import { growableBuffer, type ClaimResult, type LevelTable } from "./shared-table.js";
import type { TransitionSystem } from "./system.js";

/** A level's states are stored in the narrowest of these that holds every word of their chunk. */
export type StateWords = Int8Array | Int16Array | Int32Array;

/**
 * A run of a level's entries, stored together: each state's fingerprint (hi, lo) in `fps` and
 * its words in `states`. The models' words are small numbers, so most chunks take a byte a word.
 */
export interface LevelChunk {
  /** Level position of the first entry. */
  readonly first: number;
  readonly count: number;
  readonly fps: Int32Array;
  readonly states: StateWords;
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
  const words = out.length;
  const st = chunk.states;
  const o = i * words;
  for (let w = 0; w < words; w++) out[w] = st[o + w]!;
}

/** Bytes a word of `states` must have to hold every word of it. */
function widthFor(states: Int32Array): 1 | 2 | 4 {
  let bits = 0;
  for (let w = 0; w < states.length; w++) bits |= states[w]! ^ (states[w]! >> 31);
  return bits < 0x80 ? 1 : bits < 0x8000 ? 2 : 4;
}

/**
 * Copies `state` into `st` at `o` and returns the width its words need. Copied and measured in
 * one loop: set() between typed arrays of two types is slow.
 */
function copyMeasured(state: Int32Array, st: StateWords, o: number): 1 | 2 | 4 {
  let bits = 0;
  for (let w = 0; w < state.length; w++) {
    const v = state[w]!;
    st[o + w] = v;
    bits |= v ^ (v >> 31);
  }
  return bits < 0x80 ? 1 : bits < 0x8000 ? 2 : 4;
}

function wordsOf(width: 1 | 2 | 4, buffer: ArrayBufferLike, length = buffer.byteLength / width): StateWords {
  return width === 1 ? new Int8Array(buffer, 0, length) : width === 2 ? new Int16Array(buffer, 0, length) : new Int32Array(buffer, 0, length);
}

function newBuffer(bytes: number, shared: boolean): SharedArrayBuffer | ArrayBuffer {
  return shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
}

/** A level of one chunk: `count` entries of `words + 2` words each (hi, lo, state), as checkpoints keep them. */
export function levelFrom(entries: Int32Array, count: number, words: number, shared: boolean): LevelBuffer {
  const fps = new Int32Array(newBuffer(Math.max(1, 2 * count) * 4, shared));
  const plain = new Int32Array(count * words);
  for (let p = 0; p < count; p++) {
    const o = p * (words + 2);
    fps[2 * p] = entries[o]!;
    fps[2 * p + 1] = entries[o + 1]!;
    plain.set(entries.subarray(o + 2, o + 2 + words), p * words);
  }
  const width = widthFor(plain);
  const states = wordsOf(width, newBuffer(Math.max(1, plain.length) * width, shared));
  states.set(plain);
  return { chunks: [{ first: 0, count, fps, states }], count };
}

/**
 * Writes a level entry by entry, in chunks of `capacity` entries, each chunk's states at the
 * narrowest width that holds all of them (explorer/direct.ts builds the next level with it).
 */
export class LevelWriter {
  readonly chunks: LevelChunk[] = [];
  count = 0;
  private fps: Int32Array;
  private states: StateWords;
  private width: 1 | 2 | 4 = 1;
  /** Entries in the chunk being written. */
  private n = 0;

  constructor(
    private readonly words: number,
    private readonly capacity: number,
    private readonly shared: boolean,
  ) {
    this.fps = new Int32Array(newBuffer(capacity * 8, shared));
    this.states = wordsOf(1, newBuffer(capacity * words, shared));
  }

  /** Bytes held: the chunks written and the one being written. */
  get bytes(): number {
    return levelBytes(this) + (this.n > 0 ? this.fps.byteLength + this.states.byteLength : 0);
  }

  push(hi: number, lo: number, state: Int32Array): void {
    if (this.n === this.capacity) {
      this.seal();
      this.fps = new Int32Array(newBuffer(this.capacity * 8, this.shared));
      this.states = wordsOf(1, newBuffer(this.capacity * this.words, this.shared));
    }
    this.fps[2 * this.n] = hi;
    this.fps[2 * this.n + 1] = lo;
    const o = this.n * this.words;
    const width = copyMeasured(state, this.states, o);
    if (width > this.width) {
      const wider = wordsOf(width, newBuffer(this.capacity * this.words * width, this.shared));
      wider.set(this.states);
      wider.set(state, o);
      this.states = wider;
      this.width = width;
    }
    this.n++;
    this.count++;
  }

  /** The level written. */
  finish(): LevelBuffer {
    if (this.n > 0) this.seal();
    return { chunks: this.chunks, count: this.count };
  }

  private seal(): void {
    this.chunks.push({ first: this.count - this.n, count: this.n, fps: this.fps, states: this.states });
    this.n = 0;
    this.width = 1;
  }
}

/** The shared memory of one level's expansion by workers. */
export interface LevelShared {
  /** The states this level finds, with their claims. */
  found: LevelTable;
}

export interface FoundViolation extends Violation {
  /** The claim key of the transition that violated a step invariant, or −1. */
  readonly key: number;
  /** The level-table slot of the state that violated a state invariant, or −1. */
  readonly slot: number;
}

export interface ChunkResult {
  /** Candidates: [level-table slot, key, hi, lo] each, their states in `states`. */
  meta: Int32Array;
  states: StateWords;
  nCandidates: number;
  generated: number;
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
  states: StateWords;
  width: 1 | 2 | 4 = 1;
  n = 0;
  private room: number;

  constructor(
    private readonly words: number,
    private readonly most: number,
    expected: number,
  ) {
    this.room = Math.min(most, Math.max(16, expected));
    this.meta = new Int32Array(growableBuffer(this.room * 16, most * 16), 0, this.room * 4);
    this.states = wordsOf(1, growableBuffer(this.room * words, most * words));
  }

  push(slot: number, key: number, hi: number, lo: number, state: Int32Array): void {
    if (this.n === this.room) this.grow();
    const c = 4 * this.n;
    this.meta[c] = slot;
    this.meta[c + 1] = key;
    this.meta[c + 2] = hi;
    this.meta[c + 3] = lo;
    // A word too wide for the chunk's width widens the chunk, and the state is copied again.
    const o = this.n * this.words;
    const width = copyMeasured(state, this.states, o);
    if (width > this.width) {
      this.widen(width);
      this.states.set(state, o);
    }
    this.n++;
  }

  private grow(): void {
    this.room = Math.min(this.most, this.room * 2);
    const meta = this.meta.buffer as SharedArrayBuffer;
    const states = this.states.buffer as SharedArrayBuffer;
    meta.grow(this.room * 16);
    states.grow(this.room * this.words * this.width);
    this.meta = new Int32Array(meta, 0, this.room * 4);
    this.states = wordsOf(this.width, states);
  }

  private widen(width: 1 | 2 | 4): void {
    const states = wordsOf(width, growableBuffer(this.room * this.words * width, this.most * this.words * width));
    states.set(this.states);
    this.states = states;
    this.width = width;
  }
}

/** What an expansion does with the transitions it finds (explorer/direct.ts, and ClaimSink below). */
export interface Successors {
  /** The transition with claim key `key` broke a step invariant. */
  violated(v: Violation, key: number): void;
  /** Thread t stepped from the state at level position `pos` to `next`, of fingerprint (hi, lo). */
  found(pos: number, t: number, hi: number, lo: number, next: Int32Array): void;
}

/**
 * Expands states [start, end) of the level, in order: every thread's step from each, each
 * transition checked against the step invariants and handed to `out`. Returns the transitions
 * taken, and the first state from which no thread could step, if it is a deadlock.
 */
export function expandRange<V extends StateView>(
  system: TransitionSystem<V>,
  checker: Checker<V>,
  level: LevelBuffer,
  start: number,
  end: number,
  out: Successors,
): { generated: number; stuck: (Violation & { pos: number }) | null } {
  const words = system.stateWords;
  const threads = system.threads;
  const s = new Int32Array(words);
  const next = new Int32Array(words);
  let generated = 0;
  let stuck: (Violation & { pos: number }) | null = null;
  let ci = chunkOf(level.chunks, start);
  for (let pos = start; pos < end; pos++) {
    let chunk = level.chunks[ci]!;
    if (pos >= chunk.first + chunk.count) chunk = level.chunks[++ci]!;
    const i = pos - chunk.first;
    readState(chunk, i, s);
    const parentHi = chunk.fps[2 * i]!;
    const parentLo = chunk.fps[2 * i + 1]!;
    let moved = false;
    for (let t = 0; t < threads; t++) {
      const tr = system.step(s, t, next, parentHi, parentLo);
      if (!tr) continue;
      moved = true;
      generated++;
      const sv = checker.transition(s, next, tr);
      if (sv) out.violated(sv, pos * threads + t);
      else out.found(pos, t, system.k.fpHi, system.k.fpLo, next);
    }
    if (!moved && !stuck) {
      const d = checker.stuck(s);
      if (d) stuck = { ...d, pos };
    }
  }
  return { generated, stuck };
}

/**
 * A worker's successors: each claimed in the level table; it becomes a candidate if this
 * transition is, so far, the smallest claim on it. The merge keeps those whose claim is still
 * theirs once every chunk before them is expanded (explorer/merge.ts).
 */
class ClaimSink<V extends StateView> implements Successors {
  readonly violations: FoundViolation[] = [];
  private readonly claimed: ClaimResult = { slot: 0, fresh: false, lowered: false };

  constructor(
    private readonly checker: Checker<V>,
    private readonly levelTable: LevelTable,
    private readonly threads: number,
    readonly out: Candidates,
  ) {}

  violated(v: Violation, key: number): void {
    this.violations.push({ ...v, key, slot: -1 });
  }

  found(pos: number, t: number, hi: number, lo: number, next: Int32Array): void {
    const key = pos * this.threads + t;
    const c = this.claimed;
    this.levelTable.claim(hi, lo, key, c);
    if (!c.lowered) return;
    if (c.fresh) {
      // A state of an earlier level passed this check when it was found: no violation.
      const v = this.checker.state(next);
      if (v) this.violations.push({ ...v, key: -1, slot: c.slot });
    }
    this.out.push(c.slot, key, hi, lo, next);
  }
}

/** A worker's chunk: states [start, end) of the level expanded, their successors claimed. */
export function expandChunk<V extends StateView>(
  system: TransitionSystem<V>,
  checker: Checker<V>,
  level: LevelBuffer,
  shared: LevelShared,
  start: number,
  end: number,
): ChunkResult {
  // Most states have about one new successor. On shared memory: the result crosses back uncopied.
  const out = new Candidates(system.stateWords, Math.max(1, (end - start) * system.threads), end - start);
  const sink = new ClaimSink(checker, shared.found, system.threads, out);
  const { generated, stuck } = expandRange(system, checker, level, start, end, sink);
  return { meta: out.meta, states: out.states, nCandidates: out.n, generated, violations: sink.violations, stuck };
}
