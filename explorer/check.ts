/** Runs the invariants on a transition, on a state, and on a state where no thread can step. */
import type { Invariant, StepContext } from "../invariants/types.js";
import type { StateView } from "../model/state-view.js";
import type { StepInfo, Transition, TransitionSystem } from "./system.js";

export interface Violation {
  readonly invariant: string;
  readonly message: string;
}

export class Checker<V extends StateView> {
  private readonly before: V;
  private readonly after: V;
  private readonly stateInvs: Invariant<V>[];
  private readonly stepInvs: Invariant<V>[];
  private readonly deadlockInvs: Invariant<V>[];
  /** Reused for every call: these run once per transition and once per new state. */
  private readonly stepCtx: { before: V; after: V; thread: number; step: StepInfo | null; opEnded: boolean };
  private readonly stateCtx: { k: V; allDone: boolean };

  constructor(
    private readonly machine: TransitionSystem<V>,
    invariants: readonly Invariant<V>[],
  ) {
    this.before = machine.view(new Int32Array(0));
    this.after = machine.view(new Int32Array(0));
    this.stateInvs = invariants.filter((i) => i.state);
    this.stepInvs = invariants.filter((i) => i.step);
    this.deadlockInvs = invariants.filter((i) => i.deadlock);
    this.stepCtx = { before: this.before, after: this.after, thread: 0, step: null, opEnded: false };
    this.stateCtx = { k: this.after, allDone: false };
  }

  transition(s: Int32Array, next: Int32Array, tr: Transition): Violation | null {
    this.before.a = s;
    this.after.a = next;
    const c = this.stepCtx;
    c.thread = tr.thread;
    c.step = tr.step;
    c.opEnded = tr.opEnded;
    for (const inv of this.stepInvs) {
      const m = inv.step!(c as StepContext<V>);
      if (m) return { invariant: inv.name, message: m };
    }
    return null;
  }

  state(s: Int32Array): Violation | null {
    const c = this.stateCtx;
    c.allDone = this.machine.allDone(s);
    this.after.a = s;
    for (const inv of this.stateInvs) {
      const m = inv.state!(c);
      if (m) return { invariant: inv.name, message: m };
    }
    return null;
  }

  /** Called for a state from which no thread could step. */
  stuck(s: Int32Array): Violation | null {
    if (this.machine.allDone(s)) return null;
    const waiting: { thread: number; label: string }[] = [];
    for (let t = 0; t < this.machine.threads; t++) {
      const step = this.machine.nextStep(s, t);
      if (step) waiting.push({ thread: t, label: step.label });
    }
    this.after.a = s;
    for (const inv of this.deadlockInvs) {
      const m = inv.deadlock!({ k: this.after, waiting });
      if (m) return { invariant: inv.name, message: m };
    }
    return null;
  }
}
