/**
 * How a model is named and built (Stateright's Model, with format_action): a model is a module
 * whose build() makes {system, invariants, describe, identity} from JSON arguments. A search,
 * its worker threads and its checkpoints carry the model by reference — the name it is shipped
 * under (models/index.ts) and those arguments — and each worker thread builds its own copy.
 */
import type { Invariant } from "./invariant.js";
import type { StateView } from "./state-view.js";
import type { Transition, TransitionSystem } from "./system.js";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A model by reference: its name in the list of shipped models, and its arguments. */
export interface ModelRef {
  readonly name: string;
  readonly args: Json;
}

/** A step as a trace shows it (Stateright's format_action). */
export interface StepDescription {
  /** The operation the step belongs to, e.g. `fault(parent, 2, write)`. */
  readonly op: string;
  /** The step's label and the function it stands for. */
  readonly label: string;
  readonly fn: string;
  /** Its footprint: the objects it reads and writes, where threads race. */
  readonly reads: readonly string[];
  readonly writes: readonly string[];
}

/** What reports and race diagrams ask of a model: how to name its threads, steps and states. */
export interface Describe<V extends StateView, T extends Transition = Transition> {
  /** Thread t's name. */
  readonly threads: readonly string[];
  step(tr: T): StepDescription;
  /** The counters a race diagram shows after each step (e.g. the pool's), under `title`. */
  readonly counters: { readonly title: string; of(k: V): readonly (readonly [string, number])[] };
  /** The state as named values (records, lists, Maps, Sets, integers, strings), for ITF traces. */
  state(k: V): Record<string, unknown>;
  /**
   * A violation's message with the model's own names of things (`mm2`, `file0`, `thread 0`)
   * said as the scenario names them (`other`, `shfile`, `owner`); none: the message as it is.
   */
  names?(message: string): string;
}

export interface Model<V extends StateView, T extends Transition = Transition> {
  /** How a worker thread builds this model again; none for a model built in process only. */
  readonly ref?: ModelRef;
  readonly system: TransitionSystem<V, T>;
  readonly invariants: readonly Invariant<V>[];
  readonly describe: Describe<V, T>;
  /**
   * What is searched, for checkpoints: a resumed search must have the same. The model decides
   * what counts (the mm model: the scenario by the hash of its resolved content, not by the
   * spelling of its path; the variant; the parameters).
   */
  readonly identity: { readonly [key: string]: Json };
  /**
   * The model marks the steps that reach code it counts as changed (ThreadMachine.markChanged;
   * the mm model: what its variant changes from today's kernel). A search that passes without
   * reaching any is `not-applicable`: it checked nothing of the change. Absent: never.
   */
  readonly changes?: boolean;
}

/**
 * A model of any view, as a search and its reports hold it: every member taking V is a method,
 * so a model of its own view is one of these.
 */
export type AnyModel = Model<StateView, Transition>;

/** What a model's module exports. Bad arguments throw an Error naming the field. */
export interface ModelModule {
  build(args: Json): AnyModel | Promise<AnyModel>;
}
