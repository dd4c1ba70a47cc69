/**
 * The peer model's state machine, built on the core's thread machine (core/thread-machine.ts), as the mm model's is: each thread
 * runs a list of operations; a thread's operation index and pc live in the state; an operation
 * that ends moves its thread to the next one in the same step and clears its locals; a thread
 * whose operations are all done takes no step. T1 runs fault(A, 0) … fault(A, N−1), T2 runs
 * fault(B, N−1) … fault(B, 0), T3 runs ftruncate(F, S).
 */
import type { Procedure } from "../../core/procedure.js";
import { ThreadMachine, type ThreadWords } from "../../core/thread-machine.js";
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

export class PeerMachine extends ThreadMachine<PeerState, PeerOp> {
  /** A view whose array is swapped in for each state looked at. */
  readonly k: PeerState;
  readonly threads = L.THREADS;
  /** Each thread's operations, in order. */
  readonly ops: readonly (readonly PeerOp[])[];
  private readonly threadWords: readonly ThreadWords[];

  constructor(readonly cfg: PeerConfig) {
    super();
    this.k = new PeerState(cfg.n);
    this.threadWords = Array.from({ length: L.THREADS }, (_, t) => {
      const base = this.k.L.thread(t);
      return { op: base + L.TH_OP, pc: base + L.TH_PC, from: base + L.TH_LOCALS, to: base + L.THREAD_SIZE };
    });
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

  protected opsOf(_k: PeerState, t: number): readonly PeerOp[] {
    return this.ops[t]!;
  }

  protected words(_k: PeerState, t: number): ThreadWords {
    return this.threadWords[t]!;
  }
}
