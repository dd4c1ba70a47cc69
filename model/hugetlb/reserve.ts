/**
 * Reservations (kernel-notes §2): the reserve map behind a VMA and the functions of
 * mm/hugetlb.c that consult and edit it around a fault, at mmap and at truncate.
 */
import type { Kernel, PrivateReserveScheme } from "../kernel.js";
import { HPAGE_RESV_OWNER, PG_RESTORE_RESERVE, VM_FLAGS, VM_NORESERVE } from "../layout.js";
import { region_add, region_chg, region_count, region_del } from "../region.js";
import { hugetlb_acct_memory } from "./pool.js";
import { hugepage_subpool_get_pages, hugepage_subpool_put_pages } from "./subpool.js";
import { ModelError } from "../types.js";

/** resv_map_alloc: a private reserve map with one reference. */
export function resv_map_alloc(k: Kernel): number {
  for (let id = 1; id <= k.L.resvMaps; id++) {
    if (k.resv_refs(id) === 0) {
      k.set_resv_refs(id, 1);
      k.set_resv_regions(id, 0);
      return id;
    }
  }
  throw new ModelError("no free resv_map slot: the scenario needs more resvMaps");
}

/** kref_put(&resv_map->refs, resv_map_release). */
export function resv_map_put(k: Kernel, id: number): void {
  const refs = k.resv_refs(id) - 1;
  k.set_resv_refs(id, refs);
  if (refs === 0) k.set_resv_regions(id, 0);
}

/** __vma_private_lock: a private VMA that owns a reserve map. */
export function owns_private_map(k: Kernel, vma: number): boolean {
  return !k.vma_is_shared(vma) && k.is_vma_resv_set(vma, HPAGE_RESV_OWNER);
}

/**
 * vma_needs_reservation: 0 when the index has a reservation to consume, 1 when the fault must
 * take a page that nobody reserved.
 */
export function vma_needs_reservation(k: Kernel, vma: number, addr: number): number {
  const idx = k.vma_hugecache_offset(vma, addr);
  if (k.vma_is_shared(vma)) return region_chg(k.inode_resv_map(k.vm_file(vma)), idx, idx + 1);
  if (!k.is_vma_resv_set(vma, HPAGE_RESV_OWNER)) return 1;
  return k.eras.privateReserve.owner_needs_reservation(k, vma, idx);
}

/**
 * The owner's reserve map (since seed 003, 2.6.27; v6.18): a refcounted resv_map of the indices
 * consumed, shared by both halves of a split. The pre-seed-003 count is reserve.v2.6.26.ts.
 */
export const resv_map_private: PrivateReserveScheme = {
  owner_needs_reservation(k, vma, idx) {
    // Seed 003 returns 0 for every owner index; today's __vma_reservation_common returns 1 for
    // an index already consumed (a refault after truncate must not consume a second time).
    if (k.variant.ownerNeedsReservationAlwaysZero) return 0;
    const consumed = region_chg(k.resv_regions(k.vma_resv_map(vma)), idx, idx + 1) === 0;
    return consumed ? 1 : 0;
  },
  consumed: () => {},
  restored: () => {},
  reserved: () => {},
  unused(k, vma) {
    // (end − start) − region_count(consumed), counting only this VMA's part of the map.
    const start = k.vma_hugecache_offset(vma, k.vm_start(vma));
    const end = k.vma_hugecache_offset(vma, k.vm_end(vma));
    return end - start - region_count(k.resv_regions(k.vma_resv_map(vma)), start, end);
  },
};

/** vma_commit_reservation: record that the fault consumed (or was granted) the index. */
export function vma_commit_reservation(k: Kernel, vma: number, addr: number): void {
  const idx = k.vma_hugecache_offset(vma, addr);
  if (k.vma_is_shared(vma)) {
    const f = k.vm_file(vma);
    k.set_inode_resv_map(f, region_add(k.inode_resv_map(f), idx, idx + 1).map);
    return;
  }
  if (!owns_private_map(k, vma)) return;
  k.eras.privateReserve.consumed(k, vma);
  // With the count scheme the map is the model's own record of consumed indices, which the
  // reservation-conservation invariant reads; the kernel of that time had no such map.
  const id = k.vma_resv_map(vma);
  k.set_resv_regions(id, region_add(k.resv_regions(id), idx, idx + 1).map);
}

/**
 * vma_add_reservation: the index holds a reservation again. For a private owner that means
 * forgetting its consumption; for a shared mapping, covering it in the inode's map.
 */
export function vma_add_reservation(k: Kernel, vma: number, addr: number): void {
  const idx = k.vma_hugecache_offset(vma, addr);
  if (k.vma_is_shared(vma)) {
    const f = k.vm_file(vma);
    k.set_inode_resv_map(f, region_add(k.inode_resv_map(f), idx, idx + 1).map);
  } else if (owns_private_map(k, vma)) {
    const id = k.vma_resv_map(vma);
    k.set_resv_regions(id, region_del(k.resv_regions(id), idx, idx + 1).map);
    k.eras.privateReserve.restored(k, vma);
  }
}

/**
 * restore_reserve_on_error: a page allocated by a fault is freed before it was mapped. Keep the
 * map in step with the Rsvd+1 that free_huge_folio will do for a RestoreReserve page.
 */
export function restore_reserve_on_error(k: Kernel, vma: number, addr: number, g: number): void {
  // Before v4.9 (96b96a96ddee) the error paths only put the page: the map stays as committed.
  if (k.variant.restoreReserve !== "restore_reserve_on_error") return;
  const idx = k.vma_hugecache_offset(vma, addr);
  const rc = vma_needs_reservation(k, vma, addr);
  if (k.page_test(g, PG_RESTORE_RESERVE)) {
    if (rc) vma_add_reservation(k, vma, addr); // else vma_end_reservation
    return;
  }
  if (!rc && k.vma_is_shared(vma) && k.variant.restoreReserveDeletesStale) {
    // vma_del_reservation: an entry not added by this allocation; remove it so that a later
    // allocation does not consume a reservation that Rsvd no longer holds.
    const f = k.vm_file(vma);
    k.set_inode_resv_map(f, region_del(k.inode_resv_map(f), idx, idx + 1).map);
  }
}

/**
 * hugetlb_reserve_pages(inode, from, to, vma) for a private mapping, at mmap (v6.18): a new
 * map with the owner flag, then the whole length charged to the mount's subpool and reserved
 * in the pool (even read-only: mprotect may make it writable). NORESERVE: nothing. False is
 * -ENOMEM: out_err drops the map (kref_put) and, since 92fe9dcbe4e1, clears the VMA's pointer
 * to it; before c50ac050811d (CVE-2012-2390) nothing dropped it, and mmap_region's error path
 * frees the VMA without ->close, so the map leaked.
 */
export function hugetlb_reserve_pages_private(k: Kernel, from: number, to: number, vma: number): boolean {
  if (k.vm_flags(vma) & VM_NORESERVE) return true;
  const id = resv_map_alloc(k);
  k.set_vma_resv_map(vma, id);
  k.set_vma_resv_flags(vma, HPAGE_RESV_OWNER);
  const chg = to - from;
  const spool = k.subpool_inode(k.vm_file(vma));
  const gbl_reserve = hugepage_subpool_get_pages(k, spool, chg);
  if (gbl_reserve >= 0) {
    if (hugetlb_acct_memory(k, gbl_reserve)) {
      k.eras.privateReserve.reserved(k, vma, chg);
      return true;
    }
    reserve_out_put_pages(k, spool, chg, gbl_reserve);
  }
  if (k.variant.reserveErrorPutsResvMap) {
    resv_map_put(k, id);
    k.set_vma_resv_map(vma, 0);
    k.w(vma + VM_FLAGS, k.vm_flags(vma) & ~HPAGE_RESV_OWNER);
  }
  return false;
}

/**
 * hugetlb_reserve_pages's out_put_pages (v6.18): the subpool takes back what it gave from its
 * min_size reservations (chg − gbl_reserve), and its used_hpages forgets the gbl_reserve pages
 * the global pool refused.
 */
function reserve_out_put_pages(k: Kernel, spool: number, chg: number, gbl_reserve: number): void {
  const spool_resv = chg - gbl_reserve;
  if (spool_resv) hugetlb_acct_memory(k, -hugepage_subpool_put_pages(k, spool, spool_resv));
  if (gbl_reserve && spool >= 0 && k.spool_max_hpages(spool) !== -1)
    k.set_spool_used_hpages(spool, k.spool_used_hpages(spool) - gbl_reserve);
}

/**
 * hugetlb_reserve_pages for a shared mapping, first half: region_chg counts the indices the
 * inode's map does not cover yet, the subpool is charged that many and hugetlb_acct_memory
 * reserves what the subpool's min_size does not cover. Returns chg, or −1 for -ENOMEM (nothing
 * changed). The map is edited later, under its lock again (hugetlb_reserve_pages_add): a fault
 * of another process may cover an index in between.
 */
export function hugetlb_reserve_pages_chg(k: Kernel, f: number, from: number, to: number): number {
  const chg = region_chg(k.inode_resv_map(f), from, to);
  const spool = k.subpool_inode(f);
  const gbl_reserve = hugepage_subpool_get_pages(k, spool, chg);
  if (gbl_reserve < 0) return -1;
  if (hugetlb_acct_memory(k, gbl_reserve)) return chg;
  reserve_out_put_pages(k, spool, chg, gbl_reserve);
  return -1;
}

/**
 * The second half: region_add. Today, if a fault covered some of the indices since region_chg
 * (chg > add), hugetlb_reserve_pages gives back the difference to the subpool and the pool
 * ("pages in this range were added to the reserve map between region_chg and region_add");
 * seed 003 had no such check.
 */
export function hugetlb_reserve_pages_add(k: Kernel, f: number, from: number, to: number, chg: number): void {
  const { map, added } = region_add(k.inode_resv_map(f), from, to);
  k.set_inode_resv_map(f, map);
  if (k.variant.reserveAdjustsRace && chg > added)
    hugetlb_acct_memory(k, -hugepage_subpool_put_pages(k, k.subpool_inode(f), chg - added));
}

/**
 * hugetlb_unreserve_pages(inode, start, end, freed): the subpool is uncharged regions deleted −
 * pages freed, and Rsvd drops by what it does not keep for min_size.
 */
export function hugetlb_unreserve_pages(k: Kernel, f: number, start: number, end: number, freed: number): void {
  const del = region_del(k.inode_resv_map(f), start, end);
  k.set_inode_resv_map(f, del.map);
  hugetlb_acct_memory(k, -hugepage_subpool_put_pages(k, k.subpool_inode(f), del.deleted - freed));
}
