/**
 * The models a search can run, by a description that can cross to a worker thread: each worker
 * builds its own copy of the model from it.
 */
import { PEER_INVARIANTS } from "../bench/peer/invariants.js";
import { PeerMachine } from "../bench/peer/machine.js";
import { INVARIANTS } from "../invariants/index.js";
import type { Invariant } from "../invariants/types.js";
import { Machine } from "../model/machine.js";
import type { StateView } from "../model/state-view.js";
import { findVariant } from "../model/variant.js";
import { loadScenario } from "../scenarios/load.js";
import type { TransitionSystem } from "../explorer/system.js";

export type ModelSpec =
  | {
      readonly kind: "mm";
      readonly scenario: string;
      readonly variant: string;
      readonly params?: Readonly<Record<string, number>>;
    }
  /** The peer benchmark model (bench/peer/, ../shared/peer-truncate-race.md). */
  | { readonly kind: "peer"; readonly n: number; readonly bug: boolean };

export interface BuiltModel {
  readonly system: TransitionSystem<StateView>;
  readonly invariants: readonly Invariant<StateView>[];
}

export function buildModel(spec: ModelSpec): BuiltModel {
  if (spec.kind === "peer") {
    const machine = new PeerMachine({ n: spec.n, bug: spec.bug });
    return { system: machine as unknown as TransitionSystem<StateView>, invariants: PEER_INVARIANTS as unknown as Invariant<StateView>[] };
  }
  const variant = findVariant(spec.variant);
  if (!variant) throw new Error(`unknown variant ${spec.variant}`);
  const machine = new Machine(loadScenario(spec.scenario, spec.params).config, variant);
  return { system: machine as unknown as TransitionSystem<StateView>, invariants: INVARIANTS as unknown as Invariant<StateView>[] };
}
