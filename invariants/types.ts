/** Invariants are pure functions of a state, or of a step (the states before and after it). */
import type { StepInfo } from "../explorer/system.js";
import type { Kernel } from "../model/kernel.js";
import type { StateView } from "../model/state-view.js";

export interface StateContext<V extends StateView = Kernel> {
  readonly k: V;
  /** Every thread has finished its operations: end-state checks apply. */
  readonly allDone: boolean;
}

/** Words of a state a step wrote: their offsets at log[0], log[2], …, log[logged − 2] (as StateView logs them). */
export interface Written {
  readonly log: Int32Array;
  readonly logged: number;
}

export interface StepContext<V extends StateView = Kernel> {
  readonly before: V;
  readonly after: V;
  readonly thread: number;
  readonly step: StepInfo;
  /** The step ended the thread's operation. */
  readonly opEnded: boolean;
  /** The words the step may have changed: every other word is the same in before and after. */
  readonly written: Written;
}

export interface DeadlockContext<V extends StateView = Kernel> {
  readonly k: V;
  /** For each thread not done: the step it cannot take. */
  readonly waiting: readonly { readonly thread: number; readonly label: string }[];
}

export interface Invariant<V extends StateView = Kernel> {
  /** The name reports use (../shared/contract.md). */
  readonly name: string;
  readonly summary: string;
  /** Returns a message describing the violation, or null when the invariant holds. */
  readonly state?: (c: StateContext<V>) => string | null;
  /**
   * Optional, for a state invariant: the state words it reads (allDone's among them if it
   * looks at allDone). The search then skips it for a state whose step wrote none of them, as
   * the state the step started from passed it. A word left out hides violations: a test must
   * hold the list against every transition of the model (test/peer.test.ts does).
   */
  readonly reads?: (k: V) => Iterable<number>;
  readonly step?: (c: StepContext<V>) => string | null;
  readonly deadlock?: (c: DeadlockContext<V>) => string | null;
}
