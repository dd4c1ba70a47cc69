/** Invariants are pure functions of a state, or of a step (the states before and after it). */
import type { Kernel } from "../model/kernel.js";
import type { Step } from "../model/types.js";

export interface StateContext {
  readonly k: Kernel;
  /** Every thread has finished its operations: end-state checks apply. */
  readonly allDone: boolean;
}

export interface StepContext {
  readonly before: Kernel;
  readonly after: Kernel;
  readonly thread: number;
  readonly step: Step;
  /** The step ended the thread's operation. */
  readonly opEnded: boolean;
}

export interface DeadlockContext {
  readonly k: Kernel;
  /** For each thread not done: the step it cannot take. */
  readonly waiting: readonly { readonly thread: number; readonly label: string }[];
}

export interface Invariant {
  /** The name reports use (../shared/contract.md). */
  readonly name: string;
  readonly summary: string;
  /** Returns a message describing the violation, or null when the invariant holds. */
  readonly state?: (c: StateContext) => string | null;
  readonly step?: (c: StepContext) => string | null;
  readonly deadlock?: (c: DeadlockContext) => string | null;
}
