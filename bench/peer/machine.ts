/**
 * The peer model's state machine, built like the mm model's (model/machine.ts): each thread
 * runs a list of operations; a thread's operation index and pc live in the state; an operation
 * that ends moves its thread to the next one in the same step and clears its locals; a thread
 * whose operations are all done takes no step. T1 runs fault(A, 0) … fault(A, N−1), T2 runs
 * fault(B, N−1) … fault(B, 0), T3 runs ftruncate(F, S).
 */
import type { Transition, TransitionSystem } from "../../explorer/system.js";
import { BLOCKED, DONE, type Procedure, type Step } from "../../model/types.js";
import { hugetlbFault } from "./fault.js";
import { ftruncate } from "./ftruncate.js";
import * as L from "./layout.js";
import { PeerState } from "./state.js";

export interface PeerConfig {
  /** Pages in the file and in the pool. */
  readonly n: number;
  /** The 2006 "absurd HugePages_Rsvd" fault (i_size checked after the allocation). */
  readonly bug: boolean;
}

export interface PeerOp {
  readonly op: "fault" | "ftruncate";
  /** As a trace shows it: `fault(A, 0)`, `ftruncate(F, 1)`. */
  readonly text: string;
  readonly procedure: Procedure<PeerState>;
}

export interface PeerTransition extends Transition {
  readonly op: PeerOp;
  readonly step: Step<PeerState>;
}

export class PeerMachine implements TransitionSystem<PeerState, PeerTransition> {
  /** A view whose array is swapped in for each state looked at. */
  readonly k: PeerState;
  readonly threads = L.THREADS;
  /** Each thread's operations, in order. */
  readonly ops: readonly (readonly PeerOp[])[];

  constructor(readonly cfg: PeerConfig) {
    this.k = new PeerState(cfg.n);
    const n = cfg.n;
    const fault = hugetlbFault(cfg.bug);
    const faults = (p: string, index: (k: number) => number): PeerOp[] =>
      Array.from({ length: n }, (_, k) => ({ op: "fault", text: `fault(${p}, ${index(k)})`, procedure: fault }));
    this.ops = [
      faults("A", (k) => k),
      faults("B", (k) => n - 1 - k),
      [{ op: "ftruncate", text: `ftruncate(F, ${this.k.L.truncateTo})`, procedure: ftruncate }],
    ];
  }

  get stateWords(): number {
    return this.k.L.size;
  }

  view(a: Int32Array): PeerState {
    return this.k.view(a);
  }

  /** After setup: a full pool, all reserved for F, F of N pages with nothing faulted in. */
  initial(): Int32Array {
    const k = new PeerState(this.cfg.n);
    k.free = k.total;
    k.resv = k.total;
    k.isize = this.cfg.n;
    for (let i = 0; i < this.cfg.n; i++) k.set_region(i, 1);
    return k.a;
  }

  done(s: Int32Array, t: number): boolean {
    this.k.a = s;
    return this.k.thread_op(t) >= this.ops[t]!.length;
  }

  allDone(s: Int32Array): boolean {
    for (let t = 0; t < this.threads; t++) if (!this.done(s, t)) return false;
    return true;
  }

  /**
   * Thread t takes its next step from state `s`, written into `out` (same length). Returns the
   * transition, or null when the thread is done or blocked (then `out` is garbage). Given the
   * fingerprint of `s`, leaves that of `out` in k.fpHi, k.fpLo.
   */
  step(s: Int32Array, t: number, out: Int32Array, fpHi = 0, fpLo = 0): PeerTransition | null {
    if (this.done(s, t)) return null;
    const k = this.k;
    out.set(s);
    k.a = out;
    k.fpHi = fpHi >>> 0;
    k.fpLo = fpLo >>> 0;
    const base = k.L.thread(t);
    const op = this.ops[t]![k.thread_op(t)]!;
    const step = op.procedure.steps[k.thread_pc(t)]!;
    const r = step.run(k, t);
    if (r === BLOCKED) return null;
    if (r === DONE) {
      k.w(base + L.TH_OP, k.thread_op(t) + 1);
      k.w(base + L.TH_PC, 0);
      k.w_fill(base + L.TH_LOCALS, base + L.THREAD_SIZE, 0);
    } else {
      k.w(base + L.TH_PC, r);
    }
    return { thread: t, op, step, opEnded: r === DONE };
  }

  /** The step thread t would take next from `s` (null when done). */
  nextStep(s: Int32Array, t: number): Step<PeerState> | null {
    if (this.done(s, t)) return null;
    return this.ops[t]![this.k.thread_op(t)]!.procedure.steps[this.k.thread_pc(t)]!;
  }
}
