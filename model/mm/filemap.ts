/**
 * The page cache of a 4 KiB file (files4k; mm/filemap.c) and what truncate does to its mappings
 * (mm/truncate.c, mm/memory.c unmap_mapping_range). A file page is found and locked by the fault
 * (filemap_fault, or the DAX handler's hole page), which keeps it locked until its pte is set: the
 * page lock is what holds truncate off (truncate_inode_pages_range locks each page it removes).
 */
import type { Kernel } from "../kernel.js";
import { L_FAULT_PTE, L_FLAGS, L_IDX, L_NEW, L_PAGE, L_VMA } from "../kernel.js";
import { BLOCKED } from "../types.js";
import { COW_COPIED, COW_COPY_STALE, fault_sigbus, vm_fault_locked, vm_fault_mkwrite_locked, type VmOperations, zap_pte_range } from "./memory.js";
import { folio_alloc, folio_put } from "./page_alloc.js";
import { pte_page } from "./pte.js";
import { vmas_of } from "./vma.js";
import { Splat } from "../splat.js";

/** folio->mapping of 4 KiB file f's pages: numbered after the hugetlbfs files and shmem inodes. */
export function file4k_mapping(k: Kernel, f: number): number {
  return k.L.files + k.L.shmemInodes + f + 1;
}

/**
 * find_lock_page, or on a miss a new page read from the block (filemap_read_folio; a hole reads
 * as zeroes) and added to the page cache, which takes its own reference: the page at idx, locked
 * and referenced for the fault. BLOCKED when another thread holds the page's lock. Beyond i_size
 * it returns 0 (VM_FAULT_SIGBUS): filemap_fault checks before the lookup and again under the page
 * lock, and dax_load_hole under the page lock; in one step the checks are one.
 */
export function find_lock_page_or_read(k: Kernel, t: number, f: number, idx: number): number {
  if (idx >= k.file4k_i_size(f)) return 0;
  const cached = k.file4k_cache(f, idx);
  const g = filemap_lock_or_alloc(k, t, cached);
  if (g === BLOCKED || g === cached) return g;
  filemap_add_folio_read(k, t, f, idx, g);
  return g;
}

/** The new locked page g enters the page cache at idx, read from the file's block (filemap_read_folio; a hole reads as zeroes). */
export function filemap_add_folio_read(k: Kernel, t: number, f: number, idx: number, g: number): void {
  k.set_page_content(g, k.buffer_mapped(f, idx) ? k.page_content(k.block(f, idx)) : 0);
  filemap_add_folio(k, t, f, idx, g);
}

/** filemap_add_folio: the locked new page g enters the page cache at idx, which takes a reference. */
export function filemap_add_folio(k: Kernel, t: number, f: number, idx: number, g: number): void {
  if (!k.folio_test_locked(g)) k.splat(Splat.FILEMAP_ADD_UNLOCKED, t); // __filemap_add_folio
  k.set_file4k_cache(f, idx, g);
  k.set_page_mapping(g, file4k_mapping(k, f), idx);
  k.folio_get(g);
}

/**
 * The locked half of __filemap_get_folio(FGP_LOCK | FGP_CREAT): the cached page, locked and
 * referenced for the caller (BLOCKED while another thread holds its lock), or else a new page,
 * locked, which the caller adds to the page cache.
 */
export function filemap_lock_or_alloc(k: Kernel, t: number, cached: number): number {
  if (cached) {
    if (!k.trylock(k.folio_lock_word(cached), t)) return BLOCKED;
    k.folio_get(cached);
    return cached;
  }
  k.might_sleep(t);
  const g = folio_alloc(k);
  k.lock_uncontended(k.folio_lock_word(g), t, "folio lock of a new page-cache page");
  return g;
}

/**
 * generic_file_vm_ops (mm/filemap.c, v6.18), the table of a mapping of a 4 KiB file that is not
 * DAX: ->fault is filemap_fault, ->page_mkwrite filemap_page_mkwrite (a shared mapping's first
 * store to a page; the model keeps no dirty bits, as it has no writeback).
 */
export const generic_file_vm_ops: VmOperations = {
  name: "generic_file_vm_ops",
  steps: ["filemap_fault", "filemap_page_mkwrite"],
  fault: (_k, _t, pc) => pc.filemap_fault,
  page_mkwrite: (_k, _t, pc) => pc.filemap_page_mkwrite,
  build: (pc, ret) => ({
    filemap_page_mkwrite: {
      fn: "filemap_page_mkwrite",
      label: "filemap_page_mkwrite:folio_lock",
      reads: ["page_cache"],
      writes: ["page", "page_lock"],
      run(k, t) {
        const g = k.local(t, L_PAGE);
        if (!k.trylock(k.folio_lock_word(g), t)) return BLOCKED;
        // "folio->mapping != inode->i_mapping": truncate removed it while it was unlocked.
        return vm_fault_mkwrite_locked(k, t, pc, ret, k.page_mapping(g) !== file4k_mapping(k, k.vm_file(k.local(t, L_VMA))));
      },
    },
    filemap_fault: {
      fn: "filemap_fault",
      label: "filemap_fault:folio_lock",
      reads: ["page_cache", "i_size"],
      writes: ["page_cache", "page", "page_lock"],
      run(k, t) {
        const vma = k.local(t, L_VMA);
        const idx = k.local(t, L_IDX);
        const g = find_lock_page_or_read(k, t, k.vm_file(vma), idx);
        if (g === BLOCKED) return BLOCKED;
        if (!g) return fault_sigbus(k, t, ret);
        return vm_fault_locked(k, t, pc, g, generic_file_vm_ops);
      },
    },
  }),
};

/** Every VMA of every mm that maps 4 KiB file f (the file's i_mmap tree). */
function file4k_vmas(k: Kernel, f: number): number[] {
  const out: number[] = [];
  for (let p = 0; p < k.L.procs; p++) for (const v of vmas_of(k, p)) if (k.vma_is_file4k(v) && k.vm_file(v) === f) out.push(v);
  return out;
}

/**
 * unmap_mapping_range(mapping, from, 0, even_cows = 1), the caller holding i_mmap_rwsem: every pte
 * at index ≥ from in every mapping of the file, private COW copies included (the page-table locks
 * are taken inside, and no thread holds one across steps).
 */
export function unmap_mapping_range(k: Kernel, f: number, from: number): void {
  for (const v of file4k_vmas(k, f)) if (from < k.vm_end_page(v)) zap_pte_range(k, v, Math.max(from, k.vm_first_page(v)), k.vm_end_page(v));
}

/** unmap_mapping_folio: the ptes that map the file's own page g (not the COW copies). */
function unmap_mapping_folio(k: Kernel, f: number, g: number): void {
  const idx = k.page_index(g);
  for (const v of file4k_vmas(k, f)) {
    const pte = k.vm_first_page(v) <= idx && idx < k.vm_end_page(v) ? k.small_pte(k.L.vmaProc(v), k.vm_start(v), idx) : 0;
    if (pte && pte_page(pte) === g) zap_pte_range(k, v, idx, idx + 1);
  }
}

/**
 * Ghost state for truncate-coherence, with no kernel counterpart: a fault that holds a private
 * copy of file index idx, made before truncate removed that index, is marked, so that installing
 * the copy can be recognised as showing data the file no longer has.
 */
function mark_copies_stale(k: Kernel, f: number, idx: number): void {
  for (let t = 0; t < k.L.threads; t++) {
    const vma = k.local(t, L_VMA);
    if (!k.local(t, L_FAULT_PTE) || !k.local(t, L_NEW) || !vma || !k.vma_is_file4k(vma)) continue;
    if (k.vm_file(vma) !== f || k.local(t, L_IDX) !== idx || !(k.local(t, L_FLAGS) & COW_COPIED)) continue;
    k.set_local(t, L_FLAGS, k.local(t, L_FLAGS) | COW_COPY_STALE);
  }
}

/**
 * One round of truncate_inode_pages_range(mapping, from): the lowest page at index ≥ from is
 * locked, unmapped where it is still mapped (truncate_inode_folio), removed from the page cache
 * and released. Returns false when the page is locked by a fault (the truncate waits), true when
 * it removed one, and null when none is left.
 */
export function truncate_inode_page(k: Kernel, t: number, f: number, from: number): boolean | null {
  for (let idx = from; idx < k.L.file4kPages; idx++) {
    const g = k.file4k_cache(f, idx);
    if (!g) continue;
    if (!k.trylock(k.folio_lock_word(g), t)) return false;
    if (k.page_mapcount(g)) unmap_mapping_folio(k, f, g);
    if (k.page_mapcount(g) > 0) k.splat(Splat.FILEMAP_UNACCOUNT_MAPPED, t); // filemap_remove_folio
    k.set_file4k_cache(f, idx, 0);
    k.set_page_mapping(g, 0, 0);
    mark_copies_stale(k, f, idx);
    k.unlock(k.folio_lock_word(g), t);
    folio_put(k, g);
    return true;
  }
  return null;
}

/** The filesystem frees the blocks at index ≥ from (__ext2_truncate_blocks, ext4_truncate). */
export function truncate_blocks(k: Kernel, f: number, from: number): void {
  for (let idx = from; idx < k.L.file4kPages; idx++) {
    if (!k.buffer_mapped(f, idx)) continue;
    k.clear_page_struct(k.block(f, idx)); // a hole: PAGE_BUDDY, no data
    mark_copies_stale(k, f, idx);
  }
}
