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
];

/** Uses of an uninitialised value (layout.ts UNINIT_USE): what the value was used as. */
export const UninitUse = { RETURNED: 1, PTE: 2, COUNTER: 3 } as const;
export const UNINIT_USES = ["", "returned to the caller", "written into a pte", "written into a pool counter"] as const;
