/**
 * ftruncate of a hugetlbfs file (hugetlbfs_setattr → hugetlb_vmtruncate): set i_size, unmap
 * the range from every VMA (i_mmap_rwsem), remove the page-cache pages index by index under
 * the fault mutex (remove_inode_hugepages), then hugetlb_unreserve_pages. Truncate holds no
 * mmap_lock of the processes mapping the file, so it races their faults.
 */
import { hugetlb_unreserve_pages } from "../hugetlb/reserve.js";
import { remove_inode_single_folio } from "../hugetlb/inode.js";
import { L_FLAGS, L_IDX } from "../kernel.js";
import { hugetlb_vmdelete_list } from "../mm/unmap.js";
import { BLOCKED, DONE, procedure, Result } from "../types.js";

type TruncateStep = "hugetlb_vmtruncate" | "hugetlb_vmdelete_list" | "remove_inode_hugepages" | "hugetlb_unreserve_pages";

export const ftruncate = procedure<TruncateStep>(
  "ftruncate",
  ["hugetlb_vmtruncate", "hugetlb_vmdelete_list", "remove_inode_hugepages", "hugetlb_unreserve_pages"],
  (pc) => ({
    hugetlb_vmtruncate: {
      fn: "hugetlb_vmtruncate",
      reads: [],
      writes: ["i_size", "i_rwsem"],
      run(k, t) {
        // do_truncate holds inode_lock throughout: truncates and mmaps of the file wait.
        const op = k.op(t);
        if (!k.trylock(k.i_rwsem(op.file), t)) return BLOCKED;
        if (k.variant.prefaultSyscalls && op.size > k.i_size(op.file)) {
          // 2.6.5: "Expanding truncates are not allowed" (pages were prefaulted at mmap only).
          k.unlock(k.i_rwsem(op.file), t);
          k.set_result(t, Result.EINVAL);
          return DONE;
        }
        k.set_i_size(op.file, op.size);
        return pc.hugetlb_vmdelete_list;
      },
    },
    hugetlb_vmdelete_list: {
      fn: "hugetlb_vmdelete_list",
      reads: ["vma"],
      writes: ["pte", "page", "pool", "i_mmap_rwsem"],
      run(k, t) {
        const op = k.op(t);
        const rwsem = k.i_mmap_rwsem(op.file);
        if (!k.down_write_trylock(rwsem, t)) return BLOCKED;
        hugetlb_vmdelete_list(k, op.file, op.size);
        k.up_write(rwsem, t);
        k.set_local(t, L_IDX, op.size);
        return op.size < k.L.filePages ? pc.remove_inode_hugepages : pc.hugetlb_unreserve_pages;
      },
    },
    remove_inode_hugepages: {
      fn: "remove_inode_hugepages",
      reads: ["page_cache", "pte"],
      writes: ["fault_mutex", "page_cache", "page", "pte", "pool"],
      run(k, t) {
        const op = k.op(t);
        const idx = k.local(t, L_IDX);
        if (!k.hugetlb_fault_mutex_lock(op.file, idx, t)) return BLOCKED;
        // Seed 000 predates reservations: nothing to count for hugetlb_unreserve_pages.
        if (remove_inode_single_folio(k, op.file, idx, true) && !k.variant.hugetlbPrefault)
          k.set_local(t, L_FLAGS, k.local(t, L_FLAGS) + 1);
        k.hugetlb_fault_mutex_unlock(op.file, idx, t);
        k.set_local(t, L_IDX, idx + 1);
        return idx + 1 < k.L.filePages ? pc.remove_inode_hugepages : pc.hugetlb_unreserve_pages;
      },
    },
    hugetlb_unreserve_pages: {
      fn: "hugetlb_unreserve_pages",
      reads: ["resv_map"],
      writes: ["resv_map", "pool", "i_rwsem"],
      run(k, t) {
        const op = k.op(t);
        hugetlb_unreserve_pages(k, op.file, op.size, k.L.filePages, k.local(t, L_FLAGS));
        k.unlock(k.i_rwsem(op.file), t);
        k.set_local(t, L_IDX, 0);
        k.set_local(t, L_FLAGS, 0);
        k.set_result(t, Result.OK);
        return DONE;
      },
    },
  }),
);
