/**
 * Populating a 4 KiB VMA page by page with get_user_pages: mlock, MAP_POPULATE and (seed 001's
 * kernel) munlock (kernel-notes §4).
 *
 * Today (__mm_populate_v6_18): apply_vma_lock_flags or mmap_region runs under mmap_lock for
 * write and drops it; __mm_populate retakes it for read and faults every page of the range in,
 * VMA after VMA (skipping holes), with populate_vma_page_range, for write in a private writable
 * VMA (breaking COW, so zero pages become real pages) and for read elsewhere (a read-only VMA
 * keeps its zero pages, and gets more). munlock faults nothing.
 *
 * Seed 001's kernel (make_pages_present, populate.v2.6.31.ts): the whole of mlock, munlock and mmap runs under
 * mmap_sem for write. make_pages_present and __mlock_vma_pages_range call get_user_pages with
 * write = VM_WRITE, and __mlock_vma_pages_range takes each page back (FOLL_GET) to lock it,
 * mlock or munlock it and put it; the patch passes GUP_FLAGS_IGNORE_ZERO there.
 *
 * The range is the operation's pages [page, page + pages) of its slot (a whole VMA for mmap).
 */
import type { Kernel } from "../kernel.js";
import { L_FLAGS, L_GUP, L_IDX, L_VMA } from "../kernel.js";
import { VM_LOCKED, VM_SHARED, VM_WRITE } from "../layout.js";
import { BLOCKED, Result } from "../types.js";
import { FOLL_FORCE, FOLL_GET, FOLL_WRITE, gupStepNames, gupSteps, type GetUserPages } from "./gup.js";
import type { Pc, StepDef } from "./memory.js";
import { folio_put } from "./page_alloc.js";
import { __split_vma, vma_merge } from "./split.js";
import { find_vma, set_vm_flags, small_addr, vmas_in_range } from "./vma.js";

/** The steps of populating a VMA: __mm_populate, __get_user_pages's, __mlock_vma_pages_range. */
export function populateStepNames(pop: Populate): string[] {
  return ["__mm_populate", ...gupStepNames(pop.gup), "__mlock_vma_pages_range"];
}

/**
 * How the operation ends once the pages are done and mmap_lock is dropped: `error` is
 * Result.OK, EFAULT (get_user_pages failed) or ENOMEM (seed 001's do_mlock met a hole).
 */
export type PopulateEnd = (k: Kernel, t: number, error: number) => number;

/**
 * What a variant's era decides about populating: how mlock and munlock go on once mmap_lock is
 * held for write and a VMA maps the range's start, how MAP_POPULATE goes on, what follows the
 * last page of a VMA, and which mode of mmap_lock the population ends by dropping.
 */
export interface PopulateEra {
  /** do_mlock (`on`) or munlock of the operation's range: the next pc, or DONE. */
  mlock(k: Kernel, t: number, on: boolean, pc: Pc, end: PopulateEnd): number;
  /** vm_mmap_pgoff's MAP_POPULATE, the new VMA linked. */
  mmap(k: Kernel, t: number, vma: number, pc: Pc): number;
  /** The pages of the range before page `next` of its slot are done: the next pc, or the end (`on`: mlock, not munlock). */
  next_vma(k: Kernel, t: number, next: number, on: boolean, pc: Pc, end: PopulateEnd): number;
  /** The population is over: mmap_lock as it was held for it. */
  mmap_unlock(k: Kernel, t: number): void;
}

/** The operation's range in huge pages: its pages [page, page + pages) of slot addr. */
export function op_range(k: Kernel, t: number): [number, number] {
  const op = k.op(t);
  return [small_addr(op.addr, op.page), small_addr(op.addr, op.page + op.pages)];
}

/**
 * mlock_fixup (v6.18; 2.6.31's alike) on the part [start, end) of `vma`, in huge pages, under
 * mmap_lock for write: nothing when VM_LOCKED is as wanted already ("newflags == oldflags"),
 * else vma_modify_flags splits off what lies outside the range (__split_vma) and the part gets
 * the new flags, merged with its neighbours if they now match (vma_modify_flags tries
 * vma_merge_existing_range first; split.ts vma_merge). Returns the VMA of the part (the merged
 * one) if it changed, else 0.
 */
export function mlock_fixup(k: Kernel, vma: number, start: number, end: number, on: boolean): number {
  const flags = k.vm_flags(vma);
  if (((flags & VM_LOCKED) !== 0) === on) return 0;
  const p = k.L.vmaProc(vma);
  if (k.vma_lo(vma) < start) {
    __split_vma(k, vma, start);
    vma = find_vma(k, p, start);
  }
  if (end < k.vma_hi(vma)) __split_vma(k, vma, end);
  set_vm_flags(k, vma, on ? flags | VM_LOCKED : flags & ~VM_LOCKED);
  vma_merge(k, p, start, end);
  return find_vma(k, p, start);
}

/**
 * apply_vma_lock_flags (v6.18): mlock_fixup on each VMA of the range from its start (which a VMA
 * maps); a hole stops it with ENOMEM, the VMAs before it changed.
 */
function apply_vma_lock_flags(k: Kernel, t: number, on: boolean): number {
  const [start, end] = op_range(k, t);
  const p = k.op(t).proc;
  for (let cursor = start; cursor < end; ) {
    const vma = find_vma(k, p, cursor);
    if (!vma) return Result.ENOMEM;
    const tmp = Math.min(k.vma_hi(vma), end);
    mlock_fixup(k, vma, cursor, tmp, on);
    cursor = tmp;
  }
  return Result.OK;
}

/** The first page of VMA `vma` at or after page `from` of its slot. */
export function first_page_from(k: Kernel, vma: number, from: number): number {
  return Math.max(from, k.vm_first_page(vma));
}

/** Populating of one built model: its era, and the get_user_pages it calls. */
export interface Populate {
  readonly era: PopulateEra;
  readonly gup: GetUserPages;
}


/** populate_vma_page_range (v6.18) from page `from` of `vma`: write faults only where they break COW. */
function populate_vma_page_range(k: Kernel, t: number, vma: number, from: number): void {
  const write = (k.vm_flags(vma) & (VM_WRITE | VM_SHARED)) === VM_WRITE;
  k.set_local(t, L_VMA, vma);
  k.set_local(t, L_IDX, first_page_from(k, vma, from));
  k.set_local(t, L_FLAGS, write ? FOLL_WRITE : FOLL_FORCE);
}

/** __mm_populate (v6.18): mmap_lock is dropped for write, then retaken for read. */
export const __mm_populate_v6_18: PopulateEra = {
  mlock(k, t, on, pc, end) {
    const error = apply_vma_lock_flags(k, t, on);
    k.up_write(k.mmap_lock(k.op(t).proc), t);
    // munlock_vma_pages_range walks the ptes and munlocks each folio: nothing to fault.
    return error || !on ? end(k, t, error) : pc.__mm_populate;
  },
  mmap(k, t, _vma, pc) {
    k.up_write(k.mmap_lock(k.op(t).proc), t);
    return pc.__mm_populate;
  },
  // __mm_populate's loop: the next VMA of the range, holes skipped.
  next_vma(k, t, next, _on, pc, end) {
    const op = k.op(t);
    const vma = vmas_in_range(k, op.proc, small_addr(op.addr, next), op_range(k, t)[1])[0];
    if (!vma) {
      release(k, t, this);
      return end(k, t, Result.OK);
    }
    populate_vma_page_range(k, t, vma, next);
    return pc.follow_page;
  },
  mmap_unlock: (k, t) => k.up_read(k.mmap_lock(k.op(t).proc), t),
};

export function release(k: Kernel, t: number, era: PopulateEra): void {
  era.mmap_unlock(k, t);
  k.set_local(t, L_VMA, 0);
  k.set_local(t, L_IDX, 0);
  k.set_local(t, L_FLAGS, 0);
}

/** The steps populating the range, for mlock (`on`), munlock or MAP_POPULATE (on: true). */
export function populateSteps(pop: Populate, pc: Pc, end: PopulateEnd, on = true): Record<string, StepDef> {
  const next_page = (k: Kernel, t: number): number => {
    const idx = k.local(t, L_IDX) + 1;
    const op = k.op(t);
    if (idx < Math.min(k.vm_end_page(k.local(t, L_VMA)), op.page + op.pages)) {
      k.set_local(t, L_IDX, idx);
      return pc.follow_page;
    }
    return pop.era.next_vma(k, t, idx, on, pc, end);
  };
  return {
    __mm_populate: {
      fn: "__mm_populate",
      label: "__mm_populate:mmap_read_lock",
      reads: ["vma"],
      writes: ["mmap_lock"],
      run(k, t) {
        // The VMAs may have gone while mmap_lock was dropped: nothing to populate then.
        const op = k.op(t);
        if (!k.down_read_trylock(k.mmap_lock(op.proc), t)) return BLOCKED;
        return pop.era.next_vma(k, t, op.page, on, pc, end);
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
        return end(k, t, Result.EFAULT);
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
