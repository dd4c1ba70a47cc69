/** Searches as the tests run them. */
import type { Invariant } from "../../core/invariant.js";
import type { ModelRef } from "../../core/model.js";
import type { StateView } from "../../core/state-view.js";
import type { TransitionSystem } from "../../core/system.js";
import { explore } from "../../explorer/explore.js";
import type { ExploreOptions, ExploreResult } from "../../explorer/options.js";
import { buildModel } from "../../models/index.js";

/** The search of a transition system and invariants built in the test (no model reference: one thread). */
export function search<V extends StateView>(
  system: TransitionSystem<V>,
  invariants: readonly Invariant<V>[],
  options: ExploreOptions = {},
): Promise<ExploreResult> {
  return explore({ system, invariants, identity: {} }, options);
}

/** The search of a shipped model by reference, as the CLI runs it: built here, rebuilt by each pool thread. */
export async function exploreRef(ref: ModelRef, workers: number | "auto", options: ExploreOptions = {}): Promise<ExploreResult> {
  return explore(await buildModel(ref), { ...options, workers });
}
