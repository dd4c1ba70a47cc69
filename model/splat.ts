/**
 * The kernel's own assertions on the modelled paths (BUG_ON, VM_BUG_ON_FOLIO, print_bad_pte,
 * might_sleep), each a site with the kernel's function, condition and message. A model step that
 * reaches one records its id in the state (layout.ts SPLAT) through Kernel.splat, and the
 * kernel-splat invariant reports it; nothing is thrown. The README lists every site.
 */

export interface SplatSite {
  /** The kernel function whose check this is. */
  readonly fn: string;
  /** The condition, as the C has it. */
  readonly cond: string;
  /** What the kernel prints when it fires. */
  readonly message: string;
}

/** Site ids (index + 1 into SPLAT_SITES: 0 in the state means none). */
export const Splat = {
  FOLIO_PUT_ZERO: 1,
  FOLIO_GET_ZERO: 2,
  FREE_HUGE_FOLIO_REF: 3,
  FREE_HUGE_FOLIO_MAPPED: 4,
  REMOVE_INODE_RESTORE_RESERVE: 5,
  ZAP_BAD_MAPCOUNT: 6,
  SLEEP_IN_ATOMIC: 7,
  TRY_GRAB_FOLIO: 8,
  FILEMAP_ADD_UNLOCKED: 9,
  FILEMAP_UNACCOUNT_MAPPED: 10,
  HUGETLB_ADD_NEW_ANON_RMAP_RANGE: 11,
  HUGETLB_ADD_FILE_RMAP_ANON: 12,
  MOVE_TO_NEW_FOLIO_UNLOCKED: 13,
  UNMAP_HUGEPAGE_RANGE_NOT_HUGETLB: 14,
} as const;

export const SPLAT_SITES: readonly SplatSite[] = [
  {
    // include/linux/mm.h, folio_put_testzero (put_page_testzero before folios; BUG_ON in 2.6.5).
    fn: "folio_put_testzero",
    cond: "VM_BUG_ON_FOLIO(folio_ref_count(folio) == 0, folio)",
    message: "kernel BUG at include/linux/mm.h:folio_put_testzero (a reference dropped from a page that had none)",
  },
  {
    // include/linux/mm.h, folio_get: a reference taken on a freed page.
    fn: "folio_get",
    cond: "VM_BUG_ON_FOLIO(folio_ref_zero_or_close_to_overflow(folio), folio)",
    message: "kernel BUG at include/linux/mm.h:folio_get (a reference taken on a page with none)",
  },
  {
    // mm/hugetlb.c, free_huge_folio (free_huge_page before v6.3: BUG_ON(page_count(page))).
    fn: "free_huge_folio",
    cond: "VM_BUG_ON_FOLIO(folio_ref_count(folio), folio)",
    message: "kernel BUG at mm/hugetlb.c:free_huge_folio (freed with references left)",
  },
  {
    fn: "free_huge_folio",
    cond: "VM_BUG_ON_FOLIO(folio_mapcount(folio), folio)",
    message: "kernel BUG at mm/hugetlb.c:free_huge_folio (freed while still mapped)",
  },
  {
    // fs/hugetlbfs/inode.c, remove_inode_single_folio: a page-cache page never carries a reservation.
    fn: "remove_inode_single_folio",
    cond: "VM_BUG_ON_FOLIO(folio_test_hugetlb_restore_reserve(folio), folio)",
    message: "kernel BUG at fs/hugetlbfs/inode.c:remove_inode_single_folio (a page-cache page marked RestoreReserve)",
  },
  {
    // mm/memory.c, zap_present_folio_ptes: the mapcount went negative.
    fn: "zap_present_folio_ptes",
    cond: "if (unlikely(folio_mapcount(folio) < 0)) print_bad_pte(vma, addr, ptent, page)",
    message: "BUG: Bad page map (a pte unmapped from a page mapped nowhere)",
  },
  {
    // include/linux/kernel.h, might_sleep (in mutex_lock, down_read, down_write, folio_lock and
    // GFP_KERNEL allocations), with a spinlock held (the page-table lock).
    fn: "__might_sleep",
    cond: "might_sleep() with preempt_count() != 0 (a spinlock held)",
    message: "BUG: sleeping function called from invalid context",
  },
  {
    // mm/gup.c, try_grab_folio: get_user_pages found a pte of a page with no reference left.
    fn: "try_grab_folio",
    cond: "WARN_ON_ONCE(folio_ref_count(folio) <= 0)",
    message: "WARNING: mm/gup.c:try_grab_folio (get_user_pages grabbed a page with no reference)",
  },
  // The sites below: read in v6.x sources of mm/filemap.c, mm/rmap.c, mm/migrate.c, mm/hugetlb.c,
  // and include/linux/rmap.h and the patches up to v6.18 that touched these lines.
  {
    // mm/filemap.c, __filemap_add_folio (hugetlb_add_to_page_cache and filemap_add_folio): the
    // caller adds a folio it holds locked (hugetlb_add_to_page_cache's __folio_set_locked).
    fn: "__filemap_add_folio",
    cond: "VM_BUG_ON_FOLIO(!folio_test_locked(folio), folio)",
    message: "kernel BUG at mm/filemap.c:__filemap_add_folio (a page added to the page cache unlocked)",
  },
  {
    // mm/filemap.c, filemap_unaccount_folio (filemap_remove_folio, from truncate_inode_folio):
    // truncate unmapped the folio under its lock, so no pte may map it now.
    fn: "filemap_unaccount_folio",
    cond: "VM_BUG_ON_FOLIO(folio_mapped(folio), folio)",
    message: "kernel BUG at mm/filemap.c:filemap_unaccount_folio (a page removed from the page cache while still mapped)",
  },
  {
    // mm/rmap.c, hugetlb_add_new_anon_rmap (hugetlb_no_page, hugetlb_wp's copy).
    fn: "hugetlb_add_new_anon_rmap",
    cond: "BUG_ON(address < vma->vm_start || address >= vma->vm_end)",
    message: "kernel BUG at mm/rmap.c:hugetlb_add_new_anon_rmap (an anonymous page mapped outside its VMA)",
  },
  {
    // include/linux/rmap.h, hugetlb_add_file_rmap: hugetlb_no_page maps a page-cache page.
    fn: "hugetlb_add_file_rmap",
    cond: "VM_WARN_ON_FOLIO(folio_test_anon(folio), folio)",
    message: "WARNING: include/linux/rmap.h:hugetlb_add_file_rmap (an anonymous page mapped as a file page)",
  },
  {
    // mm/migrate.c, move_to_new_folio: migrate_folio_unmap / unmap_and_move_huge_page locked
    // the source. (Its twin check on dst is not modelled: nobody else can see dst yet.)
    fn: "move_to_new_folio",
    cond: "VM_BUG_ON_FOLIO(!folio_test_locked(src), src)",
    message: "kernel BUG at mm/migrate.c:move_to_new_folio (the source folio is not locked)",
  },
  {
    // mm/hugetlb.c, __unmap_hugepage_range (from unmap_hugepage_range and the zaps of a VMA).
    fn: "__unmap_hugepage_range",
    cond: "WARN_ON(!is_vm_hugetlb_page(vma))",
    message: "WARNING: mm/hugetlb.c:__unmap_hugepage_range (a hugetlb unmap of a VMA that is not hugetlb)",
  },
];

/** Uses of an uninitialised value (layout.ts UNINIT_USE): what the value was used as. */
export const UninitUse = { RETURNED: 1, PTE: 2, COUNTER: 3 } as const;
export const UNINIT_USES = ["", "returned to the caller", "written into a pte", "written into a pool counter"] as const;
