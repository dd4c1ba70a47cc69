/**
 * hugetlb_prefault, as seed 000 (2004, against 2.6.5) has it, called by hugetlbfs_file_mmap: mmap instantiates every page of a hugetlb VMA at
 * once — from the page cache, or new pages, added to it for a shared mapping, anonymous pages
 * of its own for a private one — so that a big program learns at mmap,
 * not halfway through its run, that the pool is too small. There are no reservations; the only
 * faults left are COW faults.
 */
import type { Kernel } from "../kernel.js";
import { PG_ANON, PG_RESTORE_RESERVE, VM_WRITE } from "../layout.js";
import { make_huge_pte } from "../mm/pte.js";
import { unmap_hugepage_range } from "../mm/unmap.js";
import { dequeue_or_surplus, hugetlb_acct_memory } from "./pool.js";
import { hugepage_subpool_get_pages, hugepage_subpool_put_pages } from "./subpool.js";

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
      g = alloc_hugetlb_page_v2_6_5(k, f);
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

/**
 * 2.6.5's hugetlb_prefault: "charge the fs quota first" (hugetlb_get_quota, -ENOMEM past the
 * mount's size=), then alloc_hugetlb_page; a failed allocation puts the quota back
 * (hugetlb_put_quota). Today's alloc_hugetlb_folio keeps a size= charge on that path (finding
 * 003), which 2.6.5 did not. The quota is today's subpool (a mount's min_size, 4.1, reserves
 * pages in the pool: a page taken from them carries RestoreReserve as today).
 */
function alloc_hugetlb_page_v2_6_5(k: Kernel, f: number): number {
  const spool = k.subpool_inode(f);
  const gbl_chg = hugepage_subpool_get_pages(k, spool, 1);
  if (gbl_chg < 0) return 0;
  const g = dequeue_or_surplus(k, gbl_chg);
  if (!g) {
    // Back to the quota; only a page that came out of the subpool's own reservations
    // (gbl_chg 0) hands a reservation back to the pool, as out_subpool_put does.
    const gbl_reserve = hugepage_subpool_put_pages(k, spool, 1);
    if (!gbl_chg) hugetlb_acct_memory(k, -gbl_reserve);
    return 0;
  }
  if (!gbl_chg) {
    k.page_set(g, PG_RESTORE_RESERVE);
    k.resv_huge_pages -= 1;
  }
  k.hugetlb_set_folio_subpool(g, spool);
  return g;
}
