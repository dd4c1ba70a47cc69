/**
 * The state machine: the initial state (after the scenario's setup) and the transition of one
 * thread. A transition is a thread's next step; it is a function of the state alone, so a trace
 * is just the list of threads that moved.
 */
import type { ModelConfig, OpCall } from "./config.js";
import { Kernel } from "./kernel.js";
import * as S from "./layout.js";
import { BLOCKED, DONE, ModelError, type Step } from "./types.js";
import type { Variant } from "./variant.js";
import type { TransitionSystem } from "../explorer/system.js";

export interface Transition {
  readonly thread: number;
  readonly op: OpCall;
  readonly step: Step;
  readonly opEnded: boolean;
}

export class Machine implements TransitionSystem<Kernel, Transition> {
  /** A view whose array is swapped in for each state looked at. */
  readonly k: Kernel;
  readonly threads: number;

  /** For each process, the thread whose operations fork it (−1: none). */
  private readonly forker: readonly number[];

  constructor(
    readonly cfg: ModelConfig,
    readonly variant: Variant,
  ) {
    this.k = new Kernel(cfg, variant);
    this.threads = cfg.threads.length;
    this.forker = cfg.processes.map((_, p) => cfg.threads.findIndex((th) => th.ops.some((op) => op.op === "fork" && op.child === p)));
  }

  get stateWords(): number {
    return this.k.L.size;
  }

  view(a: Int32Array): Kernel {
    return this.k.view(a);
  }

  /** The pool as configured, then the setup operations run to completion one after another. */
  initial(): Int32Array {
    const k = new Kernel(this.cfg, this.variant);
    k.nr_huge_pages = this.cfg.pool.pages;
    k.free_huge_pages = this.cfg.pool.pages;
    for (let g = 1; g <= this.cfg.pool.pages; g++) k.set_page_state(g, S.PAGE_FREE);
    this.cfg.files.forEach((f, i) => k.set_i_size(i, f.isize));
    this.cfg.processes.forEach((p, i) => k.set_mm_state(i, p.alive ? S.MM_ALIVE : S.MM_UNBORN));
    for (const block of this.cfg.setup) for (const op of block.ops) this.runToCompletion(k, op);
    return k.a;
  }

  /**
   * Runs one operation to its end on k, alone (in the thread slot kept for setup); returns its
   * result (model/types.ts Result). For setup, and for running operations one after another.
   */
  runToCompletion(k: Kernel, op: OpCall): number {
    const base = k.L.thread(k.L.setupThread);
    k.setupOps = [op];
    k.w_fill(base, base + S.THREAD_SIZE, 0);
    for (let guard = 0; ; guard++) {
      if (guard > 10_000) throw new ModelError(`operation ${op.text} does not finish`);
      const r = this.runStep(k, k.L.setupThread);
      if (r === BLOCKED) throw new ModelError(`operation ${op.text} blocked with no other thread running`);
      if (r === DONE) break;
    }
    const result = k.a[base + S.TH_RESULT]!;
    k.w_fill(base, base + S.THREAD_SIZE, 0);
    k.setupOps = [];
    return result;
  }

  /**
   * Has thread t nothing left to do? Its operations are done; or its process exited (its other
   * threads die with it, between operations); or its process will never be born, because the
   * thread that was to fork it is done without having done so.
   */
  done(s: Int32Array, t: number): boolean {
    const k = this.k;
    k.a = s;
    const th = this.cfg.threads[t]!;
    if (k.thread_op(t) >= th.ops.length) return true;
    const state = k.mm_state(th.proc);
    if (state === S.MM_EXITED) return k.thread_pc(t) === 0;
    if (state === S.MM_UNBORN) {
      const forker = this.forker[th.proc]!;
      return forker >= 0 && forker !== t && this.done(s, forker);
    }
    return false;
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
  step(s: Int32Array, t: number, out: Int32Array, fpHi = 0, fpLo = 0): Transition | null {
    if (this.done(s, t)) return null;
    const k = this.k;
    out.set(s);
    k.a = out;
    k.fpHi = fpHi >>> 0;
    k.fpLo = fpLo >>> 0;
    const th = this.cfg.threads[t]!;
    if (k.mm_state(th.proc) === S.MM_UNBORN) return null;
    const op = th.ops[k.thread_op(t)]!;
    const step = op.procedure.steps[k.thread_pc(t)]!;
    const r = this.runStep(k, t);
    if (r === BLOCKED) return null;
    return { thread: t, op, step, opEnded: r === DONE };
  }

  /** Runs thread t's current step on k in place; DONE moves it to its next operation. */
  private runStep(k: Kernel, t: number): number {
    const base = k.L.thread(t);
    const op = k.op(t);
    const r = op.procedure.steps[k.a[base + S.TH_PC]!]!.run(k, t);
    if (r === BLOCKED) return r;
    if (r === DONE) {
      k.w(base + S.TH_OP, k.a[base + S.TH_OP]! + 1);
      k.w(base + S.TH_PC, 0);
      k.w_fill(base + S.TH_LOCALS, base + S.THREAD_SIZE, 0);
    } else {
      k.w(base + S.TH_PC, r);
    }
    return r;
  }

  /** The step thread t would take next from `s`, for diagrams (null when done). */
  nextStep(s: Int32Array, t: number): Step | null {
    if (this.done(s, t)) return null;
    this.k.a = s;
    const op = this.cfg.threads[t]!.ops[this.k.thread_op(t)]!;
    return op.procedure.steps[this.k.thread_pc(t)]!;
  }
}
