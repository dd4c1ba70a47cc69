/**
 * mmap of a hugetlbfs file (or MAP_HUGETLB, which is a file on the internal mount):
 * mmap_region → hugetlbfs_file_mmap → hugetlb_reserve_pages, then vma_link.
 */
import { hugetlb_reserve_pages } from "../hugetlb/reserve.js";
import { VM_NORESERVE, VM_SHARED, VM_WRITE } from "../layout.js";
import { find_vma_intersection, vma_link, vma_record, vma_unlink } from "../mm/vma.js";
import { BLOCKED, DONE, procedure, Result } from "../types.js";
import { mmapWriteLockStep } from "./munmap.js";

export const mmap = procedure<"mmap_write_lock" | "hugetlbfs_file_mmap">(
  "mmap",
  ["mmap_write_lock", "hugetlbfs_file_mmap"],
  (pc) => ({
    mmap_write_lock: mmapWriteLockStep(() => pc.hugetlbfs_file_mmap),
    hugetlbfs_file_mmap: {
      fn: "hugetlbfs_file_mmap",
      reads: ["vma", "resv_map", "i_size"],
      writes: ["vma", "resv_map", "pool", "i_size", "i_mmap_rwsem", "i_rwsem"],
      run(k, t) {
        const op = k.op(t);
        const rwsem = k.i_mmap_rwsem(op.file);
        // hugetlbfs_file_mmap takes inode_lock around hugetlb_reserve_pages and the i_size update.
        if (!k.trylock(k.i_rwsem(op.file), t)) return BLOCKED;
        if (!k.down_write_trylock(rwsem, t)) return BLOCKED;
        let result: number = Result.OK;
        if (find_vma_intersection(k, op.proc, op.addr, op.addr + op.len)) {
          result = Result.EINVAL; // the model does not replace mappings (no MAP_FIXED over a VMA)
        } else {
          const flags =
            (op.shared ? VM_SHARED : 0) | (op.writable ? VM_WRITE : 0) | (op.noreserve ? VM_NORESERVE : 0);
          const vma = vma_link(k, op.proc, vma_record(op.addr, op.addr + op.len, op.pgoff, flags, op.file));
          if (!hugetlb_reserve_pages(k, op.file, op.pgoff, op.pgoff + op.len, vma)) {
            vma_unlink(k, vma);
            result = Result.ENOMEM;
          } else if (op.writable && k.i_size(op.file) < op.pgoff + op.len) {
            // hugetlbfs_file_mmap: a writable mapping past EOF extends i_size.
            k.set_i_size(op.file, op.pgoff + op.len);
          }
        }
        k.up_write(rwsem);
        k.unlock(k.i_rwsem(op.file));
        k.up_write(k.mmap_lock(op.proc));
        k.set_result(t, result);
        return DONE;
      },
    },
  }),
);
