/**
 * The models a search can run, by a description that can cross to a worker thread: each worker
 * builds its own copy of the model from it.
 */
import { PEER_INVARIANTS } from "../bench/peer/invariants.js";
import { PeerMachine } from "../bench/peer/machine.js";
import type { Invariant } from "../invariants/types.js";
import type { KernelConfig } from "../model/config.js";
import type { StateView } from "../model/state-view.js";
import type { TransitionSystem } from "../explorer/system.js";

export type ModelSpec =
  | {
      readonly kind: "mm";
      readonly scenario: string;
      readonly variant: string;
      readonly params?: Readonly<Record<string, number>>;
      /** The kernel configuration given on the command line (over the scenario's kernel:). */
      readonly kernel?: Partial<KernelConfig>;
    }
  /** The peer benchmark model (bench/peer/, ../shared/peer-truncate-race.md). */
  | { readonly kind: "peer"; readonly n: number; readonly bug: boolean };

export interface BuiltModel {
  readonly system: TransitionSystem<StateView>;
  readonly invariants: readonly Invariant<StateView>[];
}

/**
 * The model a spec describes. The mm model's modules are loaded only for it: its scenario
 * loader (zod, yaml) takes about 150 ms to load, which a pool thread of a peer search, started
 * while the search runs, would otherwise spend before its first chunk.
 */
export async function buildModel(spec: ModelSpec): Promise<BuiltModel> {
  if (spec.kind === "peer") {
    const machine = new PeerMachine({ n: spec.n, bug: spec.bug });
    return { system: machine as unknown as TransitionSystem<StateView>, invariants: PEER_INVARIANTS as unknown as Invariant<StateView>[] };
  }
  const [{ INVARIANTS }, { Machine }, { findVariant }, { loadScenario }] = await Promise.all([
    import("../invariants/index.js"),
    import("../model/machine.js"),
    import("../model/variant.js"),
    import("../scenarios/load.js"),
  ]);
  const variant = findVariant(spec.variant);
  if (!variant) throw new Error(`unknown variant ${spec.variant}`);
  const machine = new Machine(loadScenario(spec.scenario, spec.params, spec.kernel).config, variant);
  return { system: machine as unknown as TransitionSystem<StateView>, invariants: INVARIANTS as unknown as Invariant<StateView>[] };
}
