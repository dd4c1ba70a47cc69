/**
 * Rsvd equals the reservations outstanding (kernel-notes §2): indices an inode's map covers
 * without a page-cache page, plus each private owner VMA's size less its consumed indices.
 * A page in flight — allocated by a fault of a shared mapping against its index's reservation
 * (RestoreReserve) and not yet in the page cache — holds that index's reservation: it is not
 * outstanding any more. (A private fault commits its map entry in the step that allocates, so
 * it needs no such term.) A truncate between remove_inode_hugepages and
 * hugetlb_unreserve_pages has removed `freed` pages whose map entries it has not deleted yet:
 * those entries hold no reservation (chg − freed is returned). An mmap between region_chg and
 * region_add holds the chg reservations it took for indices its map entries do not cover yet.
 * A page an owner unmapped with its reservation restored (today's __unmap_hugepage_range,
 * since df7a6d1f6405) holds that reservation while it waits in an mmu_gather:
 * its index is unconsumed again, and Rsvd gets it back when free_huge_folio sees RestoreReserve.
 * A hugetlbfs mount with min_size holds rsv_hpages reservations of its own (its subpool).
 */
import { L_FLAGS, L_PAGE, L_TLB, L_VMA, type Kernel } from "../model/kernel.js";
import {
  HPAGE_RESV_OWNER,
  I_RESV_MAP,
  I_SPOOL_RSV,
  PG_FLAGS,
  PG_RESTORE_RESERVE,
  RESV_HUGE_PAGES,
  RESV_REGIONS,
  VM_END,
  VM_FILE,
  VM_FLAGS,
  VM_PGOFF,
  VM_SHARED,
  VM_START,
  VMA_USED,
  VM_RESV_MAP,
} from "../model/layout.js";
import { tlb_first_page } from "../model/mm/mmu_gather.js";
import { popcount, region_count } from "../model/region.js";
import { cacheWords, inodeWords, localWords, opWords, pageWords, resvWords, vmaWords } from "./reads.js";
import type { Invariant } from "./types.js";

/**
 * The words outstandingReservations reads: the files' maps and page caches, the operations and
 * locals of the threads, the pages' flags, the VMAs and the private maps' regions.
 */
export function outstandingWords(k: Kernel): number[] {
  return [
    ...inodeWords(k, [I_RESV_MAP]),
    ...cacheWords(k),
    ...opWords(k),
    ...localWords(k, k.L.threads, [L_FLAGS, L_PAGE, L_VMA, L_TLB]),
    ...pageWords(k, k.L.lastBlock, [PG_FLAGS]),
    ...vmaWords(k, [VM_START, VM_END, VM_PGOFF, VM_FLAGS, VM_FILE, VM_RESV_MAP]),
    ...resvWords(k, [RESV_REGIONS]),
  ];
}

/**
 * The outstanding reservations; with `parts`, also where each is held (for the message); with
 * `file` ≥ 0, only those of that file (its map, its private owners, its pages in an
 * mmu_gather). Runs on every new state, so it walks the slots without allocating.
 */
export function outstandingReservations(k: Kernel, parts?: string[], file = -1): number {
  let total = 0;
  for (let f = 0; f < k.L.files; f++) {
    if (file >= 0 && f !== file) continue;
    let cached = 0;
    for (let i = 0; i < k.L.filePages; i++) if (k.page_cache(f, i)) cached |= 1 << i;
    let n = popcount(k.inode_resv_map(f) & ~cached);
    for (let t = 0; t < k.cfg.threads.length; t++) {
      const op = k.opsOf(t)[k.thread_op(t)];
      if (op?.op === "ftruncate" && op.file === f) n -= k.local(t, L_FLAGS);
      if (op?.op === "mmap" && op.file === f) n += k.local(t, L_FLAGS);
      const g = k.local(t, L_PAGE);
      const vma = k.local(t, L_VMA);
      if (op?.op === "fault" && g && k.page_test(g, PG_RESTORE_RESERVE) && k.vma_is_shared(vma) && k.vm_file(vma) === f) n -= 1;
    }
    if (n && parts) parts.push(`file${f} map: ${n}`);
    total += n;
  }
  for (let p = 0; p < k.L.procs; p++) {
    for (let slot = 0; slot < k.L.vmaSlots; slot++) {
      const v = k.L.vma(p, slot);
      const flags = k.vm_flags(v);
      if (!(flags & VMA_USED)) break;
      if (flags & VM_SHARED || !(flags & HPAGE_RESV_OWNER) || (file >= 0 && k.vm_file(v) !== file)) continue;
      const start = k.vma_hugecache_offset(v, k.vm_start(v));
      const end = k.vma_hugecache_offset(v, k.vm_end(v));
      const n = end - start - region_count(k.resv_regions(k.vma_resv_map(v)), start, end);
      if (n && parts) parts.push(`mm${p} vma [${k.vm_start(v)},${k.vm_end(v)}): ${n}`);
      total += n;
    }
  }
  for (let t = 0; t < k.L.threads; t++)
    for (let m = k.local(t, L_TLB); m; m &= m - 1) {
      const g = tlb_first_page(m);
      if (!k.page_test(g, PG_RESTORE_RESERVE) || (file >= 0 && k.hugetlb_folio_subpool(g) !== file)) continue;
      if (parts) parts.push(`page${g} in an mmu_gather: -1`);
      total -= 1;
    }
  return total;
}

/** The reservations the subpools of min_size mounts hold (rsv_hpages). */
function subpoolReservations(k: Kernel, parts?: string[]): number {
  let total = 0;
  for (let f = 0; f < k.L.files; f++) {
    const n = k.spool_rsv_hpages(f);
    if (n && parts) parts.push(`file${f} mount's min_size: ${n}`);
    total += n;
  }
  return total;
}

export const reservationConservation: Invariant = {
  name: "reservation-conservation",
  summary: "Rsvd equals the outstanding reservations (inode maps without a page + private owners' unconsumed indices + min_size mounts' subpools)",
  reads: (k) => [RESV_HUGE_PAGES, ...inodeWords(k, [I_SPOOL_RSV]), ...outstandingWords(k)],
  state({ k }) {
    if (k.resv_huge_pages === outstandingReservations(k) + subpoolReservations(k)) return null;
    const parts: string[] = [];
    const total = outstandingReservations(k, parts) + subpoolReservations(k, parts);
    return `HugePages_Rsvd = ${k.resv_huge_pages} but ${total} reservations are outstanding (${parts.join(", ") || "none"})`;
  },
};
