/**
 * Populating a 4 KiB VMA page by page with get_user_pages: mlock, MAP_POPULATE and (seed 001's
 * kernel) munlock (kernel-notes §4).
 *
 * Today (__mm_populate_v6_18): mlock_fixup or mmap_region runs under
 * mmap_lock for write and drops it; __mm_populate retakes it for read and faults every page in
 * with populate_vma_page_range, for write in a private writable VMA (breaking COW, so zero pages
 * become real pages) and for read elsewhere (a read-only VMA keeps its zero pages, and gets more).
 * munlock faults nothing.
 *
 * Seed 001's kernel (make_pages_present, populate.v2.6.31.ts): the whole of mlock, munlock and mmap runs under
 * mmap_sem for write. make_pages_present and __mlock_vma_pages_range call get_user_pages with
 * write = VM_WRITE, and __mlock_vma_pages_range takes each page back (FOLL_GET) to lock it,
 * mlock or munlock it and put it; the patch passes GUP_FLAGS_IGNORE_ZERO there.
 */
import type { Kernel } from "../kernel.js";
import { L_FLAGS, L_GUP, L_IDX, L_VMA } from "../kernel.js";
import { VM_LOCKED, VM_SHARED, VM_WRITE } from "../layout.js";
import { BLOCKED, DONE, Result } from "../types.js";
import { FOLL_FORCE, FOLL_GET, FOLL_WRITE, gupStepNames, gupSteps, type GetUserPages } from "./gup.js";
import type { Pc, StepDef } from "./memory.js";
import { folio_put } from "./page_alloc.js";
import { lock_mm_and_find_vma, set_vm_flags } from "./vma.js";

/** The steps of populating a VMA: __mm_populate, __get_user_pages's, __mlock_vma_pages_range. */
export function populateStepNames(pop: Populate): string[] {
  return ["__mm_populate", ...gupStepNames(pop.gup), "__mlock_vma_pages_range"];
}

/** How the operation ends once the pages are done and mmap_lock is dropped; `failed`: -EFAULT. */
export type PopulateEnd = (k: Kernel, t: number, failed: boolean) => number;

/**
 * What a variant's era decides about populating: how mlock (mlock_fixup), munlock and
 * MAP_POPULATE go on once mmap_lock is held for write and the VMA found, and which mode of
 * mmap_lock the population ends by dropping.
 */
export interface PopulateEra {
  /** do_mlock's mlock_fixup, flags being the VMA's before: the next pc, or DONE. */
  mlock(k: Kernel, t: number, vma: number, flags: number, pc: Pc): number;
  /** munlock once VM_LOCKED is cleared. */
  munlock(k: Kernel, t: number, vma: number, pc: Pc): number;
  /** vm_mmap_pgoff's MAP_POPULATE, the new VMA linked. */
  mmap(k: Kernel, t: number, vma: number, pc: Pc): number;
  /** The population is over: mmap_lock as it was held for it. */
  mmap_unlock(k: Kernel, t: number): void;
}

/** Populating of one built model: its era, and the get_user_pages it calls. */
export interface Populate {
  readonly era: PopulateEra;
  readonly gup: GetUserPages;
}

/** The operation ends with mmap_lock dropped for write (nothing to populate). */
export function mmap_write_unlock_done(k: Kernel, t: number): number {
  k.up_write(k.mmap_lock(k.op(t).proc), t);
  k.set_result(t, Result.OK);
  return DONE;
}

/** __mm_populate (v6.18): mmap_lock is dropped for write, then retaken for read. */
export const __mm_populate_v6_18: PopulateEra = {
  mlock(k, t, vma, flags, pc) {
    set_vm_flags(k, vma, flags | VM_LOCKED);
    k.up_write(k.mmap_lock(k.op(t).proc), t);
    return pc.__mm_populate;
  },
  // munlock_vma_pages_range walks the ptes and munlocks each folio: nothing to fault.
  munlock: (k, t) => mmap_write_unlock_done(k, t),
  mmap(k, t, _vma, pc) {
    k.up_write(k.mmap_lock(k.op(t).proc), t);
    return pc.__mm_populate;
  },
  mmap_unlock: (k, t) => k.up_read(k.mmap_lock(k.op(t).proc), t),
};

function release(k: Kernel, t: number, era: PopulateEra): void {
  era.mmap_unlock(k, t);
  k.set_local(t, L_VMA, 0);
  k.set_local(t, L_IDX, 0);
  k.set_local(t, L_FLAGS, 0);
}

export function populateSteps(pop: Populate, pc: Pc, end: PopulateEnd): Record<string, StepDef> {
  const next_page = (k: Kernel, t: number): number => {
    const idx = k.local(t, L_IDX) + 1;
    if (idx < k.vm_nr_pages(k.local(t, L_VMA))) {
      k.set_local(t, L_IDX, idx);
      return pc.follow_page;
    }
    release(k, t, pop.era);
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
    ...gupSteps(pop.gup, pc, {
      page(k, t, g) {
        if (!(k.local(t, L_FLAGS) & FOLL_GET)) return next_page(k, t);
        k.set_local(t, L_GUP, g);
        return pc.__mlock_vma_pages_range;
      },
      error(k, t) {
        release(k, t, pop.era);
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
