/**
 * The hugetlbfs subpool (mm/hugetlb.c, v6.18): the mount options `size=` (max_hpages, a quota
 * of pages reserved or allocated through the mount) and `min_size=` (min_hpages, reserved in
 * the global pool when the mount is made and kept there for the mount's files). Its lock, like
 * hugetlb_lock, is never held across a step. The mount outlives the scenario, so
 * unlock_or_release_subpool never frees it. hugepage_new_subpool is in inode.ts (at mount).
 */
import type { Kernel } from "../kernel.js";

/** hugepage_subpool_get_pages's -ENOMEM. */
export const SPOOL_ENOMEM = -1;

/**
 * hugepage_subpool_get_pages: charge delta pages to the subpool. Returns how many of them the
 * global pool must reserve (fewer when min_size reservations cover some), or SPOOL_ENOMEM when
 * size= would be exceeded.
 */
export function hugepage_subpool_get_pages(k: Kernel, spool: number, delta: number): number {
  if (spool < 0) return delta;
  let ret = delta;
  const max = k.spool_max_hpages(spool);
  if (max !== -1) {
    if (k.spool_used_hpages(spool) + delta > max) return SPOOL_ENOMEM;
    k.set_spool_used_hpages(spool, k.spool_used_hpages(spool) + delta);
  }
  const rsv = k.spool_rsv_hpages(spool);
  if (k.spool_min_hpages(spool) !== -1 && rsv) {
    if (delta > rsv) {
      ret = delta - rsv;
      k.set_spool_rsv_hpages(spool, 0);
    } else {
      ret = 0;
      k.set_spool_rsv_hpages(spool, rsv - delta);
    }
  }
  return ret;
}

/**
 * hugepage_subpool_put_pages: uncharge delta pages. Returns how many global reservations the
 * caller must drop: fewer when the subpool keeps them to stay at min_size. With no size=,
 * used_hpages is never counted, so every put refills rsv_hpages up to min_size.
 */
export function hugepage_subpool_put_pages(k: Kernel, spool: number, delta: number): number {
  if (spool < 0) return delta;
  let ret = delta;
  if (k.spool_max_hpages(spool) !== -1) k.set_spool_used_hpages(spool, k.spool_used_hpages(spool) - delta);
  const min = k.spool_min_hpages(spool);
  if (min !== -1 && k.spool_used_hpages(spool) < min) {
    const rsv = k.spool_rsv_hpages(spool);
    ret = rsv + delta <= min ? 0 : rsv + delta - min;
    k.set_spool_rsv_hpages(spool, Math.min(rsv + delta, min));
  }
  return ret;
}
