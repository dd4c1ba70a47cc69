/**
 * fault(p, i) of the peer model: a write fault on index i of F in process p, the hugetlb_fault →
 * hugetlb_no_page path cut into the spec's six atomic steps. The fault mutex of i is held from
 * step 1 to step 6, so a truncate's remove_inode_hugepages of i waits for a fault in progress.
 *
 * With `bug`, the 2006 "absurd HugePages_Rsvd" fault: i_size is checked only after the
 * allocation, in a step of its own (3b′), and backing out of it then frees the page without
 * returning the reservation the allocation consumed.
 */
import { BLOCKED, DONE, ModelError, procedure, type Procedure } from "../../core/procedure.js";
import type { PeerState } from "./state.js";

type FaultStep =
  | "mutex_lock"
  | "hugetlb_no_page"
  | "alloc_hugetlb_folio"
  | "i_size_recheck"
  | "hugetlb_add_to_page_cache"
  | "ptl"
  | "mutex_unlock";

/** The spec's steps 1–6, and in the bug variant its step 3b′ (i_size_recheck) after the allocation. */
const BUG_STEPS: readonly FaultStep[] = [
  "mutex_lock",
  "hugetlb_no_page",
  "alloc_hugetlb_folio",
  "i_size_recheck",
  "hugetlb_add_to_page_cache",
  "ptl",
  "mutex_unlock",
];
const STEPS = BUG_STEPS.filter((s) => s !== "i_size_recheck");

/** The fault ends with SIGBUS: drop the fault mutex; the thread goes on with its next index. */
function sigbus(k: PeerState, i: number): number {
  k.mutex_unlock(i);
  return DONE;
}

/** dequeue_hugetlb_folio: the lowest-numbered free page (the spec's rule, so all checkers pick the same). */
function dequeue_hugetlb_folio(k: PeerState): number {
  for (let g = 1; g <= k.L.pages; g++) if (k.ref(g) === 0) return g;
  throw new ModelError(`HugePages_Free = ${k.free} but every page is referenced`);
}

export function hugetlbFault(bug: boolean): Procedure<PeerState> {
  return procedure<FaultStep, PeerState>(
    "fault",
    bug ? BUG_STEPS : STEPS,
    (pc) => ({
      // 1. hugetlb_fault serialises faults (and remove_inode_hugepages) on an index.
      mutex_lock: {
        fn: "hugetlb_fault",
        reads: [],
        writes: ["fault_mutex"],
        run(k, t) {
          return k.mutex_trylock(k.fault_index(t)) ? pc.hugetlb_no_page : BLOCKED;
        },
      },
      // 2. Beyond i_size, SIGBUS: truncate has cut the file and will remove this index (the bug
      //    variant skips this check). Else a page already in the cache is mapped, with a
      //    reference of our own.
      hugetlb_no_page: {
        fn: "hugetlb_no_page",
        reads: ["i_size", "page_cache"],
        writes: ["fault_mutex", "page"],
        run(k, t) {
          const i = k.fault_index(t);
          if (!bug && i >= k.isize) return sigbus(k, i);
          const g = k.cache(i);
          if (!g) return pc.alloc_hugetlb_folio;
          k.set_ref(g, k.ref(g) + 1);
          k.set_hold(t, g);
          return pc.ptl;
        },
      },
      // 3. A new page, on the index's reservation if it still has one, else on an unreserved
      //    free page; with neither, SIGBUS. The thread holds the page's one reference.
      alloc_hugetlb_folio: {
        fn: "alloc_hugetlb_folio",
        reads: ["resv_map", "pool"],
        writes: ["resv_map", "pool", "page", "fault_mutex"],
        run(k, t) {
          const i = k.fault_index(t);
          if (k.region(i) && !k.consumed(i)) {
            k.free -= 1;
            k.resv -= 1;
            k.set_consumed(i, 1);
          } else if (k.free - k.resv > 0) {
            k.free -= 1;
          } else {
            return sigbus(k, i);
          }
          const g = dequeue_hugetlb_folio(k);
          k.set_ref(g, 1);
          k.set_hold(t, g);
          // (pc.i_size_recheck exists only in the bug variant's step list.)
          return bug ? pc.i_size_recheck : pc.hugetlb_add_to_page_cache;
        },
      },
      // 3b′ (bug variant only). The late i_size check: beyond it, back out. The page goes back
      //    to the pool, but the reservation it consumed stays consumed (nothing restores it), so
      //    the truncate's hugetlb_unreserve_pages will count it as still held: Rsvd goes absurd.
      i_size_recheck: {
        fn: "hugetlb_no_page",
        reads: ["i_size"],
        writes: ["pool", "page", "fault_mutex"],
        run(k, t) {
          const i = k.fault_index(t);
          if (i < k.isize) return pc.hugetlb_add_to_page_cache;
          k.set_ref(k.hold(t), 0);
          k.set_hold(t, 0);
          k.free += 1;
          return sigbus(k, i);
        },
      },
      // 4. The page cache keeps the allocation's reference; the mapping about to be made takes
      //    another, held by the thread until the pte is in.
      hugetlb_add_to_page_cache: {
        fn: "hugetlb_add_to_page_cache",
        reads: [],
        writes: ["page_cache", "resv_map", "page"],
        run(k, t) {
          const i = k.fault_index(t);
          const g = k.hold(t);
          k.set_cache(i, g);
          k.set_region(i, 1);
          k.set_ref(g, k.ref(g) + 1);
          return pc.ptl;
        },
      },
      // 5. Under the page-table lock (taken and dropped within the step): install the pte, or,
      //    if one is there already, drop the reference meant for it.
      ptl: {
        fn: "hugetlb_no_page",
        reads: ["pte"],
        writes: ["pte", "page", "ptl"],
        run(k, t) {
          const p = k.fault_mm(t);
          const i = k.fault_index(t);
          const g = k.hold(t);
          if (k.pte(p, i) === 0) {
            k.set_pte(p, i, g);
            k.set_mapc(g, k.mapc(g) + 1);
          } else {
            k.set_ref(g, k.ref(g) - 1);
          }
          k.set_hold(t, 0);
          return pc.mutex_unlock;
        },
      },
      // 6. The fault is over.
      mutex_unlock: {
        fn: "hugetlb_fault",
        reads: [],
        writes: ["fault_mutex"],
        run(k, t) {
          k.mutex_unlock(k.fault_index(t));
          return DONE;
        },
      },
    }),
  );
}
