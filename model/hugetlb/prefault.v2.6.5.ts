/**
 * hugetlb_prefault, as seed 000 (2004, against 2.6.5) has it, called by hugetlbfs_file_mmap: mmap instantiates every page of a hugetlb VMA at
 * once — from the page cache, or new pages, added to it for a shared mapping, anonymous pages
 * of its own for a private one — so that a big program learns at mmap,
 * not halfway through its run, that the pool is too small. There are no reservations; the only
 * faults left are COW faults.
 */
import type { Kernel } from "../kernel.js";
import { PG_ANON, VM_WRITE } from "../layout.js";
import { make_huge_pte } from "../mm/pte.js";
import { unmap_hugepage_range } from "../mm/unmap.js";
import { alloc_hugetlb_folio } from "./alloc.js";

/**
 * False when the pool runs out: what was mapped is unmapped again and mmap fails (-ENOMEM).
 * Every index is looked up in the page cache first (find_get_page), private mappings included;
 * only a miss of a private mapping makes a page of its own. The seed's `writable` starts as
 * VM_WRITE && VM_SHARED and a private miss sets it to VM_WRITE for the rest of the loop: a
 * page-cache page met after that in a private writable mapping is mapped writable.
 */
export function hugetlb_prefault(k: Kernel, vma: number): boolean {
  const p = k.L.vmaProc(vma);
  const f = k.vm_file(vma);
  const shared = k.vma_is_shared(vma);
  const vm_write = (k.vm_flags(vma) & VM_WRITE) !== 0;
  let writable = vm_write && shared;
  for (let addr = k.vm_start(vma); addr < k.vm_end(vma); addr++) {
    const idx = k.vma_hugecache_offset(vma, addr);
    let g = k.page_cache(f, idx);
    if (g) {
      k.folio_get(g);
    } else {
      g = alloc_hugetlb_folio(k, vma, addr, true);
      if (!g) {
        unmap_hugepage_range(k, vma, k.vm_start(vma), addr);
        return false;
      }
      if (shared) {
        k.set_page_cache(f, idx, g);
        k.set_page_mapping(g, f + 1, idx);
        k.folio_get(g);
      } else {
        k.page_set(g, PG_ANON);
        writable = vm_write;
      }
    }
    k.add_mapcount(g, 1);
    k.set_pte(p, addr, make_huge_pte(g, writable));
  }
  return true;
}
