/**
 * madvise(MADV_WILLNEED) of [addr, addr + len), huge pages or (unit: 4k) 4 KiB pages, hugetlb or
 * 4 KiB memory (v6.18 mm/madvise.c: madvise_walk_vmas → madvise_vma_behavior →
 * madvise_willneed), under mmap_lock for read. What each VMA gets:
 * - private anonymous memory (and THP): the swap-in walk (swapin_walk_ops) finds no swap entry
 *   (no swap is modelled); shmem: shmem_swapin_range, likewise; a DAX file: the advice is ignored.
 *   Nothing changes, the lock is kept.
 * - any other file (hugetlbfs, MAP_HUGETLB's internal file, a 4 KiB file on a block
 *   filesystem): get_file, mmap_read_unlock, vfs_fadvise(POSIX_FADV_WILLNEED), fput,
 *   mmap_read_lock, and the walk goes on from the VMA's end by find_vma (the VMA may be gone).
 *   vfs_fadvise is generic_fadvise: hugetlbfs sits on noop_backing_dev_info, so the advice is
 *   ignored (no reservation, page or counter changes; the 2.6.2x leak that libhugetlbfs's
 *   madvise_reserve tests came from hugetlbfs_readpage, removed by f2deae9d4e70 in 2.6.30); a
 *   4 KiB file's pages inside i_size are read into the page cache (force_page_cache_readahead).
 *   In the window a munmap, truncate or fault of another thread may run: an unlinked file whose
 *   last VMA goes then is evicted at madvise's fput, not at the munmap.
 * Returns 0, or -ENOMEM when the range had a hole (the walk goes on past it) or no VMA is left
 * at or after the address the walk reached.
 */
import { hugetlbfs_fput, hugetlbfs_get_file } from "../hugetlb/inode.js";
import type { Kernel } from "../kernel.js";
import { L_FLAGS, L_IDX } from "../kernel.js";
import { SMALL_PER_HUGE, VM_MIXEDMAP } from "../layout.js";
import { page_cache_ra_unbounded } from "../mm/readahead.js";
import { find_vma_intersection } from "../mm/vma.js";
import { BLOCKED, DONE, procedure, Result } from "../types.js";
import { madviseLockStep } from "./madvise.js";

type WillneedStep = "madvise" | "vfs_fadvise" | "mmap_read_lock";

/**
 * L_FLAGS: bit 0, the range had a hole (madvise_walk_vmas' unmapped_error); bit 1, the file held
 * across vfs_fadvise is a 4 KiB file; bits 8–15 its index; bits 16–23 and 24–31 the 4 KiB file
 * pages [from, to) to read ahead. L_IDX: where the walk resumes, in 4 KiB pages.
 */
const UNMAPPED_ERROR = 1;
const FILE4K = 2;

function madvise_unlock(k: Kernel, t: number): number {
  k.up_read(k.mmap_lock(k.op(t).proc), t);
  k.set_result(t, k.local(t, L_FLAGS) & UNMAPPED_ERROR ? Result.ENOMEM : Result.OK);
  return DONE;
}

/**
 * madvise_willneed of the VMA's part [start, end): true when the lock was dropped
 * (mark_mmap_lock_dropped), the file held in the thread's locals for vfs_fadvise.
 */
function madvise_willneed(k: Kernel, t: number, vma: number, start: number, end: number): boolean {
  if (k.vma_is_anonymous(vma) || k.vma_is_shmem(vma) || k.vm_flags(vma) & VM_MIXEDMAP) return false;
  const f = k.vm_file(vma);
  let flags = k.local(t, L_FLAGS) & UNMAPPED_ERROR;
  if (k.vma_is_file4k(vma)) {
    // A 4 KiB VMA maps its slot's page p at file index p (mmap4k maps from the file's start).
    const base = k.vm_start(vma) * SMALL_PER_HUGE;
    flags |= FILE4K | (f << 8) | ((start * SMALL_PER_HUGE - base) << 16) | ((end * SMALL_PER_HUGE - base) << 24);
  } else {
    hugetlbfs_get_file(k, f);
    flags |= f << 8;
  }
  k.set_local(t, L_FLAGS, flags);
  k.set_local(t, L_IDX, end * SMALL_PER_HUGE);
  k.up_read(k.mmap_lock(k.op(t).proc), t);
  return true;
}

/** madvise_walk_vmas from address `start` (huge pages), under mmap_lock. */
function madvise_walk_vmas(k: Kernel, t: number, start: number, pc: Record<WillneedStep, number>): number {
  const op = k.op(t);
  const last = op.addr + op.len;
  for (;;) {
    // find_vma: the first VMA that ends past start; none is -ENOMEM whatever was done before.
    const vma = find_vma_intersection(k, op.proc, start, Infinity);
    if (!vma) {
      k.set_local(t, L_FLAGS, UNMAPPED_ERROR);
      return madvise_unlock(k, t);
    }
    if (start < k.vma_lo(vma)) {
      k.set_local(t, L_FLAGS, k.local(t, L_FLAGS) | UNMAPPED_ERROR);
      start = k.vma_lo(vma);
      if (start >= last) return madvise_unlock(k, t);
    }
    const end = Math.min(k.vma_hi(vma), last);
    if (madvise_willneed(k, t, vma, start, end)) return pc.vfs_fadvise;
    if (end >= last) return madvise_unlock(k, t);
    start = end;
  }
}

export const madviseWillneed = procedure<WillneedStep>("madvise_willneed", ["madvise", "vfs_fadvise", "mmap_read_lock"], (pc) => ({
  madvise: madviseLockStep((k, t) => madvise_walk_vmas(k, t, k.op(t).addr, pc)),
  vfs_fadvise: {
    fn: "vfs_fadvise",
    label: "generic_fadvise:POSIX_FADV_WILLNEED",
    reads: ["page_cache", "i_size"],
    writes: ["page_cache", "page", "invalidate_lock", "pool", "resv_map"],
    run(k, t) {
      const flags = k.local(t, L_FLAGS);
      const f = (flags >> 8) & 0xff;
      if (flags & FILE4K) {
        if (!page_cache_ra_unbounded(k, t, f, (flags >> 16) & 0xff, (flags >> 24) & 0xff)) return BLOCKED;
      } else hugetlbfs_fput(k, f); // noop_backing_dev_info: the advice is ignored
      k.set_local(t, L_FLAGS, flags & UNMAPPED_ERROR);
      return pc.mmap_read_lock;
    },
  },
  mmap_read_lock: {
    fn: "madvise_willneed",
    label: "madvise_willneed:mmap_read_lock",
    reads: ["vma"],
    writes: ["mmap_lock"],
    run(k, t) {
      const op = k.op(t);
      if (!k.down_read_trylock(k.mmap_lock(op.proc), t)) return BLOCKED;
      const next = k.local(t, L_IDX) / SMALL_PER_HUGE;
      k.set_local(t, L_IDX, 0);
      return next >= op.addr + op.len ? madvise_unlock(k, t) : madvise_walk_vmas(k, t, next, pc);
    },
  },
}));
