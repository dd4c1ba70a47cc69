/**
 * Invariants are pure functions of a state, of a step (the states before and after it), or of a
 * state where no thread can step (deadlock); a state invariant may declare the words it reads.
 */
import type { StateView } from "./state-view.js";
import type { StepInfo } from "./system.js";

export interface StateContext<V extends StateView> {
  readonly k: V;
  /** Every thread has finished its operations: end-state checks apply. */
  readonly allDone: boolean;
}

/** Words of a state a step wrote: their offsets at log[0], log[2], …, log[logged − 2] (as StateView logs them). */
export interface Written {
  readonly log: Int32Array;
  readonly logged: number;
}

export interface StepContext<V extends StateView> {
  readonly before: V;
  readonly after: V;
  readonly thread: number;
  readonly step: StepInfo;
  /** The step ended the thread's operation. */
  readonly opEnded: boolean;
  /** The words the step may have changed: every other word is the same in before and after. */
  readonly written: Written;
}

export interface DeadlockContext<V extends StateView> {
  readonly k: V;
  /** For each thread not done: the step it cannot take. */
  readonly waiting: readonly { readonly thread: number; readonly label: string }[];
}

/**
 * Its checks are methods, so that an invariant of a model's own view is one of any view where
 * the search holds it (core/model.ts AnyModel); the search only calls it with that view.
 */
export interface Invariant<V extends StateView> {
  /** The name reports use (../shared/contract.md). */
  readonly name: string;
  readonly summary: string;
  /** Returns a message describing the violation, or null when the invariant holds. */
  state?(c: StateContext<V>): string | null;
  /**
   * Optional, for a state invariant: the state words it reads (allDone's among them if it
   * looks at allDone). The search then skips it for a state whose step wrote none of them, as
   * the state the step started from passed it. A word left out hides violations: a test must
   * hold the list against every transition of the model (test/model/peer.test.ts does).
   */
  reads?(k: V): Iterable<number>;
  /**
   * With reads: the invariant looks at allDone, whose words its reads leave out. The search
   * runs it on every state where every thread is done, whatever the step wrote: a state that
   * is stepped from is never all done, so allDone is the same for parent and child anywhere else.
   */
  readonly atEnd?: boolean;
  step?(c: StepContext<V>): string | null;
  /**
   * Optional, for a step invariant: it judges a step that ends its thread's operation. Without
   * stepWrites, only those (it returns null wherever opEnded is false), and the search calls it
   * on those steps only.
   */
  readonly onOpEnd?: boolean;
  /**
   * Optional, for a step invariant: the state words of which a step must write one for the
   * invariant to fail (a step that wrote none of them and, with onOpEnd, did not end its
   * operation passes it). The search then calls it only on steps that wrote one of them, or
   * with onOpEnd that end an operation. A word left out hides violations: a test must hold the
   * list against the model's transitions (test/model/invariant-reads.test.ts does).
   */
  stepWrites?(k: V): Iterable<number>;
  deadlock?(c: DeadlockContext<V>): string | null;
}
