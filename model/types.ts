/**
 * The model framework: a kernel path is a Procedure, cut into atomic Steps exactly where the
 * kernel takes (and may block on) a lock that is held across steps. A step may refuse to run
 * (BLOCKED) only before it has changed anything that matters: what it wrote is then undone.
 */
import type { Kernel } from "./kernel.js";
import type { StateView } from "./state-view.js";

/** A step's result: the pc of the thread's next step in the same procedure, or one of these. */
export const DONE = -1;
export const BLOCKED = -2;

/** What an operation returned, kept per thread (TH_RESULT) for traces and invariants. */
export const Result = { OK: 0, SIGBUS: 1, SIGSEGV: 2, ENOMEM: 3, EINVAL: 4, EFAULT: 5 } as const;
export const RESULT_NAMES = ["ok", "SIGBUS", "SIGSEGV", "ENOMEM", "EINVAL", "EFAULT"] as const;

/** The kernel objects a step may read or write: its footprint, used by the race diagram. */
export type Obj =
  | "pool"
  | "resv_map"
  | "page_cache"
  | "i_size"
  | "vma"
  | "pte"
  | "page"
  | "mmap_lock"
  | "fault_mutex"
  | "vma_lock"
  | "ptl"
  | "page_lock"
  | "i_mmap_rwsem"
  | "i_rwsem"
  | "invalidate_lock"
  | "dax_entry"
  | "block"
  | "mm";

export interface Step<V extends StateView = Kernel> {
  /** The step's label: the kernel function, and the point in it, e.g. `hugetlb_no_page:pte_same`. */
  readonly label: string;
  /** The kernel function this step stands for. */
  readonly fn: string;
  readonly reads: readonly Obj[];
  readonly writes: readonly Obj[];
  run(k: V, t: number): number;
}

export interface Procedure<V extends StateView = Kernel> {
  /** The operation as a user names it in a scenario (`fault`, `munmap`, …). */
  readonly name: string;
  readonly steps: readonly Step<V>[];
}

/** A bug in the model itself (not in the modelled kernel): exploration stops with a stack. */
export class ModelError extends Error {
  override name = "ModelError";
}

/**
 * Builds a procedure whose steps are addressed by name; `pc.x` is the index of step `x`. A
 * step's label is its kernel function, with the step's name after a colon when they differ.
 */
export function procedure<N extends string, V extends StateView = Kernel>(
  name: string,
  labels: readonly N[],
  build: (pc: Record<N, number>) => Record<N, Omit<Step<V>, "label"> & { label?: string }>,
): Procedure<V> {
  const pc = Object.fromEntries(labels.map((l, i) => [l, i])) as Record<N, number>;
  const defs = build(pc);
  const steps = labels.map((l) => {
    const d = defs[l];
    return { ...d, label: d.label ?? (d.fn === l ? l : `${d.fn}:${l}`) } as Step<V>;
  });
  return { name, steps };
}
