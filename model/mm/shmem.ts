/**
 * Shared anonymous memory is shmem (mm/shmem.c): mmap of MAP_SHARED|MAP_ANONYMOUS gives the VMA
 * a file of its own on the internal mount (shmem_zero_setup), and its pages live in that file's
 * page cache, so a read fault allocates a real page and the zero page is never used. The file
 * lives as long as a VMA holds it; the last fput evicts the inode and its pages.
 */
import type { Kernel } from "../kernel.js";
import { L_IDX, L_LOCKED, L_PAGE, L_VMA } from "../kernel.js";
import { BLOCKED } from "../types.js";
import { filemap_lock_or_alloc } from "./filemap.js";
import type { VmOperations } from "./memory.js";
import { folio_put } from "./page_alloc.js";

/** folio->mapping of shmem inode i's pages: numbered after the hugetlbfs files. */
export function shmem_mapping(k: Kernel, i: number): number {
  return k.L.files + i + 1;
}

/** shmem_zero_setup: the new VMA holds shmem inode i (shmem_kernel_file_setup, i_size = len). */
export function shmem_zero_setup(k: Kernel, i: number): void {
  k.set_shmem_vmas(i, 1);
}

/** get_file: one more VMA (a fork's copy) holds the file. */
export function shmem_get_file(k: Kernel, i: number): void {
  k.set_shmem_vmas(i, k.shmem_vmas(i) + 1);
}

/** fput from remove_vma: the last VMA gone, the inode is evicted (shmem_evict_inode). */
export function shmem_fput(k: Kernel, i: number): void {
  const n = k.shmem_vmas(i) - 1;
  k.set_shmem_vmas(i, n);
  if (n === 0) shmem_evict_inode(k, i);
}

/**
 * shmem_evict_inode → shmem_truncate_range(0, -1): every page leaves the page cache. No VMA maps
 * the file any more, so no fault holds a page lock here; a page still pinned lives on until the
 * pin is released.
 */
function shmem_evict_inode(k: Kernel, i: number): void {
  for (let idx = 0; idx < k.cfg.shmem[i]!.pages; idx++) {
    const g = k.shmem_cache(i, idx);
    if (!g) continue;
    k.set_shmem_cache(i, idx, 0);
    k.set_page_mapping(g, 0, 0);
    folio_put(k, g);
  }
}

/**
 * shmem_fault → shmem_get_folio_gfp: the page at index idx, locked and with a reference for the
 * fault; a miss allocates a zeroed page and adds it to the page cache (which takes its own
 * reference). BLOCKED when another fault holds the page's lock (folio_lock); nothing changed then.
 */
export function shmem_get_folio(k: Kernel, t: number, i: number, idx: number): number {
  const cached = k.shmem_cache(i, idx);
  const g = filemap_lock_or_alloc(k, t, cached);
  if (g === BLOCKED || g === cached) return g;
  k.set_shmem_cache(i, idx, g);
  k.set_page_mapping(g, shmem_mapping(k, i), idx);
  k.folio_get(g);
  return g;
}

/** shmem_anon_vm_ops (mm/shmem.c, v6.18), which shmem_zero_setup gives the VMA: ->fault is shmem_fault. */
export const shmem_anon_vm_ops: VmOperations = {
  name: "shmem_anon_vm_ops",
  steps: ["shmem_fault"],
  fault: (_k, _t, pc) => pc.shmem_fault,
  build: (pc) => ({
    shmem_fault: {
      fn: "shmem_fault",
      label: "shmem_fault:shmem_get_folio",
      reads: ["page_cache"],
      writes: ["page_cache", "page", "page_lock"],
      run(k, t) {
        const vma = k.local(t, L_VMA);
        const g = shmem_get_folio(k, t, k.vm_file(vma), k.local(t, L_IDX));
        if (g === BLOCKED) return BLOCKED;
        k.set_local(t, L_PAGE, g);
        k.set_local(t, L_LOCKED, g);
        return pc.finish_fault;
      },
    },
  }),
};
