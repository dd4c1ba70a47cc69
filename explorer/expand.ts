/**
 * The loop that expands a run of a level: every thread's step from each state, in level order
 * and thread order, each step taken in place and undone; what it finds goes to a Successors —
 * this thread's next level (explorer/direct.ts) or a chunk of candidates (explorer/candidates.ts).
 * Either way each new state is first met at its smallest key — (position of its parent in this
 * level, thread that moved) — the order a sequential search finds them in; violations are
 * chosen by the same key, so the counterexample does not depend on the workers.
 */
import type { StateView } from "../core/state-view.js";
import { fingerprint } from "../core/fingerprint.js";
import type { Symmetry, TransitionSystem } from "../core/system.js";
import type { Checker, Violation } from "./check.js";
import { chunkOf, type LevelBuffer } from "./level.js";
import { emptyPacking, interned, unpack, type PackedParent, type Packing } from "./packed.js";

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
 * The fingerprint a state is known by: its own, or with `symmetry` its canonical form's (the
 * visited table, and a level's fingerprints, hold that; the level holds the concrete state).
 */
export function stateFingerprint(s: Int32Array, symmetry: Symmetry | undefined): [number, number] {
  const [hi, lo] = fingerprint(s);
  if (!symmetry) return [hi, lo];
  symmetry.canonicalize(s);
  return [(hi ^ symmetry.hi) >>> 0, (lo ^ symmetry.lo) >>> 0];
}

/**
 * Expands states [start, end) of the level, in order: every thread's step from each, each
 * transition checked against the step invariants and handed to `out`. Each step is taken in
 * place in the state and undone after `out` has seen it. Returns the transitions taken, and the
 * first state from which no thread could step, if it is a deadlock. With `symmetry`, the level's
 * fingerprints and those handed to `out` are the canonical forms' (stateFingerprint), each
 * step's from its parent's where the symmetry can (Symmetry.canonicalizeStep).
 */
export function expandRange<V extends StateView>(
  system: TransitionSystem<V>,
  checker: Checker<V>,
  level: LevelBuffer,
  start: number,
  end: number,
  out: Successors,
  symmetry?: Symmetry,
): { generated: number; stuck: (Violation & { pos: number }) | null } {
  if (start >= end) return { generated: 0, stuck: null };
  const threads = system.threads;
  const s = new Int32Array(system.stateWords);
  let generated = 0;
  let stuck: (Violation & { pos: number }) | null = null;
  let ci = chunkOf(level.chunks, start);
  const parent: PackedParent = { states: s, at: 0, packing: emptyPacking(s.length), view: system.k };
  const incremental = symmetry?.canonicalizeStep !== undefined;
  let chunk = level.chunks[ci]!;
  // A chunk's packing as this thread knows it (the chunk may come from another thread).
  let packing = interned(chunk.packing);
  // s holds the state last unpacked, at this packing (each step is undone): its words of width 0 are 0.
  let unpacked: Packing | null = null;
  for (let pos = start; pos < end; pos++) {
    if (pos >= chunk.first + chunk.count) {
      chunk = level.chunks[++ci]!;
      packing = interned(chunk.packing);
    }
    const i = pos - chunk.first;
    unpack(packing, chunk.states, i * packing.stride, s, packing === unpacked);
    unpacked = packing;
    parent.states = chunk.states;
    parent.packing = packing;
    parent.at = i * packing.stride;
    checker.stepFrom(s);
    let parentHi = chunk.fps[2 * i]!;
    let parentLo = chunk.fps[2 * i + 1]!;
    if (symmetry) {
      // The step updates the concrete state's fingerprint: the level holds the canonical one.
      symmetry.canonicalize(s);
      parentHi ^= symmetry.hi;
      parentLo ^= symmetry.lo;
    }
    let moved = false;
    for (let t = 0; t < threads; t++) {
      const tr = system.stepInPlace(s, t, parentHi, parentLo);
      if (!tr) continue;
      moved = true;
      generated++;
      const sv = checker.transitionInPlace(s, tr);
      if (sv) out.violated(sv, pos * threads + t);
      else if (!symmetry) out.found(pos, t, system.k.fpHi, system.k.fpLo, s, parent);
      else {
        if (incremental) symmetry.canonicalizeStep!(s, system.k.log, system.k.logged);
        else symmetry.canonicalize(s);
        out.found(pos, t, (system.k.fpHi ^ symmetry.hi) >>> 0, (system.k.fpLo ^ symmetry.lo) >>> 0, s, parent);
      }
      system.undo(s);
    }
    if (!moved && !stuck) {
      const d = checker.stuck(s);
      if (d) stuck = { ...d, pos };
    }
  }
  return { generated, stuck };
}

