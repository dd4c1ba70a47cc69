/**
 * The state machine: the initial state (after the scenario's setup) and the transition of one
 * thread. A transition is a thread's next step; it is a function of the state alone, so a trace
 * is just the list of threads that moved.
 */
import type { ModelConfig, OpCall } from "./config.js";
import { Kernel } from "./kernel.js";
import * as S from "./layout.js";
import { hugepage_new_subpool, hugetlbfs_bad_mount_option } from "./hugetlb/inode.js";
import { kernelEras, operations } from "./ops/index.js";
import { ThreadMachine, type ThreadTransition, type ThreadWords } from "../core/thread-machine.js";
import { BLOCKED, DONE, ModelError } from "./types.js";
import type { Variant } from "./variant.js";
import { markedVariant } from "./changed.js";
import { PageSymmetry } from "./symmetry.js";

export type Transition = ThreadTransition<Kernel, OpCall>;

export class Machine extends ThreadMachine<Kernel, OpCall> {
  /** A view whose array is swapped in for each state looked at. */
  readonly k: Kernel;
  readonly threads: number;

  /** For each process, the thread whose operations fork it (−1: none). */
  private readonly forker: readonly number[];
  /** Each thread slot's words (the setup slot's too). */
  private readonly threadWords: readonly ThreadWords[];

  readonly cfg: ModelConfig;
  /** Pages are interchangeable (model/symmetry.ts). */
  readonly symmetry: PageSymmetry;

  /** The scenario's operations run as `variant` builds them (model/ops/index.ts operations). */
  constructor(
    cfg: ModelConfig,
    readonly variant: Variant,
  ) {
    super();
    const resolve = (op: OpCall): OpCall => this.resolve(op);
    this.cfg = cfg = {
      ...cfg,
      setup: cfg.setup.map((b) => ({ ...b, ops: b.ops.map(resolve) })),
      threads: cfg.threads.map((th) => ({ ...th, ops: th.ops.map(resolve) })),
    };
    // The code the variant changes marks the step that reaches it (model/changed.ts).
    const reached = () => this.markChanged();
    this.k = new Kernel(cfg, markedVariant(variant, reached), kernelEras(variant));
    this.k.reached = reached;
    this.threads = cfg.threads.length;
    const L = this.k.L;
    this.symmetry = new PageSymmetry(L, cfg);
    this.threadWords = Array.from({ length: L.threads }, (_, t) => {
      const base = L.thread(t);
      return { op: base + S.TH_OP, pc: base + S.TH_PC, from: base + S.TH_LOCALS, to: base + S.THREAD_SIZE };
    });
    this.forker = cfg.processes.map((_, p) => cfg.threads.findIndex((th) => th.ops.some((op) => op.op === "fork" && op.child === p)));
  }

  /** The call with the procedure this machine's variant builds for its operation. */
  resolve(op: OpCall): OpCall {
    const procedure = operations(this.variant)[op.op] ?? op.procedure;
    return procedure === op.procedure ? op : { ...op, procedure };
  }

  get stateWords(): number {
    return this.k.L.size;
  }

  view(a: Int32Array): Kernel {
    return this.k.view(a);
  }

  /** The pool as configured, then the setup operations run to completion one after another. */
  initial(): Int32Array {
    const refused = hugetlbfs_bad_mount_option(this.cfg, this.variant);
    if (refused) throw new ModelError(refused);
    const k = this.k.view(new Int32Array(this.k.L.size));
    k.nr_huge_pages = this.cfg.pool.pages;
    k.free_huge_pages = this.cfg.pool.pages;
    for (let g = 1; g <= this.cfg.pool.pages; g++) k.set_page_state(g, S.PAGE_FREE);
    this.cfg.files.forEach((f, i) => {
      k.set_i_size(i, f.isize);
      if (f.anon) k.set_i_unlinked(i);
      if (k.subpool_inode(i) >= 0 && !hugepage_new_subpool(k, i))
        throw new ModelError(`files.${i}: min_size=${f.minHpages} does not fit in the pool: the mount fails with ENOMEM`);
    });
    this.cfg.files4k.forEach((f, i) => {
      k.set_file4k_i_size(i, f.isize);
      if (!f.data) return;
      for (let idx = 0; idx < f.isize; idx++) {
        k.set_page_state(k.block(i, idx), S.PAGE_IN_USE);
        k.set_page_content(k.block(i, idx), S.FILE_DATA);
      }
    });
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
    k.setupOps = [this.resolve(op)];
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
   * Runs thread t's operation `index` alone (from its first step, unless the thread is already
   * in it) until the next step would be one of function `stopAt`, or to its end: for
   * conformance, where a call's effect outlasts it (io_uring's registered buffers hold a pin)
   * and other calls run meanwhile. Returns the operation's result once it ended, else null.
   */
  runThreadUntil(k: Kernel, t: number, index: number, stopAt: string | null): number | null {
    const w = this.threadWords[t]!;
    if (k.a[w.op] !== index) {
      k.w(w.op, index);
      k.w(w.pc, 0);
      k.w_fill(w.from, w.to, 0);
    }
    const op = this.cfg.threads[t]!.ops[index]!;
    for (let guard = 0; ; guard++) {
      if (guard > 10_000) throw new ModelError(`operation ${op.text} does not finish`);
      if (op.procedure.steps[k.a[w.pc]!]!.fn === stopAt) return null;
      const r = this.runStep(k, t);
      if (r === BLOCKED) throw new ModelError(`operation ${op.text} blocked with no other thread running`);
      if (r === DONE) return k.a[k.L.thread(t) + S.TH_RESULT]!;
    }
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

  protected opsOf(k: Kernel, t: number): readonly OpCall[] {
    return k.opsOf(t);
  }

  protected words(_k: Kernel, t: number): ThreadWords {
    return this.threadWords[t]!;
  }

  /** A thread of a process not forked yet waits. */
  protected override ready(k: Kernel, t: number): boolean {
    return k.mm_state(this.cfg.threads[t]!.proc) !== S.MM_UNBORN;
  }
}
