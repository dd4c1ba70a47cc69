/**
 * fallocate(FALLOC_FL_PUNCH_HOLE) of a hugetlbfs file (hugetlbfs_punch_hole): under inode_lock,
 * unmap the hole from every VMA (i_mmap_rwsem), then remove its pages index by index under the
 * fault mutex, each page returning its index's reservation. Reservations of indices without a
 * page stay. The hole is [pgoff, pgoff + len), in huge pages. Follows fs/hugetlbfs/inode.c of
 * v6.18: nothing clamps the hole to i_size, and remove_inode_hugepages visits only the folios
 * filemap_get_folios finds, so the part of a hole past the indices the model tracks (where no
 * page can be) is simply not visited.
 */
import { remove_inode_single_folio } from "../hugetlb/inode.js";
import type { OpCall } from "../config.js";
import type { Kernel } from "../kernel.js";
import { L_IDX } from "../kernel.js";
import { hugetlb_vmdelete_list } from "../mm/unmap.js";
import { BLOCKED, DONE, procedure, Result } from "../types.js";

/** The end of the hole's part that can hold pages: the model tracks indices below L.filePages. */
function holeEnd(k: Kernel, op: OpCall): number {
  return Math.min(op.pgoff + op.len, k.L.filePages);
}

function punch_done(k: Kernel, t: number): number {
  k.unlock(k.i_rwsem(k.op(t).file), t);
  k.set_result(t, Result.OK);
  return DONE;
}

type PunchStep = "hugetlbfs_punch_hole" | "remove_inode_hugepages";

export const fallocatePunchHole = procedure<PunchStep>(
  "punch_hole",
  ["hugetlbfs_punch_hole", "remove_inode_hugepages"],
  (pc) => ({
    hugetlbfs_punch_hole: {
      fn: "hugetlbfs_punch_hole",
      reads: ["vma"],
      writes: ["pte", "page", "pool", "i_mmap_rwsem", "i_rwsem"],
      run(k, t) {
        const op = k.op(t);
        if (!k.variant.hugetlbfsFallocate) {
          // vfs_fallocate: no ->fallocate in hugetlbfs_file_operations before v4.3.
          k.set_result(t, Result.EOPNOTSUPP);
          return DONE;
        }
        if (!k.trylock(k.i_rwsem(op.file), t)) return BLOCKED;
        const rwsem = k.i_mmap_rwsem(op.file);
        if (!k.down_write_trylock(rwsem, t)) return BLOCKED;
        hugetlb_vmdelete_list(k, op.file, op.pgoff, op.pgoff + op.len);
        k.up_write(rwsem, t);
        if (op.pgoff >= holeEnd(k, op)) return punch_done(k, t);
        k.set_local(t, L_IDX, op.pgoff);
        return pc.remove_inode_hugepages;
      },
    },
    remove_inode_hugepages: {
      fn: "remove_inode_hugepages",
      reads: ["page_cache", "pte"],
      writes: ["fault_mutex", "page_cache", "page", "pte", "pool", "resv_map", "i_rwsem"],
      run(k, t) {
        const op = k.op(t);
        const idx = k.local(t, L_IDX);
        if (!k.hugetlb_fault_mutex_lock(op.file, idx, t)) return BLOCKED;
        remove_inode_single_folio(k, op.file, idx, false);
        k.hugetlb_fault_mutex_unlock(op.file, idx, t);
        if (idx + 1 < holeEnd(k, op)) {
          k.set_local(t, L_IDX, idx + 1);
          return pc.remove_inode_hugepages;
        }
        return punch_done(k, t);
      },
    },
  }),
);
