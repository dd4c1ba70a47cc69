/**
 * An operation's result honours what its era promised. A hugetlb fault on an index its task
 * holds a reservation for (promise.ts, per era: README "Result guarantees") is never refused a
 * page: never SIGBUS (reserved-fault-succeeds, kept under its own name), and never VM_FAULT_OOM
 * (ENOMEM here) — which 2.6.21's hugetlb_cow and seed 002's page_fault return when the pool is
 * empty. A failure the scenario injects (fail_add_to_page_cache: the page-cache insertion's own
 * -ENOMEM) is not for want of a page.
 */
import { Result } from "../model/types.js";
import { promisedIndex } from "./promise.js";
import type { Invariant } from "./types.js";

export const resultGuarantee: Invariant = {
  name: "result-guarantee",
  summary: "an operation's result honours what its era promised: a fault on a reserved index never gets VM_FAULT_OOM (SIGBUS: reserved-fault-succeeds)",
  onOpEnd: true,
  step({ before, after, thread, opEnded }) {
    if (!opEnded || after.thread_result(thread) !== Result.ENOMEM) return null;
    if (before.op(thread).failAddToPageCache) return null;
    const idx = promisedIndex(before, thread);
    if (idx < 0) return null;
    return `${before.op(thread).text} got VM_FAULT_OOM although file index ${idx} holds a reservation`;
  },
};
