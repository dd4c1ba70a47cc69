/**
 * A reservation is a promise: a fault on an index that holds one never gets SIGBUS for want of
 * a page (kernel-notes §2; the libhugetlbfs tests alloc-instantiate-race and
 * noresv-preserve-resv-page). What counts as holding one, and the exceptions, are promise.ts's.
 * result-guarantee holds the same promise against VM_FAULT_OOM.
 */
import { Result } from "../model/types.js";
import { promisedIndex } from "./promise.js";
import type { Invariant } from "./types.js";

export const reservedFaultSucceeds: Invariant = {
  name: "reserved-fault-succeeds",
  summary: "a fault on an index that holds a reservation never gets SIGBUS (except beyond i_size, after unmap_ref_private, or when the index held none as its allocation failed)",
  onOpEnd: true,
  step({ before, after, thread, opEnded }) {
    if (!opEnded || after.thread_result(thread) !== Result.SIGBUS) return null;
    const idx = promisedIndex(before, thread);
    if (idx < 0) return null;
    return `${before.op(thread).text} got SIGBUS although file index ${idx} holds a reservation`;
  },
};
