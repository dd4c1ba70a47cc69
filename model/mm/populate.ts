/**
 * Populating a 4 KiB VMA page by page with get_user_pages: mlock, MAP_POPULATE and (seed 001's
 * kernel) munlock (kernel-notes §4).
 *
 * Today (variant flag `populate` = "__mm_populate"): mlock_fixup or mmap_region runs under
 * mmap_lock for write and drops it; __mm_populate retakes it for read and faults every page in
 * with populate_vma_page_range, for write in a private writable VMA (breaking COW, so zero pages
 * become real pages) and for read elsewhere (a read-only VMA keeps its zero pages, and gets more).
 * munlock faults nothing.
 *
 * Seed 001's kernel ("make_pages_present"): the whole of mlock, munlock and mmap runs under
 * mmap_sem for write. make_pages_present and __mlock_vma_pages_range call get_user_pages with
 * write = VM_WRITE, and __mlock_vma_pages_range takes each page back (FOLL_GET) to lock it,
 * mlock or munlock it and put it; the patch passes GUP_FLAGS_IGNORE_ZERO there.
 */
import type { Kernel } from "../kernel.js";
import { L_FLAGS, L_GUP, L_IDX, L_VMA } from "../kernel.js";
import { VM_SHARED, VM_WRITE } from "../layout.js";
import { BLOCKED } from "../types.js";
import { FOLL_FORCE, FOLL_GET, FOLL_WRITE, gupStepNames, gupSteps, type GetUserPages } from "./gup.js";
import { seed_foll_flags } from "./gup.v2.6.31.js";
import type { Pc, StepDef } from "./memory.js";
import { folio_put } from "./page_alloc.js";
import { lock_mm_and_find_vma } from "./vma.js";

/** The steps of populating a VMA: __mm_populate, __get_user_pages's, __mlock_vma_pages_range. */
export function populateStepNames(gup: GetUserPages): string[] {
  return ["__mm_populate", ...gupStepNames(gup), "__mlock_vma_pages_range"];
}

/** How the operation ends once the pages are done and mmap_lock is dropped; `failed`: -EFAULT. */
export type PopulateEnd = (k: Kernel, t: number, failed: boolean) => number;

function populate_under_write_lock(k: Kernel): boolean {
  return k.variant.populate === "make_pages_present";
}

/**
 * Seed 001's kernel, with mmap_sem held for write: fault in every page of `vma` with
 * get_user_pages(write = VM_WRITE); `pages` for __mlock_vma_pages_range (which also passes
 * GUP_FLAGS_IGNORE_ZERO), none for make_pages_present.
 */
export function get_user_pages_locked(k: Kernel, t: number, vma: number, pages: boolean): void {
  k.set_local(t, L_VMA, vma);
  k.set_local(t, L_IDX, 0);
  k.set_local(t, L_FLAGS, seed_foll_flags(k, vma, (k.vm_flags(vma) & VM_WRITE) !== 0, pages, pages));
}

function release(k: Kernel, t: number): void {
  const lock = k.mmap_lock(k.op(t).proc);
  if (populate_under_write_lock(k)) k.up_write(lock);
  else k.up_read(lock, t);
  k.set_local(t, L_VMA, 0);
  k.set_local(t, L_IDX, 0);
  k.set_local(t, L_FLAGS, 0);
}

export function populateSteps(gup: GetUserPages, pc: Pc, end: PopulateEnd): Record<string, StepDef> {
  const next_page = (k: Kernel, t: number): number => {
    const idx = k.local(t, L_IDX) + 1;
    if (idx < k.vm_nr_pages(k.local(t, L_VMA))) {
      k.set_local(t, L_IDX, idx);
      return pc.follow_page;
    }
    release(k, t);
    return end(k, t, false);
  };
  return {
    __mm_populate: {
      fn: "__mm_populate",
      label: "__mm_populate:mmap_read_lock",
      reads: ["vma"],
      writes: ["mmap_lock"],
      run(k, t) {
        // The VMA may have gone while mmap_lock was dropped: nothing to populate then.
        const vma = lock_mm_and_find_vma(k, t, () => true);
        if (vma === BLOCKED) return BLOCKED;
        if (!vma) return end(k, t, false);
        // populate_vma_page_range: write faults only where they break COW.
        const write = (k.vm_flags(vma) & (VM_WRITE | VM_SHARED)) === VM_WRITE;
        k.set_local(t, L_VMA, vma);
        k.set_local(t, L_IDX, 0);
        k.set_local(t, L_FLAGS, write ? FOLL_WRITE : FOLL_FORCE);
        return pc.follow_page;
      },
    },
    ...gupSteps(gup, pc, {
      page(k, t, g) {
        if (!(k.local(t, L_FLAGS) & FOLL_GET)) return next_page(k, t);
        k.set_local(t, L_GUP, g);
        return pc.__mlock_vma_pages_range;
      },
      error(k, t) {
        release(k, t);
        return end(k, t, true);
      },
    }),
    __mlock_vma_pages_range: {
      fn: "__mlock_vma_pages_range",
      label: "__mlock_vma_pages_range:lock_page",
      reads: ["page"],
      writes: ["page", "page_lock"],
      run(k, t) {
        // lock_page, mlock_vma_page or munlock_vma_page (PG_mlocked is not modelled),
        // unlock_page, put_page.
        const g = k.local(t, L_GUP);
        if (k.a[k.folio_lock_word(g)] !== 0) return BLOCKED;
        k.set_local(t, L_GUP, 0);
        folio_put(k, g);
        return next_page(k, t);
      },
    },
  };
}
