/**
 * Anonymous transparent huge pages mapped by pmd (mm/huge_memory.c, v6.18): the fault of a
 * THP-able VMA's pmd (do_huge_pmd_anonymous_page: the huge zero page for a read where
 * use_zero_page allows it, else a THP from the buddy allocator; do_huge_pmd_wp_page), the split
 * of the huge zero page's pmd into 4 KiB zero-page ptes (__split_huge_pmd), zap_huge_pmd, and
 * touch_pmd for get_user_pages. The pmd lock is the mm's one page-table lock (as for ptes).
 *
 * One page slot stands for a THP's 512 pages (PG_HEAD) and the slot's pmd for its mapping; a
 * PMD-mapped THP is never split here: the loader refuses what would split one (fork, a partial
 * MADV_DONTNEED or munmap, mlock, migration), so every THP stays mapped once and exclusive.
 * As in mm/memory.ts, a COW or reuse for a write returns VM_FAULT_WRITE, which only the older
 * eras' faultin_page read (v4.14's do_huge_pmd_wp_page returned it where today's does the same
 * work). v4.14's touch_pmd and follow_trans_huge_pmd are in huge_memory.v4.14.ts.
 */
import type { Kernel } from "../kernel.js";
import { L_FAULT_PTE, L_FLAGS, L_NEW, L_ORIG_PTE, L_VMA } from "../kernel.js";
import { PAGE_IN_USE, PG_ANON_EXCLUSIVE, PG_HEAD, VM_WRITE } from "../layout.js";
import { BLOCKED, ModelError } from "../types.js";
import {
  FAULT_FLAG_UNSHARE,
  FAULT_FLAG_WRITE,
  fault_done,
  folio_add_new_anon_rmap,
  handle_pte_fault,
  mm_forbids_zeropage,
  VM_FAULT_WRITE,
  type FaultReturn,
  type HugePmdFault,
  type Pc,
  type SmallFault,
  type StepDef,
} from "./memory.js";
import { folio_alloc, folio_put } from "./page_alloc.js";
import { mk_huge_pmd, mk_huge_zero_pmd, PMD_TABLE, pmd_mkdirty, pmd_mkwrite, pmd_page, pmd_trans_huge, zero_pte } from "./pte.js";

/** The pmd a fault works on (vmf->pmd, L_FAULT_PTE), and its write. */
export function fault_pmd(k: Kernel, t: number): number {
  return k.a[k.local(t, L_FAULT_PTE) - 1]!;
}
function set_fault_pmd(k: Kernel, t: number, pmd: number): void {
  k.set_pte(k.op(t).proc, k.op(t).addr, pmd);
}

export function is_huge_zero_pmd(k: Kernel, pmd: number): boolean {
  return pmd_trans_huge(pmd) && pmd_page(pmd) === k.L.hugeZeroPage;
}

/** transparent_hugepage_use_zero_page: /sys/kernel/mm/transparent_hugepage/use_zero_page. */
function transparent_hugepage_use_zero_page(k: Kernel): boolean {
  return k.cfg.kernel.thpZeroPage;
}

/**
 * vma_alloc_anon_folio_pmd: a zeroed PMD-order folio from the buddy allocator (GFP_TRANSHUGE
 * may reclaim), or NULL (THP_FAULT_FALLBACK) when the scenario's `thp_pages` are all in use.
 */
export function vma_alloc_anon_folio_pmd(k: Kernel, t: number): number {
  k.might_sleep(t);
  let used = 0;
  for (let g = k.L.firstSmallPage; g <= k.L.lastPage; g++) if (k.page_state(g) === PAGE_IN_USE && k.page_test(g, PG_HEAD)) used++;
  if (used >= k.cfg.thpPages) return 0;
  const g = folio_alloc(k);
  k.page_set(g, PG_HEAD);
  return g;
}

/**
 * map_anon_folio_pmd: the new THP becomes the pmd, dirty and writable where the VMA is
 * (maybe_pmd_mkwrite(pmd_mkdirty())), an exclusive anonymous folio mapped once.
 */
export function map_anon_folio_pmd(k: Kernel, t: number, g: number): void {
  folio_add_new_anon_rmap(k, g);
  set_fault_pmd(k, t, mk_huge_pmd(g, (k.vm_flags(k.local(t, L_VMA)) & VM_WRITE) !== 0, true));
}

/**
 * do_huge_pmd_anonymous_page, up to the pmd lock (vmf_anon_prepare first): a read where the zero
 * page is allowed maps the huge zero page (mm_get_huge_zero_folio: the model has it from the
 * start); anything else allocates a THP, or falls back to 4 KiB ptes (VM_FAULT_FALLBACK).
 */
function do_huge_pmd_anonymous_page(k: Kernel, t: number, f: SmallFault, pc: Pc, ret: FaultReturn): number {
  k.vmf_anon_prepare(k.local(t, L_VMA));
  if (!(k.local(t, L_FLAGS) & FAULT_FLAG_WRITE) && !mm_forbids_zeropage(k) && transparent_hugepage_use_zero_page(k)) return pc.set_huge_zero_folio;
  const g = vma_alloc_anon_folio_pmd(k, t);
  if (!g) return handle_pte_fault(k, t, f, pc, ret);
  k.set_local(t, L_NEW, g);
  return pc.__do_huge_pmd_anonymous_page;
}

/**
 * __split_huge_pmd_locked of the pmd under the pmd lock: the huge zero page's becomes a page
 * table of 4 KiB zero-page ptes (__split_huge_zero_page_pmd). A PMD-mapped THP is never split
 * in a scenario the loader accepts (see the file's comment).
 */
export function __split_huge_pmd_locked(k: Kernel, t: number): void {
  const op = k.op(t);
  const pmd = k.pte(op.proc, op.addr);
  if (!pmd_trans_huge(pmd)) return;
  if (!is_huge_zero_pmd(k, pmd)) throw new ModelError("__split_huge_pmd of a PMD-mapped THP is not modelled");
  for (let i = 0; i < k.vm_nr_pages(k.local(t, L_VMA)); i++) k.set_small_pte(op.proc, op.addr, i, zero_pte(k.L.zeroPage));
  set_fault_pmd(k, t, PMD_TABLE);
}

/**
 * do_huge_pmd_wp_page (v6.18), unlocked: the huge zero page is COWed into a new THP by
 * do_huge_zero_wp_pmd (since v6.12), or, when none can be allocated, the pmd is split and the
 * 4 KiB fault takes over; any other pmd goes on under the pmd lock.
 */
function do_huge_pmd_wp_page(k: Kernel, t: number, _f: SmallFault, pc: Pc): number {
  if (!is_huge_zero_pmd(k, k.local(t, L_ORIG_PTE))) return pc.do_huge_pmd_wp_page;
  const g = vma_alloc_anon_folio_pmd(k, t);
  if (!g) {
    // __split_huge_pmd splits whatever huge pmd it finds under the lock (no pmd_same): the
    // fault no longer bases a write on the pmd it saw.
    k.set_local(t, L_FAULT_PTE, 0);
    return pc.__split_huge_pmd;
  }
  k.set_local(t, L_NEW, g);
  return pc.do_huge_zero_wp_pmd;
}

/** The steps every era's pmd fault shares: the pmd lock retaken after the allocation, pmd_same. */
export const HUGE_PMD_STEPS = ["set_huge_zero_folio", "__do_huge_pmd_anonymous_page", "__split_huge_pmd"] as const;

export function hugePmdSteps(f: SmallFault, pc: Pc, ret: FaultReturn): Record<string, StepDef> {
  const ptl = (k: Kernel, t: number) => k.ptl(k.op(t).proc);
  return {
    set_huge_zero_folio: {
      fn: "do_huge_pmd_anonymous_page",
      label: "do_huge_pmd_anonymous_page:pmd_lock",
      reads: ["pte"],
      writes: ["ptl", "pte"],
      run(k, t) {
        if (!k.spin_lock(ptl(k, t), t)) return BLOCKED;
        if (!fault_pmd(k, t)) set_fault_pmd(k, t, mk_huge_zero_pmd(k.L.hugeZeroPage)); // set_huge_zero_folio
        k.spin_unlock(ptl(k, t), t);
        return fault_done(k, t, ret, 0);
      },
    },
    __do_huge_pmd_anonymous_page: {
      fn: "__do_huge_pmd_anonymous_page",
      label: "__do_huge_pmd_anonymous_page:pmd_lock",
      reads: ["pte"],
      writes: ["ptl", "pte", "page"],
      run(k, t) {
        if (!k.spin_lock(ptl(k, t), t)) return BLOCKED;
        const g = k.local(t, L_NEW);
        k.set_local(t, L_NEW, 0);
        if (fault_pmd(k, t)) folio_put(k, g); // !pmd_none: another fault won (unlock_release)
        else map_anon_folio_pmd(k, t, g);
        k.spin_unlock(ptl(k, t), t);
        return fault_done(k, t, ret, 0);
      },
    },
    __split_huge_pmd: {
      // The fallback of a huge zero page's COW that found no THP: split under the pmd lock,
      // then VM_FAULT_FALLBACK runs handle_pte_fault on the 4 KiB zero-page pte.
      fn: "__split_huge_pmd",
      label: "__split_huge_pmd:pmd_lock",
      reads: ["pte"],
      writes: ["ptl", "pte"],
      run(k, t) {
        if (!k.spin_lock(ptl(k, t), t)) return BLOCKED;
        __split_huge_pmd_locked(k, t);
        k.spin_unlock(ptl(k, t), t);
        return handle_pte_fault(k, t, f, pc, ret);
      },
    },
  };
}

/** Today's pmd fault: do_huge_zero_wp_pmd, and the reuse of an exclusive THP. */
export const do_huge_pmd_wp_page_v6_18: HugePmdFault = {
  do_huge_pmd_anonymous_page,
  do_huge_pmd_wp_page,
  steps: [...HUGE_PMD_STEPS, "do_huge_zero_wp_pmd", "do_huge_pmd_wp_page"],
  build: (f, pc, ret) => ({
    ...hugePmdSteps(f, pc, ret),
    do_huge_zero_wp_pmd: {
      fn: "do_huge_zero_wp_pmd",
      label: "do_huge_zero_wp_pmd:pmd_lock",
      reads: ["pte"],
      writes: ["ptl", "pte", "page"],
      run(k, t) {
        const lock = k.ptl(k.op(t).proc);
        if (!k.spin_lock(lock, t)) return BLOCKED;
        const g = k.local(t, L_NEW);
        k.set_local(t, L_NEW, 0);
        // pmd_same, else release; pmdp_huge_clear_flush of the huge zero pmd, map_anon_folio_pmd.
        const same = fault_pmd(k, t) === k.local(t, L_ORIG_PTE);
        if (same) map_anon_folio_pmd(k, t, g);
        else folio_put(k, g);
        k.spin_unlock(lock, t);
        return fault_done(k, t, ret, same ? VM_FAULT_WRITE : 0);
      },
    },
    do_huge_pmd_wp_page: {
      // Under the pmd lock, pmd_same; an exclusive anonymous THP is reused: an unshare is done,
      // a write makes the pmd dirty and writable where the VMA is (maybe_pmd_mkwrite).
      fn: "do_huge_pmd_wp_page",
      label: "do_huge_pmd_wp_page:pmd_lock",
      reads: ["pte", "page"],
      writes: ["ptl", "pte"],
      run(k, t) {
        const lock = k.ptl(k.op(t).proc);
        if (!k.spin_lock(lock, t)) return BLOCKED;
        const orig = k.local(t, L_ORIG_PTE);
        if (fault_pmd(k, t) !== orig) {
          k.spin_unlock(lock, t);
          return fault_done(k, t, ret, 0);
        }
        // A variant without PageAnonExclusive (seed 001's reuse_swap_page) reuses as v4.14 did,
        // a THP mapped once (page_trans_huge_mapcount == 1).
        const g = pmd_page(orig);
        const exclusive = k.variant.cowReuse === "PageAnonExclusive" ? k.page_test(g, PG_ANON_EXCLUSIVE) : k.page_mapcount(g) === 1;
        if (!exclusive) throw new ModelError("do_huge_pmd_wp_page of a shared THP (its split) is not modelled");
        const unshare = (k.local(t, L_FLAGS) & FAULT_FLAG_UNSHARE) !== 0;
        if (!unshare) {
          const entry = pmd_mkdirty(orig);
          set_fault_pmd(k, t, k.vm_flags(k.local(t, L_VMA)) & VM_WRITE ? pmd_mkwrite(entry) : entry);
        }
        k.spin_unlock(lock, t);
        return fault_done(k, t, ret, unshare ? 0 : VM_FAULT_WRITE);
      },
    },
  }),
};

/**
 * touch_pmd (since a8f97366452e, "mm, thp: Do not make page table dirty unconditionally in
 * touch_p[mu]d()", 2017): pmd_mkyoung, and pmd_mkdirty only for a FOLL_WRITE lookup. The young
 * bit is not kept.
 */
export function touch_pmd(k: Kernel, p: number, slot: number, write: boolean): void {
  if (write) k.set_pte(p, slot, pmd_mkdirty(k.pte(p, slot)));
}

/**
 * zap_huge_pmd (zap_pmd_range of a whole 2 MiB, for MADV_DONTNEED, munmap and exit) of the
 * VMA's pmd: cleared; a THP loses its mapping and the pmd's reference (the huge zero page holds
 * none). Returns whether the pmd was huge. The page table the slot may have stays (free_pgtables
 * is the caller's).
 */
export function zap_huge_pmd(k: Kernel, vma: number): boolean {
  const p = k.L.vmaProc(vma);
  const pmd = k.pte(p, k.vm_start(vma));
  if (!pmd_trans_huge(pmd)) return false;
  k.set_pte(p, k.vm_start(vma), 0);
  if (is_huge_zero_pmd(k, pmd)) return true;
  const g = pmd_page(pmd);
  k.add_mapcount(g, -1); // folio_remove_rmap_pmd
  folio_put(k, g);
  return true;
}
