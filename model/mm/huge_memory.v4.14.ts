/**
 * The get_user_pages side of THP as v4.14's mm/huge_memory.c has it, before a8f97366452e ("mm,
 * thp: Do not make page table dirty unconditionally in touch_p[mu]d()", "Huge Dirty COW",
 * CVE-2017-1000405): touch_pmd makes the pmd dirty for every FOLL_TOUCH lookup, a read included,
 * and can_follow_write_pmd lets a FOLL_FORCE write through a read-only pmd once faultin_page has
 * set FOLL_COW, if the pmd is dirty, taking dirtiness as the proof that COW was broken. A read
 * (get_user_pages without FOLL_WRITE, as reading /proc/pid/mem does) of the huge zero page that
 * a racing fault mapped where the COW copy was dirties its pmd, and the forced write then goes
 * to the huge zero page. Today's is in huge_memory.ts and gup.ts (follow_huge_pmd).
 */
import type { Kernel } from "../kernel.js";
import { FOLL_COW, FOLL_FORCE, FOLL_GET, FOLL_TOUCH, FOLL_WRITE, NEED_FAULT } from "./gup.js";
import { pmd_dirty, pmd_mkdirty, pmd_page, pmd_write } from "./pte.js";

/** touch_pmd (v4.14): "We should set the dirty bit only for FOLL_WRITE but for now the dirty bit in the pmd is meaningless". */
export function touch_pmd_v4_14(k: Kernel, p: number, slot: number): void {
  k.set_pte(p, slot, pmd_mkdirty(k.pte(p, slot)));
}

/** can_follow_write_pmd (v4.14): "FOLL_FORCE can write to even unwritable pmd's, but only after we've gone through a COW cycle and they are dirty." */
function can_follow_write_pmd(pmd: number, flags: number): boolean {
  return pmd_write(pmd) || ((flags & FOLL_FORCE) !== 0 && (flags & FOLL_COW) !== 0 && pmd_dirty(pmd));
}

/** follow_trans_huge_pmd (v4.14), under the pmd lock: FOLL_GET only (no FOLL_PIN yet). */
export function follow_trans_huge_pmd_v4_14(k: Kernel, p: number, slot: number, _vma: number, flags: number): number {
  const pmd = k.pte(p, slot);
  if (flags & FOLL_WRITE && !can_follow_write_pmd(pmd, flags)) return NEED_FAULT;
  const page = pmd_page(pmd);
  if (flags & FOLL_TOUCH) touch_pmd_v4_14(k, p, slot);
  if (flags & FOLL_GET) k.folio_get(page);
  return page;
}
