/**
 * The shipped models, by the name a model reference (core/model.ts ModelRef) gives: each is
 * loaded only when asked for (the mm model's scenario loader takes about 150 ms to load, which
 * a pool thread of a peer search would otherwise spend before its first chunk).
 */
import type { AnyModel, ModelModule, ModelRef } from "../core/model.js";

const SHIPPED: Readonly<Record<string, () => Promise<ModelModule>>> = {
  mm: () => import("./mm.js"),
  peer: () => import("./peer/model.js"),
};

export const MODEL_NAMES = Object.keys(SHIPPED);

/** Builds the model a reference names. */
export async function buildModel(ref: ModelRef): Promise<AnyModel> {
  const load = Object.hasOwn(SHIPPED, ref.name) ? SHIPPED[ref.name] : undefined;
  if (!load) throw new Error(`model: unknown model "${ref.name}" (known: ${MODEL_NAMES.join(", ")})`);
  return (await load()).build(ref.args);
}
