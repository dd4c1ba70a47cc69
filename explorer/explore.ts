/**
 * The search's one entry: a model (core/model.ts) and the options. The strategy is the
 * breadth-first search (explorer/bfs.ts), or with `walks` random walks (explorer/walk.ts);
 * another strategy is a file beside them, chosen here.
 */
import type { StateView } from "../core/state-view.js";
import { bfs } from "./bfs.js";
import type { ExploreOptions, ExploreResult, Searched } from "./options.js";
import { randomWalks } from "./walk.js";

export function explore<V extends StateView>(model: Searched<V>, options: ExploreOptions = {}): Promise<ExploreResult> {
  if (options.walks) return Promise.resolve(randomWalks(model, options.walks));
  return bfs(model, options);
}
