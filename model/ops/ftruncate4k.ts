/**
 * ftruncate of a 4 KiB file (ftruncate4k; kernel-notes §5). do_truncate holds inode_lock
 * throughout. Shrinking: truncate_setsize writes i_size, then truncate_pagecache unmaps every pte
 * past it — private COW copies too (even_cows) — under i_mmap_rwsem, removes the page-cache pages
 * one by one under their page locks (truncate_inode_pages), and unmaps again, for the COW copies a
 * fault made meanwhile; then the filesystem frees the blocks. Growing only writes i_size.
 *
 * Seed 004's kernel (ext2_setsize): unmap_mapping_range takes i_mmap_mutex (the model's
 * i_mmap_rwsem for write), and nothing else holds faults off. Today (ext4_setattr, as xfs):
 * filemap_invalidate_lock is held from before i_size is written until the blocks are freed, and
 * unmap_mapping_range takes i_mmap_rwsem for read.
 */
import type { Kernel } from "../kernel.js";
import { unmap_mapping_range, truncate_blocks, truncate_inode_page } from "../mm/filemap.js";
import type { StepDef } from "../mm/memory.js";
import { BLOCKED, DONE, procedure, Result } from "../types.js";

type Truncate4kStep = "do_truncate" | "filemap_invalidate_lock" | "unmap_mapping_range" | "truncate_inode_pages" | "unmap_mapping_range_again" | "truncate_blocks";

/**
 * Today's truncate holds invalidate_lock (mapping->invalidate_lock, v5.15), on a DAX file and a
 * page-cache one alike. It came after the DAX entry locks, so the variant that has
 * dax_iomap_pte_fault is the one that has it; seed 004's kernel has neither.
 */
function invalidate_lock_held(k: Kernel): boolean {
  return k.variant.daxFault === "dax_iomap_pte_fault";
}

/** truncate_setsize: i_size, written before anything is unmapped. */
function truncate_setsize(k: Kernel, t: number, next: number): number {
  const op = k.op(t);
  const grows = op.size >= k.file4k_i_size(op.file);
  k.set_file4k_i_size(op.file, op.size);
  return grows ? truncate_done(k, t) : next;
}

function truncate_done(k: Kernel, t: number): number {
  const op = k.op(t);
  if (invalidate_lock_held(k)) k.up_write(k.invalidate_lock(op.file), t);
  k.unlock(k.file4k_i_rwsem(op.file), t);
  k.set_result(t, Result.OK);
  return DONE;
}

/** unmap_mapping_range(mapping, newsize, 0, 1) under i_mmap_rwsem (seed 004: i_mmap_mutex). */
function unmapStep(label: string, next: () => number): StepDef {
  return {
    fn: "unmap_mapping_range",
    label,
    reads: ["vma", "pte"],
    writes: ["i_mmap_rwsem", "ptl", "pte", "page"],
    run(k, t) {
      const op = k.op(t);
      const rwsem = k.file4k_i_mmap_rwsem(op.file);
      const read = invalidate_lock_held(k);
      if (!(read ? k.down_read_trylock(rwsem, t) : k.down_write_trylock(rwsem, t))) return BLOCKED;
      unmap_mapping_range(k, op.file, op.size);
      if (read) k.up_read(rwsem, t);
      else k.up_write(rwsem, t);
      return next();
    },
  };
}

export const ftruncate4k = procedure<Truncate4kStep>(
  "ftruncate4k",
  ["do_truncate", "filemap_invalidate_lock", "unmap_mapping_range", "truncate_inode_pages", "unmap_mapping_range_again", "truncate_blocks"],
  (pc) => ({
    do_truncate: {
      fn: "do_truncate",
      label: "do_truncate:inode_lock",
      reads: ["i_size"],
      writes: ["i_rwsem", "i_size"],
      run(k, t) {
        if (!k.trylock(k.file4k_i_rwsem(k.op(t).file), t)) return BLOCKED;
        if (invalidate_lock_held(k)) return pc.filemap_invalidate_lock;
        return truncate_setsize(k, t, pc.unmap_mapping_range);
      },
    },
    filemap_invalidate_lock: {
      fn: "ext4_setattr",
      label: "ext4_setattr:filemap_invalidate_lock",
      reads: [],
      writes: ["invalidate_lock", "i_size"],
      run(k, t) {
        if (!k.down_write_trylock(k.invalidate_lock(k.op(t).file), t)) return BLOCKED;
        return truncate_setsize(k, t, pc.unmap_mapping_range);
      },
    },
    unmap_mapping_range: unmapStep("truncate_pagecache:unmap_mapping_range", () => pc.truncate_inode_pages),
    truncate_inode_pages: {
      fn: "truncate_inode_pages_range",
      label: "truncate_inode_pages_range:folio_lock",
      reads: ["page_cache"],
      writes: ["page_cache", "page", "page_lock", "pte"],
      run(k, t) {
        const op = k.op(t);
        const removed = truncate_inode_page(k, t, op.file, op.size);
        if (removed === false) return BLOCKED;
        return removed ? pc.truncate_inode_pages : pc.unmap_mapping_range_again;
      },
    },
    unmap_mapping_range_again: unmapStep("truncate_pagecache:unmap_mapping_range(again)", () => pc.truncate_blocks),
    truncate_blocks: {
      // Seed 004's ext2_setsize calls __ext2_truncate_blocks at the same point.
      fn: "ext4_truncate",
      label: "ext4_truncate:free_blocks",
      reads: [],
      writes: ["block", "invalidate_lock", "i_rwsem"],
      run(k, t) {
        const op = k.op(t);
        truncate_blocks(k, op.file, op.size);
        return truncate_done(k, t);
      },
    },
  }),
);
