/**
 * Variants: the same model with a kernel behaviour switched to how a seed patch posted it, or
 * to a historical bug. Each field names the kernel function whose behaviour it selects. A field
 * that selects another version of a whole function (an era) is read once, when the model is
 * built (model/ops/index.ts operations), which picks that version's file (`<file>.v<version>.ts`
 * beside today's); the others are one-line toggles read where the kernel's line is.
 */
export interface Variant {
  readonly name: string;
  readonly summary: string;
  /**
   * How a MAP_PRIVATE owner's reservation is kept (era: hugetlb/reserve.ts resv_map_private or
   * reserve.v2.6.26.ts vm_private_data_count, which the Kernel carries). `map` (seed 003 and
   * today): a refcounted resv_map of consumed indices, shared by both halves of a split. `count`
   * (2.6.26, before seed 003): a count in vm_private_data, which split_vma copies into both halves.
   */
  readonly privateResv: "map" | "count";
  /**
   * vma_needs_reservation for a private owner. Seed 003 returns 0 (reserved) for every index,
   * even one whose reservation was already consumed, and so did every kernel until v4.7
   * (67961f9db8c4, "mm/hugetlb: fix huge page reserve accounting for private mappings": a refault
   * after truncate or hole punch drove Rsvd negative); today's __vma_reservation_common returns 1
   * for a consumed index, so a refault after truncate takes a page with no reservation.
   */
  readonly ownerNeedsReservationAlwaysZero: boolean;
  /**
   * The mutex hugetlb_fault takes. Seed 003 documents the reserve map as protected by mmap_sem
   * plus the single hugetlb_instantiation_mutex; today it is hugetlb_fault_mutex_table[hash] of
   * (mapping, index). The model's truncate takes the same mutex per index in both (the 2008
   * truncate_hugepages took none; with the global mutex this only serialises more).
   */
  readonly faultMutex: "global" | "per-index" | "none";
  /**
   * hugetlb_no_page checks i_size after allocating (before "hugetlb: fix absurd HugePages_Rsvd",
   * 2006): a fault beyond EOF consumes a reservation that is never given back.
   */
  readonly isizeCheckAfterAlloc: boolean;
  /**
   * The reservation fix-up of __unmap_hugepage_range for a reservation owner's anonymous page.
   * "none" (before v6.10): the index stays consumed; a refault after MADV_DONTNEED takes a page
   * with no reservation. "anon" (df7a6d1f6405, "mm/hugetlb: restore the reservation if needed",
   * v6.10, and v6.18): with no surplus pages, every anonymous page the owner unmaps is marked
   * RestoreReserve and its index un-consumed, even one a fork child still maps; the owner's close
   * then returns that index's reservation as well, and Rsvd wraps until the child frees the page
   * (finding 001, measured on 6.18: conform/scenarios/fork-owner-unmaps*). "unmapped" (the
   * fix-unmap-restore-reserve variant): only a page that no other pte maps once the owner's is
   * gone (!folio_mapped after hugetlb_remove_rmap), the page this unmap is about to free.
   * That misses a page no pte maps but a reference still holds (a GUP pin, a vmsplice'd pipe
   * buffer): the owner's close returns the index too, and Rsvd wraps until the reference goes
   * (finding 004, measured on 6.18: conform/scenarios/gup-owner-unmaps). "unreferenced" (the
   * fix-unmap-restore-reserve-refs variant): only a page whose one reference left is the zapped
   * pte's (folio_ref_count() == 1), the page this unmap's mmu_gather frees.
   */
  readonly restoreReserveOnUnmap: "none" | "anon" | "unmapped" | "unreferenced";
  /**
   * hugetlb_no_page when alloc_hugetlb_folio fails in a VMA without a hugetlb VMA lock
   * (MAP_NORESERVE, a fork child's copy): today it returns SIGBUS, even while a MADV_DONTNEED of
   * the same mm holds the page it just unmapped there (finding 002). The fix-dontneed-noreserve
   * variant first takes i_mmap_rwsem for read, which hugetlb_zap_begin holds for write until the
   * zap's pages are freed, and tries the allocation once more.
   */
  readonly noVmaLockFaultWaitsForZap: boolean;
  /**
   * hugetlb_wp reuses any page mapped once, anonymous or not (before "mm/hugetlb: do not use a
   * page in page cache for cow optimization", 2013): a private write lands in the page cache.
   */
  readonly wpReuseIgnoresAnon: boolean;
  /**
   * copy_hugetlb_page_range leaves the child's pte writable to the page the parent still maps
   * (the 2021 pinned-page early-COW rework's bug).
   */
  readonly forkLeavesChildWritable: boolean;
  /**
   * copy_hugetlb_page_range copies a private anonymous page that may be pinned for DMA for the
   * child at once, and the parent keeps its page (4eae4efa2c29, "hugetlb: do early cow when page
   * pinned on src mm", v5.12; hugetlb_try_dup_anon_rmap since PageAnonExclusive, v5.19); a failed
   * allocation fails fork with ENOMEM. false (before v5.12): the pinned page is shared like any
   * other, and the parent's next write copies it away from the pin, whose device writes then land
   * in the child's page.
   */
  readonly hugetlbForkEarlyCow: boolean;
  /**
   * hugetlb_fault locks the page-cache folio of a private write's index (pagecache_folio) and
   * keeps it locked through hugetlb_wp, which drops and retakes the fault mutex around
   * unmap_ref_private: before "mm/hugetlb: fix a deadlock with pagecache_folio and
   * hugetlb_fault_mutex" (2025), which stopped taking that lock.
   */
  readonly lockPagecacheFolioInFault: boolean;
  /**
   * hugetlb_reserve_pages gives back what a racing fault covered between its region_chg and
   * region_add (chg > add; 2015, after "fix race in region tracking", 2014, gave the reserve
   * map its own lock). Seed 003 protected the map with mmap_sem and the instantiation mutex only,
   * which do not exclude another process's fault on the same file.
   */
  readonly reserveAdjustsRace: boolean;
  /**
   * remove_inode_hugepages of v4.3–v4.4, before 4aae8d1c051e ("mm/hugetlbfs: unmap pages if page
   * fault raced with hole punch", v4.5): a page found mapped under the fault mutex was faulted in
   * again after the punch's unmap, and is left alone ("Do nothing in this race case"): it stays
   * in the page cache and mapped, in the hole, with the data the punch was to remove. Today it
   * is unmapped again and removed.
   */
  readonly punchLeavesMappedPage: boolean;
  /**
   * hugetlb_no_page reads i_size again under the PTL and backs out with SIGBUS when a truncate
   * shrank the file past the index meanwhile (2.6.x to v6.0). fa27759af4a6 ("hugetlb: clean up
   * code checking for fault/truncation races", v6.1) dropped it: today remove_inode_single_folio
   * unmaps such a page again under the fault mutex.
   */
  readonly noPageRechecksIsize: boolean;
  /**
   * Seed 000 (2004, 2.6.5) as posted (era: hugetlb/prefault.v2.6.5.ts, hugetlb/fault.v2.6.5.ts):
   * mmap prefaults every page (hugetlb_prefault), there are no reservations, the only faults are
   * COW faults (handle_hugetlb_mm_fault: an empty pte is SIGBUS), hugepage_cow reuses a page
   * whose page_count() is 1, and a failed copy is SIGBUS for every process, the mapping's
   * creator included (no unmap_ref_private). Also read by truncate: nothing to unreserve.
   */
  readonly hugetlbPrefault: boolean;
  /**
   * Seed 002 (2007) as posted (era: drivers/char/page.ts, hugetlb/fault.v2.6.21.ts): mmap of
   * /dev/page-huge goes through page_mmap (no reservations) and its faults through the device's
   * page_fault, under its own instantiation mutex.
   */
  readonly hugepageCharDevice: boolean;
  /**
   * What a page that consumed a reservation gives back when a fault frees it unused (the
   * no-page backout, a failed page-cache insert, a COW copy that lost the pte race).
   * "restore_reserve_on_error" (today, since 96b96a96ddee, v4.9): the page carries
   * RestoreReserve, so freeing it gives Rsvd back, and restore_reserve_on_error puts the reserve
   * map in step. "PagePrivate" (07443a85ad90, v3.15, to v4.8): the flag gives Rsvd back, the map
   * is left as the allocation committed it, so a private owner's index stays consumed and its
   * close never returns that reservation (the leak 96b96a96ddee fixed). "none" (before v3.15):
   * the page is only put; the reservation it consumed is gone with it (the model still marks
   * the page, as the record that it consumed one, but free_huge_folio ignores the mark).
   */
  readonly restoreReserve: "restore_reserve_on_error" | "PagePrivate" | "none";
  /**
   * restore_reserve_on_error also deletes a map entry that the failed allocation's commit added
   * without a reservation behind it (vma_del_reservation; 846be08578ed, 2021). Before, it only
   * handled pages marked RestoreReserve, and the stale entry made a later fault consume a
   * reservation Rsvd did not hold.
   */
  readonly restoreReserveDeletesStale: boolean;
  /**
   * The zero page of 4 KiB private anonymous memory (era: do_anonymous_page in mm/memory.ts or
   * mm/memory.v2.6.31.ts). "is_zero_pfn" (today, since 2.6.32):
   * do_anonymous_page maps it for every read fault, and vm_normal_page recognises its pte by pfn.
   * "use_zero_page" (seed 001 as posted): do_anon_zeromap maps it only where use_zero_page(vma)
   * (not VM_LOCKED, not shared), and vm_normal_page/follow_page recognise the special pte as the
   * zero page only there: in a VM_LOCKED VMA that had zero pages before mlock, vm_normal_page
   * reports a bad pte and follow_page fails with -EFAULT.
   */
  readonly zeroPage: "is_zero_pfn" | "use_zero_page";
  /**
   * __get_user_pages on 4 KiB memory (era: model/mm/gup.ts or gup.v2.6.31.ts). "follow_page_pte" (today): FOLL_WRITE is
   * kept until can_follow_write_pte, FOLL_PIN exists and does not pin the zero page, R/O pins
   * unshare (gup_must_unshare). "follow_page" (seed 001 as posted on 2.6.31): FOLL_GET only,
   * FOLL_ANON and FOLL_NOZERO, and FOLL_WRITE dropped after a COW fault in a VMA without VM_WRITE.
   * "follow_page_pte_v4.8" (gup.v4.8.ts, before the Dirty COW fix 19be0eaffa3a): FOLL_GET only, a
   * FOLL_WRITE lookup refused only while the pte is not writable, and that same FOLL_WRITE drop.
   * "follow_trans_huge_pmd_v4.14" (gup.v4.14.ts, huge_memory.v4.14.ts, before the Huge Dirty COW
   * fix a8f97366452e): FOLL_COW after a COW fault, can_follow_write_pmd trusting a dirty pmd, and
   * touch_pmd dirtying the pmd for every FOLL_TOUCH lookup.
   */
  readonly gup: "follow_page_pte" | "follow_page_pte_v4.8" | "follow_trans_huge_pmd_v4.14" | "follow_page";
  /**
   * get_user_pages of a hugetlb VMA (era: model/hugetlb/gup.ts, gup.v2.6.24.ts, gup.v2.6.21.ts).
   * "follow_page_mask" (today): follow_huge_pmd, FOLL_PIN, can_follow_write_pmd, unshare.
   * "follow_hugetlb_page" (2.6.24–v6.4): fault an absent pte, or a read-only one for a write,
   * and retry; FOLL_GET only. "follow_hugetlb_page_v2.6.21" (before 2.6.24): only an absent pte
   * is faulted, as a read; a write gets the page of a read-only pte.
   */
  readonly gupHugetlb: "follow_page_mask" | "follow_hugetlb_page" | "follow_hugetlb_page_v2.6.21";
  /**
   * The pte hugetlb_wp leaves (reuse or copy). "VM_WRITE" (today, since "mm/hugetlb: support
   * FOLL_FORCE|FOLL_WRITE"): writable only in a VM_WRITE VMA. "always" (before v6.0, when a
   * forced write could reach it): make_huge_pte(vma, page, 1), writable whatever the VMA.
   */
  readonly hugetlbWpWritable: "VM_WRITE" | "always";
  /**
   * Whether anonymous pages carry PageAnonExclusive (a one-line toggle in each of the two
   * functions that set it). "PageAnonExclusive" (today): folio_add_new_anon_rmap sets it, and fork
   * (copy_present_pte) makes pages non-exclusive and copies a pinned one for the child at once.
   * "reuse_swap_page" (seed 001's kernel, whose do_wp_page reuses a page mapped at most once):
   * copy_one_pte shares every page.
   */
  readonly cowReuse: "PageAnonExclusive" | "reuse_swap_page";
  /**
   * do_wp_page (era: mm/memory.ts or mm/memory.v2.6.31.ts). "wp_page_copy" (today): reuse an
   * exclusive page, or one whose only reference is our pte (wp_can_reuse_anon_folio), else copy:
   * a zeroed page for the zero pte (is_zero_pfn), else the old page, which no one can change
   * meanwhile. "cow_user_page" (seed 001's
   * do_wp_page, where vm_normal_page gives no page for the zero pte): the copy is made after the
   * PTL is dropped, and for the zero pte it is read through the user address, from whatever the
   * mm maps there by then; reuse_swap_page reuses a page mapped at most once.
   */
  readonly cowCopy: "wp_page_copy" | "cow_user_page";
  /**
   * Populating 4 KiB memory (era: model/mm/populate.ts or populate.v2.6.31.ts). "__mm_populate" (today): under mmap_lock for
   * read, after mlock_fixup or mmap_region dropped it for write. "make_pages_present" (seed 001's
   * kernel): mlock, munlock and MAP_POPULATE run get_user_pages under mmap_sem for write, and
   * __mlock_vma_pages_range locks each page it gets back.
   */
  readonly populate: "__mm_populate" | "make_pages_present";
  /**
   * The fault handler of a DAX file, its VMA's vm_ops (era: model/mm/dax.ts or dax.v4.0.ts; also
   * read by truncate, which takes invalidate_lock in today's era only). "dax_iomap_pte_fault" (today): under the
   * filesystem's invalidate_lock and the index's locked mapping entry, a COW fault copies and sets
   * its pte itself (VM_FAULT_DONE_COW). "do_dax_fault" (seed 004 as posted): a COW fault with no
   * hole page copies the block, then takes i_mmap_mutex, re-checks i_size and returns
   * VM_FAULT_LOCKED with no page; do_cow_fault sets the pte and releases i_mmap_mutex.
   */
  readonly daxFault: "dax_iomap_pte_fault" | "do_dax_fault";
  /**
   * The lock do_dax_fault's COW path takes when it returns no page. "i_mmap_mutex" (seed 004; the
   * model's i_mmap_rwsem held for write). "i_mmap_lock_read" (v4.3: 0f90cc6609c7 took it for read,
   * while do_cow_fault released it with i_mmap_unlock_write after 52a2b53ffde6, until 0df9d41ab5d4
   * "mm, dax: fix DAX deadlocks (COW fault)").
   */
  readonly daxCowLock: "i_mmap_mutex" | "i_mmap_lock_read";
  /**
   * Which hugetlb VMAs have a VMA lock (model/hugetlb/vma_lock.ts), which hugetlb_fault takes for
   * read after the fault mutex and zaps take for write. "none": before "hugetlb: add vma based
   * lock for pmd sharing" (v6.1). "__vma_shareable_lock" (v6.1–v6.6): a shared VMA's own
   * hugetlb_vma_lock. "__vma_private_lock" (since "hugetlbfs: extend hugetlb_vma_lock to private
   * VMAs", v6.7): also a private VMA that owns a reserve map, through resv_map->rw_sema; a
   * private VMA without one (MAP_NORESERVE, a fork child's copy) still has none.
   */
  readonly hugetlbVmaLock: "none" | "__vma_shareable_lock" | "__vma_private_lock";
  /**
   * madvise(MADV_DONTNEED) of a hugetlb VMA (model/ops/madvise_hugetlb.ts). "EINVAL": before
   * "mm: enable MADV_DONTNEED for hugetlb mappings" (v5.18), madvise_dontneed_free refused
   * VM_HUGETLB. "__unmap_hugepage_range_final" (v5.18–v6.6): zap_page_range_single takes the VMA
   * lock and i_mmap_rwsem inside unmap_single_vma and drops them before tlb_finish_mmu frees the
   * pages. "hugetlb_zap_begin" (since 2820b0f09be9, "hugetlbfs: close race between MADV_DONTNEED
   * and page fault", v6.7): both are held from hugetlb_zap_begin until hugetlb_zap_end, after
   * tlb_finish_mmu.
   */
  readonly hugetlbDontneed: "EINVAL" | "__unmap_hugepage_range_final" | "hugetlb_zap_begin";
  /**
   * hugetlb_reserve_pages's error path (out_err) drops the private map it allocated. False before
   * c50ac050811d ("hugetlb: fix resv_map leak in error path", CVE-2012-2390, v3.4): when the
   * subpool (quota) or the pool refused the reservation, mmap failed and the map leaked, since
   * mmap_region frees the VMA without calling ->close.
   */
  readonly reserveErrorPutsResvMap: boolean;
  /**
   * alloc_hugetlb_folio's out_subpool_put undoes a size= charge too (the
   * fix-subpool-alloc-failure variant). v6.18 puts back only a page taken from the subpool's
   * min_size reservations: each failed allocation on a size= mount leaks a page of its quota
   * (finding 003).
   */
  readonly allocFailureUnchargesSubpool: boolean;
  /**
   * free_huge_folio keeps a surplus page in the pool when it restores the page's reservation
   * (the fix-free-surplus-restore-reserve variant). v6.18 restores it (the page's own
   * RestoreReserve, or a min_size subpool that keeps its reservation: 1c5ecae3a93f, v4.1) and
   * still gives a surplus page back to the buddy allocator: HugePages_Rsvd then exceeds
   * HugePages_Free (finding 005).
   */
  readonly restoredSurplusStaysInPool: boolean;
  /**
   * hugetlbfs knows the mount option `min_size=` (7ca02d0ae586, "hugetlbfs: accept subpool
   * min_size mount option and setup accordingly", v4.1). false: hugetlbfs_parse_options meets an
   * option it does not know ("hugetlbfs: Bad mount option") and the mount fails with -EINVAL, so
   * a scenario with a min_size= file cannot be set up in that kernel.
   */
  readonly hugetlbfsMinSize: boolean;
  /**
   * fork's copy of a hugetlb VMA's ptes (era: model/ops/fork.ts, fork.v2.6.26.ts, fork.v2.6.5.ts).
   * "vma_needs_copy" (since bcd51a3c679d, v6.0): only a VMA with an anon_vma, one pte at a time
   * under both PTLs. "VM_HUGETLB" (2.6.21 to v5.19): every hugetlb VMA, shared ones included, the
   * same way. "dup_mmap_page_table_lock" (2.6.5, seed 000): every hugetlb VMA, the whole VMA under
   * the child's page_table_lock that dup_mmap holds across it.
   */
  readonly forkCopy: "vma_needs_copy" | "VM_HUGETLB" | "dup_mmap_page_table_lock";
  /**
   * Whether the pool can grow with surplus pages (alloc_surplus_hugetlb_folio, gather_surplus_pages;
   * "hugetlb: Try to grow hugetlb pool for MAP_PRIVATE mappings", 2.6.23, and the
   * nr_overcommit_hugepages sysctl, 2.6.24). Seed 000 (2.6.5) and seed 002 (2.6.21) had a fixed
   * pool: an empty free list fails the allocation whatever the scenario's overcommit says.
   */
  readonly surplusPages: boolean;
  /**
   * The hugetlbfs syscalls of 2.6.5 (seed 000), before demand faulting (2.6.15-16) and
   * "Enable mprotect on huge pages" (8f860591ffb2, 2.6.17): sys_mprotect refuses a hugetlb VMA
   * (-EACCES), hugetlb_vmtruncate refuses to grow a file ("Expanding truncates are not allowed":
   * -EINVAL), and hugetlbfs_file_mmap extends i_size to the end of every mapping it prefaulted,
   * read-only ones included. false: today's (mprotect, growing ftruncate, i_size extended by
   * writable mappings only).
   */
  readonly prefaultSyscalls: boolean;
  /**
   * hugetlbfs_fallocate (v4.3, 2015): before it, fallocate of a hugetlbfs file is -EOPNOTSUPP
   * and no hole can be punched (seeds 000, 002, 003, and the bug variants of kernels before it).
   */
  readonly hugetlbfsFallocate: boolean;
  /**
   * MAP_NORESERVE of a hugetlbfs mapping ("hugetlb: allow huge page mappings to be created
   * without reservations", v2.6.27): before it the flag was ignored and mmap reserved as usual
   * (the bug variants of 2006 kernels).
   */
  readonly hugetlbNoreserve: boolean;
  /**
   * The hugetlbfs fault (era: hugetlb/fault.ts or fault.v2.6.27.ts). "hugetlb_wp" (today): reuse
   * an anonymous page mapped once; a failed allocation is SIGBUS. "hugetlb_cow" (seed 003's
   * 2.6.27 tree): reuse a page whose page_count() is 1; a failed allocation ends the fault in
   * VM_FAULT_OOM (no-page, or a non-owner's COW). Seed 000's own fault is hugetlbPrefault's.
   */
  readonly hugetlbCow: "hugetlb_wp" | "hugetlb_cow";
  /**
   * madvise(MADV_HUGEPAGE) (2.6.38, with transparent hugepages: 0af4e98b6b09 "thp:
   * madvise(MADV_HUGEPAGE)"), which gives an mmap4k `thp` mapping VM_HUGEPAGE. false (seed 001's
   * 2.6.31): there is no THP, madvise_behavior_valid refuses the advice (-EINVAL), and the mapping
   * stays 4 KiB anonymous memory, faulted and looked up by the era's own 4 KiB code. Seeds 000, 002
   * and 003 keep today's 4 KiB paths, THP included (docs/eras.md: not that era).
   */
  readonly madviseHugepage: boolean;
}

const modern: Variant = {
  name: "modern",
  summary: "today's kernel (mm/hugetlb.c, mm/memory.c, mm/gup.c around v6.18)",
  privateResv: "map",
  ownerNeedsReservationAlwaysZero: false,
  faultMutex: "per-index",
  isizeCheckAfterAlloc: false,
  restoreReserveOnUnmap: "anon",
  noVmaLockFaultWaitsForZap: false,
  wpReuseIgnoresAnon: false,
  forkLeavesChildWritable: false,
  hugetlbForkEarlyCow: true,
  lockPagecacheFolioInFault: false,
  reserveAdjustsRace: true,
  punchLeavesMappedPage: false,
  noPageRechecksIsize: false,
  hugetlbPrefault: false,
  hugepageCharDevice: false,
  restoreReserve: "restore_reserve_on_error",
  restoreReserveDeletesStale: true,
  zeroPage: "is_zero_pfn",
  gup: "follow_page_pte",
  cowReuse: "PageAnonExclusive",
  cowCopy: "wp_page_copy",
  populate: "__mm_populate",
  daxFault: "dax_iomap_pte_fault",
  daxCowLock: "i_mmap_mutex",
  hugetlbVmaLock: "__vma_private_lock",
  hugetlbDontneed: "hugetlb_zap_begin",
  reserveErrorPutsResvMap: true,
  allocFailureUnchargesSubpool: false,
  restoredSurplusStaysInPool: false,
  forkCopy: "vma_needs_copy",
  surplusPages: true,
  prefaultSyscalls: false,
  hugetlbfsFallocate: true,
  hugetlbfsMinSize: true,
  hugetlbNoreserve: true,
  hugetlbCow: "hugetlb_wp",
  gupHugetlb: "follow_page_mask",
  hugetlbWpWritable: "VM_WRITE",
  madviseHugepage: true,
};

/** Kernels before v4.3 (2015), whose hugetlbfs had no fallocate (no hole can be punched), nor min_size= (v4.1). */
const before4_3 = { hugetlbfsFallocate: false, hugetlbfsMinSize: false } as const;

/**
 * Kernels before v4.7 (67961f9db8c4): an owner's refault of an index it had already consumed
 * counted as reserved again.
 */
const before4_7 = { ownerNeedsReservationAlwaysZero: true } as const;

/** Kernels before v2.6.27 (2008), whose hugetlbfs mmap ignored MAP_NORESERVE: the bug variants of 2006. */
const before2_6_27 = { hugetlbNoreserve: false } as const;

/**
 * Kernels before 2022: no hugetlb VMA lock (v6.1), MADV_DONTNEED refused hugetlb VMAs (v5.18),
 * the owner's unmap restored no reservation (df7a6d1f6405 is v6.10), and fork copied every
 * hugetlb VMA's ptes (bcd51a3c679d is v6.0), hugetlb_no_page re-read i_size under the PTL
 * (until v6.1), and get_user_pages used follow_hugetlb_page (until v6.5), whose forced write
 * hugetlb_wp mapped writable.
 */
const before2022 = {
  noPageRechecksIsize: true,
  gupHugetlb: "follow_hugetlb_page",
  hugetlbWpWritable: "always",
  hugetlbVmaLock: "none",
  hugetlbDontneed: "EINVAL",
  restoreReserveOnUnmap: "none",
  forkCopy: "VM_HUGETLB",
  // Until the 2025 rework of alloc_hugetlb_folio, out_subpool_put gave a failed allocation's
  // subpool charge back ("if (map_chg || avoid_reserve)"; hugetlb_put_quota before v3.4): finding 003 is recent.
  allocFailureUnchargesSubpool: true,
  // The early COW of a pinned huge page at fork is v5.12 (4eae4efa2c29).
  hugetlbForkEarlyCow: false,
} as const;

/** modern, the seeds as posted, then the historical bugs in kernel-notes §7 order and the later ones. */
export const VARIANTS: readonly Variant[] = [
  modern,
  {
    ...modern,
    ...before2022,
    name: "seed-000",
    restoreReserve: "none",
    summary:
      "seed 000 as posted (2004 hugepage COW, on 2.6.5): prefault at mmap, no reservations, fork copies every pte, COW reuses a page whose refcount is 1, a failed copy is SIGBUS for everyone",
    hugetlbPrefault: true,
    faultMutex: "none",
    forkCopy: "dup_mmap_page_table_lock",
    surplusPages: false,
    prefaultSyscalls: true,
    hugetlbfsFallocate: false,
    hugetlbfsMinSize: false,
    gupHugetlb: "follow_hugetlb_page_v2.6.21",
  },
  {
    ...modern,
    ...before2022,
    ...before4_3,
    ...before4_7,
    name: "seed-001",
    restoreReserve: "none",
    summary:
      "seed 001 as posted (2.6.31 + \"ZERO_PAGE based on pte_special\"): use_zero_page, follow_page with FOLL_ANON/FOLL_NOZERO and the FOLL_WRITE retry, cow_user_page, populate under mmap_sem for write",
    zeroPage: "use_zero_page",
    gup: "follow_page",
    cowReuse: "reuse_swap_page",
    cowCopy: "cow_user_page",
    populate: "make_pages_present",
    madviseHugepage: false,
    // 2.6.31 is before c50ac050811d (CVE-2012-2390).
    reserveErrorPutsResvMap: false,
  },
  {
    ...modern,
    ...before2022,
    name: "seed-002",
    restoreReserve: "none",
    summary:
      "seed 002 as posted (2007 hugetlb character device): page_mmap's checks, no reservations, page_fault under one instantiation mutex, its error paths included",
    hugepageCharDevice: true,
    faultMutex: "global",
    surplusPages: false,
    hugetlbfsFallocate: false,
    hugetlbfsMinSize: false,
    gupHugetlb: "follow_hugetlb_page_v2.6.21",
  },
  {
    ...modern,
    ...before2022,
    ...before4_7,
    name: "seed-003",
    restoreReserve: "none",
    summary:
      "seed 003 as posted (2.6.27 tree): refcounted resv_map of consumed regions, one instantiation mutex, owner faults always use a reservation, hugetlb_cow reuses by page_count and fails with VM_FAULT_OOM",
    faultMutex: "global",
    reserveAdjustsRace: false,
    // Seed 003 allocates the map before the quota and pool checks, whose failures return
    // without freeing it (until c50ac050811d, CVE-2012-2390).
    reserveErrorPutsResvMap: false,
    hugetlbfsFallocate: false,
    hugetlbfsMinSize: false,
    hugetlbCow: "hugetlb_cow",
  },
  {
    ...modern,
    ...before2022,
    ...before4_3,
    ...before4_7,
    name: "seed-004",
    restoreReserve: "PagePrivate",
    summary:
      "seed 004 as posted (2014 \"mm: Allow page fault handlers to perform the COW\" with the v11 DAX fault): a DAX COW fault copies the block, then returns no page holding i_mmap_mutex, which do_cow_fault releases",
    daxFault: "do_dax_fault",
  },
  {
    ...modern,
    ...before2022,
    ...before4_3,
    ...before4_7,
    name: "bug-split-double-credit",
    restoreReserve: "none",
    summary: "before seed 003: split_vma copies the reservation count, both halves return it (reservation-conservation)",
    privateResv: "count",
    faultMutex: "global",
    reserveAdjustsRace: false,
  },
  {
    ...modern,
    ...before2022,
    ...before4_3,
    ...before2_6_27,
    name: "bug-fault-beyond-eof-consumes-reserve",
    restoreReserve: "none",
    summary:
      "before \"hugetlb: fix absurd HugePages_Rsvd\" (2006): a fault beyond i_size consumes a reservation before the i_size check and never returns it (reservation-conservation)",
    isizeCheckAfterAlloc: true,
    surplusPages: false,
  },
  {
    ...modern,
    ...before2022,
    ...before4_3,
    ...before2_6_27,
    name: "bug-instantiation-race",
    restoreReserve: "none",
    summary:
      "before the hugetlb instantiation mutex (2006): two faults on one index race for the last free page and the loser gets a spurious SIGBUS (reserved-fault-succeeds)",
    faultMutex: "none",
    surplusPages: false,
  },
  {
    ...modern,
    ...before2022,
    ...before4_3,
    ...before4_7,
    name: "bug-cow-reuses-pagecache-page",
    restoreReserve: "none",
    summary:
      "before \"do not use a page in page cache for cow optimization\" (2013): a MAP_PRIVATE write reuses a page-cache page mapped once and reaches the file (cow-isolation)",
    wpReuseIgnoresAnon: true,
  },
  {
    ...modern,
    ...before2022,
    ...before4_7,
    name: "bug-punch-hole-fault-race",
    restoreReserve: "PagePrivate",
    summary:
      "before 4aae8d1c051e (v4.5): a fault maps the page again between the hole punch's unmap and its removal, and remove_inode_hugepages leaves it in the hole, mapped, with the data the punch removes (truncate-coherence)",
    punchLeavesMappedPage: true,
  },
  {
    ...modern,
    ...before2022,
    name: "bug-fork-child-pte-writable",
    summary: "fork leaves the child's pte writable to a page the parent still maps (2021): a child's write is seen by the parent (cow-isolation)",
    forkLeavesChildWritable: true,
    // The bug came with the early COW (4eae4efa2c29, v5.12-rc), fixed by 5e41540c8a0f before v5.12.
    hugetlbForkEarlyCow: true,
  },
  {
    // Today's kernel without the early COW: the seeds' and older variants' get_user_pages of a
    // huge page has no FOLL_PIN and holds nothing across dropping mmap_lock, so only a kernel
    // with pins shows what fork did to one before v5.12.
    ...modern,
    name: "bug-fork-shares-pinned-huge-page",
    summary:
      "before 4eae4efa2c29 (v5.12): fork shares a private huge page pinned for DMA, so the device's writes are seen by the child, and once the parent's next write copies the page, by the child alone (cow-isolation)",
    hugetlbForkEarlyCow: false,
  },
  {
    ...modern,
    ...before2022,
    name: "bug-restore-reserve-on-error-underflow",
    summary:
      "before 2021: restore_reserve_on_error leaves the map entry of a failed allocation that had no reservation; after a hole punch the next fault consumes a reservation Rsvd does not hold (reservation-conservation, then Rsvd wraps)",
    restoreReserveDeletesStale: false,
  },
  {
    ...modern,
    name: "bug-dontneed-frees-after-unlock",
    summary:
      "before 2820b0f09be9 (v6.7): MADV_DONTNEED frees the pages it unmapped after dropping the VMA lock, which private mappings did not have yet; a fault of the same mm in between finds the pool empty and gets SIGBUS (zap-fault-serializable)",
    hugetlbVmaLock: "__vma_shareable_lock",
    hugetlbDontneed: "__unmap_hugepage_range_final",
    restoreReserveOnUnmap: "none",
  },
  {
    ...modern,
    name: "bug-wp-pagecache-folio-deadlock",
    summary:
      "before the 2025 fix: the owner holds the page-cache folio lock while it retakes the fault mutex in hugetlb_wp; a fault holding the mutex waits for that lock (deadlock)",
    lockPagecacheFolioInFault: true,
  },
  {
    ...modern,
    ...before2022,
    ...before4_3,
    ...before4_7,
    name: "bug-region-tracking-race",
    restoreReserve: "none",
    summary:
      "seed 003's open question (\"fix race in region tracking\", 2014): a fault of another process covers an index between mmap's region_chg and region_add; its reservation is never given back (reservation-conservation)",
    reserveAdjustsRace: false,
  },
  {
    ...modern,
    ...before2022,
    ...before4_7,
    name: "bug-dax-cow-unlock-mode",
    restoreReserve: "PagePrivate",
    summary:
      "v4.3 (2015): __dax_fault returns a COW fault's no-page VM_FAULT_LOCKED holding i_mmap_rwsem for read, and do_cow_fault releases it with i_mmap_unlock_write (lock-balance)",
    daxFault: "do_dax_fault",
    daxCowLock: "i_mmap_lock_read",
  },
  {
    ...modern,
    ...before2022,
    name: "bug-gup-drops-foll-write",
    restoreReserve: "PagePrivate",
    summary:
      "Dirty COW (before 19be0eaffa3a, 2016): after a FOLL_FORCE write fault breaks COW in a read-only private mapping, get_user_pages looks again without FOLL_WRITE; a MADV_DONTNEED in between lets it write the page-cache page (cow-isolation)",
    gup: "follow_page_pte_v4.8",
  },
  {
    ...modern,
    ...before2022,
    name: "bug-touch-pmd-dirties-huge-zero",
    summary:
      "Huge Dirty COW (before a8f97366452e, 2017): a get_user_pages read makes the huge zero page's pmd dirty (touch_pmd), and a FOLL_FORCE|FOLL_COW write, which takes a dirty pmd for its COW copy, writes the huge zero page (zero-page)",
    gup: "follow_trans_huge_pmd_v4.14",
  },
  {
    ...modern,
    name: "fix-unmap-restore-reserve",
    summary:
      "proposed fix of finding 001: __unmap_hugepage_range restores the owner's reservation only for a page no other pte maps (one a fork child still maps keeps its index consumed)",
    restoreReserveOnUnmap: "unmapped",
  },
  {
    ...modern,
    name: "fix-unmap-restore-reserve-refs",
    summary:
      "proposed fix of finding 004 (and 001): __unmap_hugepage_range restores the owner's reservation only for a page whose last reference is the pte it zaps (one a fork child still maps, or a GUP reference or pin still holds, keeps its index consumed)",
    restoreReserveOnUnmap: "unreferenced",
  },
  {
    ...modern,
    name: "fix-dontneed-noreserve",
    summary:
      "proposed fix of finding 002: hugetlb_no_page in a VMA without a hugetlb VMA lock waits for a zap of the file (i_mmap_rwsem) and allocates again before it gives SIGBUS",
    noVmaLockFaultWaitsForZap: true,
  },
  {
    ...modern,
    ...before2022,
    ...before4_3,
    ...before4_7,
    name: "bug-reserve-error-leaks-resv-map",
    restoreReserve: "none",
    summary:
      "before c50ac050811d (CVE-2012-2390, v3.4): when the subpool or the pool refuses a MAP_PRIVATE mmap's reservation, hugetlb_reserve_pages returns without dropping the resv_map it allocated, and it leaks (resv-map-lifetime)",
    reserveErrorPutsResvMap: false,
  },
  {
    ...modern,
    name: "fix-subpool-alloc-failure",
    summary:
      "proposed fix of finding 003: alloc_hugetlb_folio's error path gives back the page it charged to the subpool's size= quota, not only one taken from its min_size reservations",
    allocFailureUnchargesSubpool: true,
  },
  {
    ...modern,
    name: "fix-free-surplus-restore-reserve",
    summary:
      "proposed fix of finding 005: free_huge_folio puts a surplus page whose reservation it restores back on the free list, instead of giving it to the buddy allocator and leaving HugePages_Rsvd above HugePages_Free",
    restoredSurplusStaysInPool: true,
  },
];

export function findVariant(name: string): Variant | undefined {
  return VARIANTS.find((v) => v.name === name);
}
