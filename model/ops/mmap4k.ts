/**
 * mmap of 4 KiB memory (mmap4k): do_mmap → mmap_region under mmap_lock for write. A private
 * anonymous mapping has no file (vma_set_anonymous: pages come from do_anonymous_page); a shared
 * one is shmem (shmem_zero_setup gives it a file of its own); a mapping of a 4 KiB file faults
 * through the file's ->fault (kernel-notes §5), MAP_SHARED ones into its page cache. With MAP_POPULATE,
 * vm_mmap_pgoff populates it (model/mm/populate.ts) and ignores errors.
 */
import { L_IDX } from "../kernel.js";
import type { OpCall } from "../config.js";
import type { Kernel } from "../kernel.js";
import { VM_FILE4K, VM_HUGEPAGE, VM_MIXEDMAP, VM_NR_PAGES, VM_SHARED, VM_WRITE } from "../layout.js";
import { populateStepNames, populateSteps, type Populate } from "../mm/populate.js";
import { shmem_zero_setup } from "../mm/shmem.js";
import { find_vma_intersection, vma_link, vma_record } from "../mm/vma.js";
import { BLOCKED, DONE, procedure, Result } from "../types.js";

/** A 4 KiB file gets the filesystem's vm_ops; a DAX one maps its blocks by pfn (ext2_file_mmap: VM_MIXEDMAP). */
function fileFlags(k: Kernel, op: OpCall): number {
  if (!op.smallFile) return 0;
  return VM_FILE4K | (k.cfg.files4k[op.file]!.dax ? VM_MIXEDMAP : 0);
}

export const mmap4k = (pop: Populate) =>
  procedure<string>("mmap4k", ["mmap_region", ...populateStepNames(pop)], (pc) => ({
    mmap_region: {
      fn: "mmap_region",
      reads: ["vma"],
      writes: ["mmap_lock", "vma", "page_cache"],
      run(k, t) {
        const op = k.op(t);
        const lock = k.mmap_lock(op.proc);
        if (!k.down_write_trylock(lock, t)) return BLOCKED;
        if (find_vma_intersection(k, op.proc, op.addr, op.addr + 1)) {
          // The model does not replace mappings (no MAP_FIXED over a VMA).
          k.up_write(lock, t);
          k.set_result(t, Result.EINVAL);
          return DONE;
        }
        // A file mapping's vma_link_file takes i_mmap_rwsem for write; the model's truncate walks the
        // file's VMAs within one step and a new VMA has no ptes, so leaving that lock out only adds
        // interleavings (with a seed 004 DAX fault of another mm holding i_mmap_mutex).
        // A THP mapping is the whole 2 MiB slot, madvise(MADV_HUGEPAGE)d (VM_HUGEPAGE) after mmap;
        // a kernel without THP refuses the advice and the mapping stays 4 KiB memory.
        const thp = op.thp && k.variant.madviseHugepage;
        const flags = (op.shared ? VM_SHARED : 0) | (op.writable ? VM_WRITE : 0) | fileFlags(k, op) | (thp ? VM_HUGEPAGE : 0);
        const rec = vma_record(op.addr, op.addr + 1, 0, flags, op.file);
        rec[VM_NR_PAGES] = op.pages;
        const vma = vma_link(k, op.proc, rec);
        if (op.shared && !op.smallFile) shmem_zero_setup(k, op.file);
        if (!op.populate) {
          k.up_write(lock, t);
          k.set_result(t, Result.OK);
          return DONE;
        }
        return pop.era.mmap(k, t, vma, pc);
      },
    },
    ...populateSteps(pop, pc, (k, t) => {
      k.set_local(t, L_IDX, 0);
      k.set_result(t, Result.OK);
      return DONE;
    }),
  }));
