/**
 * The core's procedures and steps (core/procedure.ts) specialised to the mm model: a step runs
 * on the kernel view and its footprint names kernel objects.
 */
import * as core from "../core/procedure.js";
import type { Kernel } from "./kernel.js";

export { BLOCKED, DONE, ModelError } from "../core/procedure.js";

/** What an operation returned, kept per thread (TH_RESULT) for traces and invariants. */
/**
 * EAGAIN: migrate's page was not moved (move_pages returns the number of such pages, 1; the
 * kernel's migrate_pages gives up on a page that stays -EAGAIN).
 */
/**
 * PARTIAL: get_user_pages of several pages (gup4k `pages`) returned fewer than asked, a count
 * (__get_user_pages stops at a hole, a VMA check_vma_flags refuses, or a failed fault, and
 * returns the pages it has when it has any).
 */
export const Result = { OK: 0, SIGBUS: 1, SIGSEGV: 2, ENOMEM: 3, EINVAL: 4, EFAULT: 5, EACCES: 6, EOPNOTSUPP: 7, EAGAIN: 8, PARTIAL: 9 } as const;
export const RESULT_NAMES = ["ok", "SIGBUS", "SIGSEGV", "ENOMEM", "EINVAL", "EFAULT", "EACCES", "EOPNOTSUPP", "EAGAIN", "partial"] as const;

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

export type Step = core.Step<Kernel, Obj>;
export type Procedure = core.Procedure<Kernel, Obj>;

/** core/procedure.ts's procedure() for a kernel procedure. */
export function procedure<N extends string>(
  name: string,
  labels: readonly N[],
  build: (pc: Record<N, number>) => Record<N, Omit<Step, "label" | "id"> & { label?: string }>,
): Procedure {
  return core.procedure<N, Kernel, Obj>(name, labels, build);
}
