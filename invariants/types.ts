/** Invariants are pure functions of a state, or of a step (the states before and after it). */
import type { StepInfo } from "../explorer/system.js";
import type { Kernel } from "../model/kernel.js";
import type { StateView } from "../model/state-view.js";

export interface StateContext<V extends StateView = Kernel> {
  readonly k: V;
  /** Every thread has finished its operations: end-state checks apply. */
  readonly allDone: boolean;
}

export interface StepContext<V extends StateView = Kernel> {
  readonly before: V;
  readonly after: V;
  readonly thread: number;
  readonly step: StepInfo;
  /** The step ended the thread's operation. */
  readonly opEnded: boolean;
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
  readonly step?: (c: StepContext<V>) => string | null;
  readonly deadlock?: (c: DeadlockContext<V>) => string | null;
}
