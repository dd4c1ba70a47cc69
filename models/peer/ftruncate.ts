/**
 * ftruncate(F, S) of the peer model (T3): hugetlbfs_setattr → hugetlb_vmtruncate. Set i_size,
 * unmap the cut range from A and from B (hugetlb_vmdelete_list), then remove the page-cache
 * pages index by index, each under that index's fault mutex (remove_inode_hugepages), then
 * return the cut range's reservations (hugetlb_unreserve_pages). Truncate takes no lock of the
 * processes, so their faults run between its steps.
 */
import { BLOCKED, DONE, procedure } from "../../core/procedure.js";
import { A, B } from "./layout.js";
import type { PeerState } from "./state.js";

type TruncateStep =
  | "i_size_write"
  | "A"
  | "B"
  | "mutex_lock"
  | "remove_inode_single_folio"
  | "mutex_unlock"
  | "hugetlb_unreserve_pages";

/**
 * __unmap_hugepage_range for index i of process p: clear the pte, drop its mapcount and the
 * reference the mapping held. The page cache still holds one, so the page stays allocated.
 */
function unmap_hugepage(k: PeerState, p: number, i: number): void {
  const g = k.pte(p, i);
  if (!g) return;
  k.set_pte(p, i, 0);
  k.set_mapc(g, k.mapc(g) - 1);
  k.set_ref(g, k.ref(g) - 1);
}

export const ftruncate = procedure<TruncateStep, PeerState>(
  "ftruncate",
  ["i_size_write", "A", "B", "mutex_lock", "remove_inode_single_folio", "mutex_unlock", "hugetlb_unreserve_pages"],
  (pc) => ({
    // 1. From here on, faults at indices ≥ S get SIGBUS instead of a page (in the bug variant,
    //    only once they have allocated one).
    i_size_write: {
      fn: "hugetlb_vmtruncate",
      reads: [],
      writes: ["i_size"],
      run(k) {
        k.isize = k.L.truncateTo;
        return pc.A;
      },
    },
    // 2A, 2B. Unmap the cut range from each VMA mapping the file, one process per step.
    A: {
      fn: "hugetlb_vmdelete_list",
      reads: ["pte"],
      writes: ["pte", "page"],
      run(k) {
        for (let i = k.L.truncateTo; i < k.L.n; i++) unmap_hugepage(k, A, i);
        return pc.B;
      },
    },
    B: {
      fn: "hugetlb_vmdelete_list",
      reads: ["pte"],
      writes: ["pte", "page"],
      run(k, t) {
        for (let i = k.L.truncateTo; i < k.L.n; i++) unmap_hugepage(k, B, i);
        // remove_inode_hugepages starts at the first cut index (S < N: there is one).
        k.set_j(t, k.L.truncateTo);
        return pc.mutex_lock;
      },
    },
    // 3a. Wait for a fault in progress at index j.
    mutex_lock: {
      fn: "remove_inode_hugepages",
      reads: [],
      writes: ["fault_mutex"],
      run(k, t) {
        return k.mutex_trylock(k.j(t)) ? pc.remove_inode_single_folio : BLOCKED;
      },
    },
    // 3b. A fault may have mapped index j after the unmap of step 2: unmap it again, then
    //     delete the page from the cache; the page is freed if that was its last reference.
    remove_inode_single_folio: {
      fn: "remove_inode_single_folio",
      reads: ["pte", "page_cache"],
      writes: ["pte", "page_cache", "page", "pool"],
      run(k, t) {
        const j = k.j(t);
        unmap_hugepage(k, A, j);
        unmap_hugepage(k, B, j);
        const g = k.cache(j);
        if (g) {
          k.set_cache(j, 0);
          k.set_ref(g, k.ref(g) - 1);
          if (k.ref(g) === 0) {
            k.free += 1;
            k.set_freed(t, k.freed(t) + 1);
          }
        }
        return pc.mutex_unlock;
      },
    },
    // 3c. On to the next index.
    mutex_unlock: {
      fn: "remove_inode_hugepages",
      reads: [],
      writes: ["fault_mutex"],
      run(k, t) {
        const j = k.j(t);
        k.mutex_unlock(j);
        k.set_j(t, j + 1);
        return j + 1 < k.L.n ? pc.mutex_lock : pc.hugetlb_unreserve_pages;
      },
    },
    // 4. Delete the cut range from the reserve map and return to Rsvd the entries that still
    //    held a reservation: chg entries, less the freed pages that had consumed theirs.
    hugetlb_unreserve_pages: {
      fn: "hugetlb_unreserve_pages",
      reads: ["resv_map"],
      writes: ["resv_map", "pool"],
      run(k, t) {
        let chg = 0;
        for (let i = k.L.truncateTo; i < k.L.n; i++) {
          if (!k.region(i)) continue;
          chg++;
          k.set_region(i, 0);
        }
        k.resv -= chg - k.freed(t);
        k.set_freed(t, 0);
        return DONE;
      },
    },
  }),
);
