/**
 * A model's operations: a Procedure is cut into atomic Steps exactly where the code it models
 * takes (and may block on) a lock that is held across steps. A step may refuse to run (BLOCKED)
 * only before it has changed anything that matters: what it wrote is then undone.
 */
import type { StateView } from "./state-view.js";

/** A step's result: the pc of the thread's next step in the same procedure, or one of these. */
export const DONE = -1;
export const BLOCKED = -2;

/**
 * A step of a procedure run on the model's view V. Its footprint (`reads`, `writes`: the
 * objects of type F it touches, named by the model) tells the race diagram where threads meet.
 */
export interface Step<V extends StateView, F extends string = string> {
  /** The step's label: the function, and the point in it, e.g. `hugetlb_no_page:pte_same`. */
  readonly label: string;
  /** The function this step stands for. */
  readonly fn: string;
  readonly reads: readonly F[];
  readonly writes: readonly F[];
  run(k: V, t: number): number;
}

export interface Procedure<V extends StateView, F extends string = string> {
  /** The operation as a user names it (`fault`, `munmap`, …). */
  readonly name: string;
  readonly steps: readonly Step<V, F>[];
}

/** A bug in the model itself (not in what it models): exploration stops with a stack. */
export class ModelError extends Error {
  override name = "ModelError";
}

/**
 * Builds a procedure whose steps are addressed by name; `pc.x` is the index of step `x`. A
 * step's label is its function, with the step's name after a colon when they differ.
 */
export function procedure<N extends string, V extends StateView, F extends string = string>(
  name: string,
  labels: readonly N[],
  build: (pc: Record<N, number>) => Record<N, Omit<Step<V, F>, "label"> & { label?: string }>,
): Procedure<V, F> {
  const pc = Object.fromEntries(labels.map((l, i) => [l, i])) as Record<N, number>;
  const defs = build(pc);
  const steps = labels.map((l) => {
    const d = defs[l];
    return { ...d, label: d.label ?? (d.fn === l ? l : `${d.fn}:${l}`) } as Step<V, F>;
  });
  return { name, steps };
}
