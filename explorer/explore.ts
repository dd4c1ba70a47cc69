/**
 * The search's one entry: a model (core/model.ts) and the options. The strategy is the
 * breadth-first search (explorer/bfs.ts); another strategy is a file beside it, chosen here.
 */
import type { StateView } from "../core/state-view.js";
import { bfs } from "./bfs.js";
import type { ExploreOptions, ExploreResult, Searched } from "./options.js";

export function explore<V extends StateView>(model: Searched<V>, options: ExploreOptions = {}): Promise<ExploreResult> {
  return bfs(model, options);
}
