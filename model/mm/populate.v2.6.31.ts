/**
 * Populating as seed 001's kernel does it (mm/mlock.c and mm/memory.c of 2.6.31): the whole of
 * mlock, munlock and mmap runs under mmap_sem for write; make_pages_present and
 * __mlock_vma_pages_range call get_user_pages (gup.v2.6.31.ts) with write = VM_WRITE. Today's
 * __mm_populate is in populate.ts.
 */
import type { Kernel } from "../kernel.js";
import { L_FLAGS, L_IDX, L_VMA } from "../kernel.js";
import { VM_WRITE } from "../layout.js";
import { Result } from "../types.js";
import type { Pc } from "./memory.js";
import { seed_foll_flags } from "./gup.v2.6.31.js";
import { first_page_from, mlock_fixup, release, type PopulateEnd, type PopulateEra } from "./populate.js";
import { find_vma, small_addr } from "./vma.js";

/**
 * Seed 001's kernel, with mmap_sem held for write: fault in the pages of `vma` from page `from`
 * with get_user_pages(write = VM_WRITE); `pages` for __mlock_vma_pages_range (which also passes
 * GUP_FLAGS_IGNORE_ZERO), none for make_pages_present.
 */
function get_user_pages_locked(k: Kernel, t: number, vma: number, from: number, pages: boolean): void {
  k.set_local(t, L_VMA, vma);
  k.set_local(t, L_IDX, first_page_from(k, vma, from));
  k.set_local(t, L_FLAGS, seed_foll_flags(k, vma, (k.vm_flags(vma) & VM_WRITE) !== 0, pages, pages));
}

/**
 * do_mlock's loop (2.6.31) from page `next` of the range: the VMA there (a hole: ENOMEM, the VMAs
 * before it changed), mlock_fixup on its part of the range ("if (newflags == vma->vm_flags) goto
 * out"), which mlocks or munlocks the part's pages with __mlock_vma_pages_range when it changed
 * the VMA; then the next VMA.
 */
function do_mlock(k: Kernel, t: number, next: number, on: boolean, pc: Pc, end: PopulateEnd): number {
  const op = k.op(t);
  for (let page = next; page < op.page + op.pages; ) {
    const vma = find_vma(k, op.proc, small_addr(op.addr, page));
    if (!vma) {
      release(k, t, make_pages_present_v2_6_31);
      return end(k, t, Result.ENOMEM);
    }
    const tmp = Math.min(k.vm_end_page(vma), op.page + op.pages);
    const changed = mlock_fixup(k, vma, small_addr(op.addr, page), small_addr(op.addr, tmp), on);
    if (changed) {
      get_user_pages_locked(k, t, changed, page, true);
      return pc.follow_page;
    }
    page = tmp;
  }
  release(k, t, make_pages_present_v2_6_31);
  return end(k, t, Result.OK);
}

export const make_pages_present_v2_6_31: PopulateEra = {
  mlock: (k, t, on, pc, end) => do_mlock(k, t, k.op(t).page, on, pc, end),
  mmap(k, t, vma, pc) {
    get_user_pages_locked(k, t, vma, 0, false);
    return pc.follow_page;
  },
  // The VMA's part is done: do_mlock goes on (make_pages_present's one VMA has ended the range).
  next_vma: (k, t, next, on, pc, end) => do_mlock(k, t, next, on, pc, end),
  mmap_unlock: (k, t) => k.up_write(k.mmap_lock(k.op(t).proc), t),
};
