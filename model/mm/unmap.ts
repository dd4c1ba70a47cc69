/**
 * Zapping huge ptes: unmap_hugepage_range and the truncate-side walks over every VMA of a file
 * (hugetlb_vmdelete_list, hugetlb_unmap_file_folio). Callers hold i_mmap_rwsem for write, or
 * mmap_lock for write on the VMA's own mm; the PTL is taken and dropped inside their step.
 * MADV_DONTNEED, under mmap_lock for read, zaps a pte per step and gathers the pages
 * (model/ops/madvise_hugetlb.ts).
 */
import type { Kernel } from "../kernel.js";
import { HPAGE_RESV_UNMAPPED, PG_ANON, PG_RESTORE_RESERVE } from "../layout.js";
import { owns_private_map, vma_add_reservation, vma_needs_reservation } from "../hugetlb/reserve.js";
import { folio_put } from "./page_alloc.js";
import { is_migration_entry, pte_page } from "./pte.js";
import { vmas_of } from "./vma.js";
import { Splat } from "../splat.js";

/**
 * One turn of __unmap_hugepage_range's loop, at `addr` (the caller holds the PTL): clear the pte
 * (huge_ptep_get_and_clear), hugetlb_remove_rmap, and the owner's reservation fix-up. Returns the
 * page whose reference the pte held, now the caller's to put in its mmu_gather, or 0. With a
 * ref_page (unmap_ref_private), only a pte of that page, and a VMA that loses one is marked
 * HPAGE_RESV_UNMAPPED.
 */
export function unmap_huge_pte(k: Kernel, vma: number, addr: number, ref_page = 0): number {
  const p = k.L.vmaProc(vma);
  const pte = k.pte(p, addr);
  if (!pte) return 0;
  if (is_migration_entry(pte)) {
    // "Migrating hugepage or HWPoisoned hugepage is already unmapped and its refcount is
    // dropped, so just clear pte here": no rmap, no reference, no reservation fix-up, and
    // before the ref_page check.
    k.set_pte(p, addr, 0);
    return 0;
  }
  const g = pte_page(pte);
  if (ref_page && g !== ref_page) return 0;
  if (ref_page) k.set_vma_resv_flags(vma, HPAGE_RESV_UNMAPPED);
  k.set_pte(p, addr, 0);
  k.add_mapcount(g, -1);
  const restore = k.variant.restoreReserveOnUnmap;
  // df7a6d1f6405 (v6.10; v6.18's __unmap_hugepage_range): "Restore the reservation for anonymous
  // page, otherwise the backing page could be stolen by someone." The proposed fix of finding 001
  // restores it only when no other pte maps the page (!folio_mapped), so that this unmap frees it;
  // that of finding 004 only when no other reference holds it (folio_ref_count() == 1: the
  // zapped pte's own, which the mmu_gather puts), a GUP reference or pin included.
  if (
    restore !== "none" &&
    !k.surplus_huge_pages &&
    owns_private_map(k, vma) &&
    k.page_test(g, PG_ANON) &&
    (restore === "anon" || (restore === "unmapped" ? k.page_mapcount(g) === 0 : k.page_ref(g) === 1))
  ) {
    k.page_set(g, PG_RESTORE_RESERVE);
    if (vma_needs_reservation(k, vma, addr)) vma_add_reservation(k, vma, addr);
  }
  return g;
}

/**
 * unmap_hugepage_range(vma, start, end, ref_page): the whole range in one step, each page put
 * as soon as its pte is cleared (its own mmu_gather, finished before the step ends).
 */
export function unmap_hugepage_range(k: Kernel, vma: number, start: number, end: number, ref_page = 0): void {
  if (!k.is_vm_hugetlb_page(vma)) k.splat(Splat.UNMAP_HUGEPAGE_RANGE_NOT_HUGETLB); // __unmap_hugepage_range
  for (let addr = Math.max(start, k.vm_start(vma)); addr < Math.min(end, k.vm_end(vma)); addr++) {
    const g = unmap_huge_pte(k, vma, addr, ref_page);
    if (g) folio_put(k, g);
  }
}

/** Every VMA, in every mm, that maps hugetlbfs file f (vma_interval_tree_foreach over i_mmap). */
export function vmas_of_file(k: Kernel, f: number): number[] {
  const out: number[] = [];
  for (let p = 0; p < k.L.procs; p++) {
    for (const v of vmas_of(k, p)) if (k.is_vm_hugetlb_page(v) && k.vm_file(v) === f) out.push(v);
  }
  return out;
}

/** The addresses of `vma` that map file indices [first, last). */
export function vma_range_of_indices(k: Kernel, vma: number, first: number, last: number): [number, number] {
  const start = k.vm_start(vma) + Math.max(0, first - k.vm_pgoff(vma));
  const end = k.vm_start(vma) + Math.max(0, last - k.vm_pgoff(vma));
  return [Math.min(start, k.vm_end(vma)), Math.min(end, k.vm_end(vma))];
}

/**
 * hugetlb_vmdelete_list: unmap indices [start, end) from every VMA of the file, private COW pages
 * too. The kernel skips a VMA whose lock it cannot trylock (model/hugetlb/vma_lock.ts says why
 * the model does not).
 */
export function hugetlb_vmdelete_list(k: Kernel, f: number, start: number, end = Number.MAX_SAFE_INTEGER): void {
  for (const v of vmas_of_file(k, f)) {
    const [from, to] = vma_range_of_indices(k, v, start, end);
    unmap_hugepage_range(k, v, from, to);
  }
}

/**
 * hugetlb_unmap_file_folio: unmap file index idx from every VMA of the file (COW copies too),
 * without i_mmap_rwsem or the VMA locks (model/hugetlb/vma_lock.ts).
 */
export function hugetlb_unmap_file_folio(k: Kernel, f: number, idx: number): void {
  for (const v of vmas_of_file(k, f)) {
    const [start, end] = vma_range_of_indices(k, v, idx, idx + 1);
    unmap_hugepage_range(k, v, start, end);
  }
}
