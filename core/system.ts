/**
 * What a search needs of a model: a state machine over Int32Array states whose transitions
 * are "thread t takes its next step" (Stateright's Model::actions/next_state). The thread
 * machine (core/thread-machine.ts) provides it for a model of threads running procedures.
 */
import type { StateView } from "./state-view.js";

export interface StepInfo {
  readonly label: string;
  readonly fn: string;
}

export interface Transition {
  readonly thread: number;
  readonly op: { readonly op: string; readonly text: string };
  readonly step: StepInfo;
  /** The step ended the thread's operation. */
  readonly opEnded: boolean;
}

/**
 * Symmetry reduction (TLC's SYMMETRY, Stateright's symmetry()): a model whose objects are named
 * by an order that does not matter (the mm model's pages, by allocation order) gives each state
 * a canonical renaming. The search keys its visited table by the canonical form's fingerprint
 * and keeps expanding, and tracing, the concrete state first reached; the model must make the
 * renaming a true symmetry (every step and invariant treats renamed states alike).
 */
export interface Symmetry {
  /** After canonicalize(s): the XOR that takes s's fingerprint to its canonical form's. */
  hi: number;
  lo: number;
  /**
   * Sets hi/lo for s, which it leaves unchanged. On the search's hot path: no allocation.
   * Remembers s as the parent of the steps canonicalizeStep() is given next.
   */
  canonicalize(s: Int32Array): void;
  /**
   * canonicalize(s) for s a step made of the last state given to canonicalize(), `log` holding
   * the words the step wrote and their old values (StateView.log, `logged` words): a symmetry
   * that has it reuses the parent's renaming where the step left it as it was.
   */
  canonicalizeStep?(s: Int32Array, log: Int32Array, logged: number): void;
  /** s's canonical form into out (for tests and checks). */
  canonical(s: Int32Array, out: Int32Array): void;
}

export interface TransitionSystem<V extends StateView, T extends Transition = Transition> {
  readonly stateWords: number;
  /** The model's symmetry of names, if it has one (used unless the search is told not to). */
  readonly symmetry?: Symmetry;
  readonly threads: number;
  /** The view steps run on: after step(), its fpHi/fpLo hold the new state's fingerprint. */
  readonly k: V;
  /** A separate view of another state (for invariants comparing two states). */
  view(a: Int32Array): V;
  initial(): Int32Array;
  /** Thread t steps from s into out (null: done or blocked); fpHi/fpLo are s's fingerprint. */
  step(s: Int32Array, t: number, out: Int32Array, fpHi?: number, fpLo?: number): T | null;
  /**
   * Thread t steps in s itself (null: done or blocked, s unchanged); k.log holds the words
   * written. The transition is valid until the system's next step.
   */
  stepInPlace(s: Int32Array, t: number, fpHi?: number, fpLo?: number): T | null;
  /**
   * Step coverage: the system marks each step it takes here, by id (core/procedure.ts); the
   * search swaps in its own array (coverageArray()) around what it expands.
   */
  coverage: Uint8Array;
  /** Puts s back as it was before the last stepInPlace() that returned a transition. */
  undo(s: Int32Array): void;
  done(s: Int32Array, t: number): boolean;
  allDone(s: Int32Array): boolean;
  /** The step thread t would take next (null when done), to say where a stuck thread waits. */
  nextStep(s: Int32Array, t: number): StepInfo | null;
}
