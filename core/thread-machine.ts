/**
 * What every model's state machine shares: threads run lists of operations (procedures); a
 * thread's operation index and pc live in the state; a step returns the next pc, DONE (the
 * thread moves to its next operation and its per-operation words are cleared) or BLOCKED.
 */
import { BLOCKED, CHANGED, DONE, TAKEN, type Procedure, type Step } from "./procedure.js";
import type { StepDescription } from "./model.js";
import type { StateView } from "./state-view.js";
import type { Transition, TransitionSystem } from "./system.js";

export interface ThreadOp<V extends StateView> {
  readonly op: string;
  readonly text: string;
  readonly procedure: Procedure<V>;
}

export interface ThreadTransition<V extends StateView, O extends ThreadOp<V>> extends Transition {
  readonly op: O;
  readonly step: Step<V>;
}

/** Offsets of a thread's words: its operation index, its pc, its per-operation words [from, to). */
export interface ThreadWords {
  readonly op: number;
  readonly pc: number;
  readonly from: number;
  readonly to: number;
}

export abstract class ThreadMachine<V extends StateView, O extends ThreadOp<V>>
  implements TransitionSystem<V, ThreadTransition<V, O>>
{
  abstract readonly k: V;
  abstract readonly threads: number;
  /**
   * Step coverage: each step taken (not blocked) sets its id's byte (core/procedure.ts stepId).
   * The search puts its own array here, sized for every step built (coverageArray()); a store
   * past the end, in a array too short, is dropped.
   */
  coverage: Uint8Array = new Uint8Array(0);
  /** The id of the step running, −1 between steps: the step markChanged() marks. */
  private running = -1;

  /**
   * The step running reached code the model counts as changed (the mm model: code its variant
   * changes, model/changed.ts): its coverage byte gets CHANGED. Nothing between steps.
   */
  markChanged(): void {
    if (this.running >= 0) this.coverage[this.running]! |= CHANGED;
  }
  abstract get stateWords(): number;
  abstract view(a: Int32Array): V;
  abstract initial(): Int32Array;
  abstract done(s: Int32Array, t: number): boolean;
  /** The operations thread t runs, read from view k (a model may keep a setup thread of its own). */
  protected abstract opsOf(k: V, t: number): readonly O[];
  protected abstract words(k: V, t: number): ThreadWords;
  /** May thread t step at all in the state k views (e.g. has its process been created)? */
  protected ready(_k: V, _t: number): boolean {
    return true;
  }

  allDone(s: Int32Array): boolean {
    for (let t = 0; t < this.threads; t++) if (!this.done(s, t)) return false;
    return true;
  }

  /**
   * Thread t takes its next step from state `s`, written into `out` (same length). Returns the
   * transition, or null when the thread is done or blocked (then `out` is a copy of `s`). Given the
   * fingerprint of `s`, leaves that of `out` in k.fpHi, k.fpLo.
   */
  step(s: Int32Array, t: number, out: Int32Array, fpHi = 0, fpLo = 0): ThreadTransition<V, O> | null {
    out.set(s);
    const tr = this.stepInPlace(out, t, fpHi, fpLo);
    return tr && { ...tr };
  }

  /** stepInPlace()'s transition, filled in again by each step: the search takes one per transition. */
  private readonly taken: { thread: number; op: O | null; step: Step<V> | null; opEnded: boolean } = { thread: 0, op: null, step: null, opEnded: false };

  /**
   * Thread t takes its next step from `s`, in `s` itself: what the search does for every
   * transition, with undo() after it, as a step writes a few words of a state and a copy costs
   * all of them. Returns null (s unchanged) when the thread is done or blocked. Given the
   * fingerprint of `s`, leaves the new one in k.fpHi, k.fpLo; k.log holds the words written.
   * The transition returned is this machine's, valid until its next step (step() returns one to keep).
   */
  stepInPlace(s: Int32Array, t: number, fpHi = 0, fpLo = 0): ThreadTransition<V, O> | null {
    if (this.done(s, t)) return null;
    const k = this.k;
    k.a = s;
    k.fpHi = fpHi >>> 0;
    k.fpLo = fpLo >>> 0;
    k.begin();
    if (!this.ready(k, t)) return null;
    const w = this.words(k, t);
    const op = this.opsOf(k, t)[k.a[w.op]!]!;
    const step = op.procedure.steps[k.a[w.pc]!]!;
    this.running = step.id;
    const r = this.advance(k, w, step.run(k, t));
    this.running = -1;
    if (r === BLOCKED) {
      k.undo(s);
      return null;
    }
    this.coverage[step.id]! |= TAKEN;
    const tr = this.taken;
    tr.thread = t;
    tr.op = op;
    tr.step = step;
    tr.opEnded = r === DONE;
    return tr as ThreadTransition<V, O>;
  }

  /** Puts `s` back as it was before the last stepInPlace() on it that returned a transition. */
  undo(s: Int32Array): void {
    this.k.undo(s);
  }

  /** Runs thread t's current step on k in place; DONE moves it to its next operation. */
  protected runStep(k: V, t: number): number {
    const w = this.words(k, t);
    const step = this.opsOf(k, t)[k.a[w.op]!]!.procedure.steps[k.a[w.pc]!]!;
    this.running = step.id;
    const r = this.advance(k, w, step.run(k, t));
    this.running = -1;
    if (r !== BLOCKED) this.coverage[step.id]! |= TAKEN;
    return r;
  }

  /** After a step returned r: the thread's next pc, or on DONE its next operation. */
  private advance(k: V, w: ThreadWords, r: number): number {
    if (r === BLOCKED) return r;
    if (r === DONE) {
      k.w(w.op, k.a[w.op]! + 1);
      k.w(w.pc, 0);
      k.w_fill(w.from, w.to, 0);
    } else {
      k.w(w.pc, r);
    }
    return r;
  }

  /** The step thread t would take next from `s` (null when done). */
  nextStep(s: Int32Array, t: number): Step<V> | null {
    if (this.done(s, t)) return null;
    this.k.a = s;
    const w = this.words(this.k, t);
    return this.opsOf(this.k, t)[this.k.a[w.op]!]!.procedure.steps[this.k.a[w.pc]!]!;
  }
}

/** A thread machine's step as a trace shows it (core/model.ts Describe.step). */
export function describeThreadStep<V extends StateView, O extends ThreadOp<V>>(tr: ThreadTransition<V, O>): StepDescription {
  return { op: tr.op.text, label: tr.step.label, fn: tr.step.fn, reads: tr.step.reads, writes: tr.step.writes };
}
