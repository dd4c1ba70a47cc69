/**
 * Populating as seed 001's kernel does it (mm/mlock.c and mm/memory.c of 2.6.31): the whole of
 * mlock, munlock and mmap runs under mmap_sem for write; make_pages_present and
 * __mlock_vma_pages_range call get_user_pages (gup.v2.6.31.ts) with write = VM_WRITE. Today's
 * __mm_populate is in populate.ts.
 */
import type { Kernel } from "../kernel.js";
import { L_FLAGS, L_IDX, L_VMA } from "../kernel.js";
import { VM_LOCKED, VM_WRITE } from "../layout.js";
import { seed_foll_flags } from "./gup.v2.6.31.js";
import { mmap_write_unlock_done, type PopulateEra } from "./populate.js";
import { set_vm_flags } from "./vma.js";

/**
 * Seed 001's kernel, with mmap_sem held for write: fault in every page of `vma` with
 * get_user_pages(write = VM_WRITE); `pages` for __mlock_vma_pages_range (which also passes
 * GUP_FLAGS_IGNORE_ZERO), none for make_pages_present.
 */
function get_user_pages_locked(k: Kernel, t: number, vma: number, pages: boolean): void {
  k.set_local(t, L_VMA, vma);
  k.set_local(t, L_IDX, 0);
  k.set_local(t, L_FLAGS, seed_foll_flags(k, vma, (k.vm_flags(vma) & VM_WRITE) !== 0, pages, pages));
}

export const make_pages_present_v2_6_31: PopulateEra = {
  mlock(k, t, vma, flags, pc) {
    // "if (newflags == vma->vm_flags) goto out", and the pages are mlocked under mmap_sem for
    // write.
    if (flags & VM_LOCKED) return mmap_write_unlock_done(k, t);
    set_vm_flags(k, vma, flags | VM_LOCKED);
    get_user_pages_locked(k, t, vma, true);
    return pc.follow_page;
  },
  munlock(k, t, vma, pc) {
    // munlock_vma_pages_range → __mlock_vma_pages_range(vma, start, end, 0) with VM_LOCKED
    // already cleared, so use_zero_page holds again and GUP_FLAGS_IGNORE_ZERO stays.
    get_user_pages_locked(k, t, vma, true);
    return pc.follow_page;
  },
  mmap(k, t, vma, pc) {
    get_user_pages_locked(k, t, vma, false);
    return pc.follow_page;
  },
  mmap_unlock: (k, t) => k.up_write(k.mmap_lock(k.op(t).proc), t),
};
