/**
 * mmap of a hugetlbfs file (or MAP_HUGETLB, which is a file on the internal mount):
 * mmap_region → hugetlbfs_file_mmap → hugetlb_reserve_pages, then vma_link. hugetlbfs_file_mmap
 * holds inode_lock throughout; a shared mapping's reservation is made in two halves
 * (region_chg, then region_add), between which other processes' faults can run.
 */
import type { Kernel } from "../kernel.js";
import { L_FLAGS } from "../kernel.js";
import { hugetlb_reserve_pages_add, hugetlb_reserve_pages_chg, hugetlb_reserve_pages_private } from "../hugetlb/reserve.js";
import { VM_HUGETLB, VM_NORESERVE, VM_SHARED, VM_WRITE } from "../layout.js";
import { find_vma_intersection, vma_link, vma_record, vma_unlink } from "../mm/vma.js";
import { BLOCKED, DONE, procedure, Result } from "../types.js";
import { mmapWriteLockStep } from "./munmap.js";

/**
 * What a variant's era changes in mmap of a huge-page file: seed 000's hugetlbfs_file_mmap
 * prefaults the whole VMA instead of reserving (false: the pool ran out); seed 002's
 * /dev/page-huge has its own file_operations' mmap (a Result, or BLOCKED).
 */
export interface HugeMmapEra {
  readonly hugetlb_prefault: ((k: Kernel, vma: number) => boolean) | null;
  readonly page_mmap: ((k: Kernel, t: number) => number) | null;
}

/** MAP_NORESERVE, which hugetlbfs_file_mmap ignored before v2.6.27 (it reserved anyway). */
function noreserve(k: Kernel, t: number): boolean {
  return k.op(t).noreserve && k.variant.hugetlbNoreserve;
}

/** Links the new VMA (i_mmap_rwsem for write), extends i_size, and ends the mmap. */
function mmap_finish(k: Kernel, t: number, era: HugeMmapEra): number {
  const op = k.op(t);
  const flags = VM_HUGETLB | (op.shared ? VM_SHARED : 0) | (op.writable ? VM_WRITE : 0) | (noreserve(k, t) ? VM_NORESERVE : 0);
  const vma = vma_link(k, op.proc, vma_record(op.addr, op.addr + op.len, op.pgoff, flags, op.file));
  let result: number = Result.OK;
  if (era.hugetlb_prefault) {
    if (!era.hugetlb_prefault(k, vma)) {
      vma_unlink(k, vma);
      result = Result.ENOMEM;
    }
  } else if (!op.shared && !hugetlb_reserve_pages_private(k, op.pgoff, op.pgoff + op.len, vma)) {
    vma_unlink(k, vma);
    result = Result.ENOMEM;
  }
  if (result === Result.OK && (op.writable || k.variant.prefaultSyscalls) && k.i_size(op.file) < op.pgoff + op.len) {
    // hugetlbfs_file_mmap: a writable mapping past EOF extends i_size (in 2.6.5 every mapping).
    k.set_i_size(op.file, op.pgoff + op.len);
  }
  return mmap_end(k, t, result);
}

function mmap_end(k: Kernel, t: number, result: number): number {
  const op = k.op(t);
  k.unlock(k.i_rwsem(op.file), t);
  k.up_write(k.mmap_lock(op.proc), t);
  k.set_result(t, result);
  return DONE;
}

export const mmap = (era: HugeMmapEra) =>
  procedure<"mmap_write_lock" | "hugetlbfs_file_mmap" | "region_add">("mmap", ["mmap_write_lock", "hugetlbfs_file_mmap", "region_add"], (pc) => ({
    mmap_write_lock: mmapWriteLockStep(() => pc.hugetlbfs_file_mmap),
    hugetlbfs_file_mmap: {
      fn: "hugetlbfs_file_mmap",
      reads: ["vma", "resv_map", "i_size"],
      writes: ["vma", "resv_map", "pool", "i_size", "i_mmap_rwsem", "i_rwsem"],
      run(k, t) {
        const op = k.op(t);
        if (!k.trylock(k.i_rwsem(op.file), t)) return BLOCKED;
        // The model does not replace mappings (no MAP_FIXED over a VMA).
        if (find_vma_intersection(k, op.proc, op.addr, op.addr + op.len)) return mmap_end(k, t, Result.EINVAL);
        // file->f_op->mmap: the device's, where the variant has the driver.
        if (era.page_mmap && k.cfg.files[op.file]!.device) {
          const r = era.page_mmap(k, t);
          return r === BLOCKED ? BLOCKED : mmap_end(k, t, r);
        }
        if (!op.shared || noreserve(k, t) || era.hugetlb_prefault) return link_step(k, t, era);
        const chg = hugetlb_reserve_pages_chg(k, op.file, op.pgoff, op.pgoff + op.len);
        if (chg < 0) return mmap_end(k, t, Result.ENOMEM);
        k.set_local(t, L_FLAGS, chg);
        return pc.region_add;
      },
    },
    region_add: {
      fn: "hugetlb_reserve_pages",
      label: "hugetlb_reserve_pages:region_add",
      reads: ["resv_map"],
      writes: ["resv_map", "pool", "vma", "i_size", "i_mmap_rwsem", "i_rwsem"],
      run(k, t) {
        const op = k.op(t);
        hugetlb_reserve_pages_add(k, op.file, op.pgoff, op.pgoff + op.len, k.local(t, L_FLAGS));
        return link_step(k, t, era);
      },
    },
  }));

/** vma_link under i_mmap_rwsem (taken and released inside the step). */
function link_step(k: Kernel, t: number, era: HugeMmapEra): number {
  const rwsem = k.i_mmap_rwsem(k.op(t).file);
  if (!k.down_write_trylock(rwsem, t)) return BLOCKED;
  const r = mmap_finish(k, t, era);
  k.up_write(rwsem, t);
  return r;
}
