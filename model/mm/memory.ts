/**
 * The 4 KiB page fault (mm/memory.c, kernel-notes §4): handle_mm_fault → handle_pte_fault →
 * do_anonymous_page (the zero page for a private read, a zeroed page for a write), do_fault
 * (shmem for shared anonymous memory) or do_wp_page (reuse, or wp_page_copy). Cut where the
 * kernel takes the page-table lock or a page lock that another thread may hold: the PTL is
 * retaken after every allocation and the pte re-checked (pte_same) against the value the
 * fault based its decision on. Follows v6.18; seed 001 as posted (2.6.31 with "ZERO_PAGE based
 * on pte_special") where its variant flags say so. Also zap_pte_range and copy_present_pte,
 * which munmap, exit, MADV_DONTNEED and fork use on 4 KiB ptes.
 *
 * A file's ->fault is not called from here by name: __do_fault calls vma->vm_ops->fault, and
 * the tables (shmem's, the page cache's, each DAX era's) live with their files, which import
 * this one (as fs/dax.c and mm/filemap.c use mm/memory.c); the model built for a variant hands
 * the tables its VMAs can have to smallFault() (model/mm/fault4k.ts).
 *
 * The model keeps one page-table lock per mm (the kernel's is per page table): a coarser lock,
 * which only serialises more.
 */
import { Splat } from "../splat.js";
import type { Kernel } from "../kernel.js";
import { L_FAULT_PTE, L_FLAGS, L_IDX, L_LOCKED, L_NEW, L_ORIG_PTE, L_PAGE, L_VMA } from "../kernel.js";
import { PG_ANON, PG_ANON_EXCLUSIVE, VM_HUGEPAGE, VM_LOCKED, VM_MIXEDMAP, VM_SHARED, VM_WRITE } from "../layout.js";
import { BLOCKED, type Step } from "../types.js";
import { migration_entry_locked, migrationEntryWaitOnLocked } from "./migrate.js";
import { folio_alloc, folio_put, vma_alloc_zeroed_movable_folio } from "./page_alloc.js";
import {
  is_exclusive_migration_entry,
  is_migration_entry,
  is_writable_migration_entry,
  make_readable_migration_entry,
  mk_pte,
  PMD_TABLE,
  pmd_trans_huge,
  pmd_write,
  pte_mkwrite,
  pte_page,
  pte_special,
  pte_write,
  pte_wrprotect,
  zero_pte,
} from "./pte.js";

/** vmf->flags (kept in L_FLAGS, below the FOLL_* bits of get_user_pages). */
export const FAULT_FLAG_WRITE = 1;
/** GUP wants an exclusive anonymous page for a R/O pin, without writing (today only). */
export const FAULT_FLAG_UNSHARE = 2;
/**
 * Ghost bits in L_FLAGS for truncate-coherence, with no kernel counterpart: the fault's private
 * copy (L_NEW) holds the file's data, and truncate has since removed that index.
 */
export const COW_COPIED = 1 << 12;
export const COW_COPY_STALE = 1 << 13;
const FAULT_FLAGS = FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE | COW_COPIED | COW_COPY_STALE;

/**
 * handle_mm_fault's return that get_user_pages of 2.6.13–v4.8 looks at: do_wp_page broke COW or
 * reused the page (wp_page_reuse, wp_page_copy). Removed in 2022 with FOLL_COW; today nothing
 * reads it, and the model's v6.18 fault still returns it for the older eras' faultin_page.
 */
export const VM_FAULT_WRITE = 1;
/** The fault failed: the access gets SIGBUS (a file index beyond i_size). */
export const VM_FAULT_SIGBUS = 2;


/** Where a fault goes when it returns: the access retries, or get_user_pages looks again. */
export type FaultReturn = (k: Kernel, t: number, vm_fault: number) => number;

/** The steps of mm/memory.c's own 4 KiB fault code; a VMA's ->fault brings its own. */
const MEMORY_FAULT_STEPS: readonly string[] = [
  "do_anonymous_page",
  "finish_fault",
  "do_cow_fault",
  "do_wp_page",
  "wp_page_copy",
  "finish_mkwrite_fault",
  "migration_entry_wait",
  "migration_entry_wait_on_locked",
];

/** A fault procedure's pcs, by step name: mm/memory.c's, and those of the vm_ops it can reach. */
export type Pc = Readonly<Record<string, number>>;

export type StepDef = Omit<Step, "label" | "id"> & { label?: string };

/**
 * struct vm_operations_struct, as far as the 4 KiB fault goes: ->fault, cut into the steps it
 * runs (named in `steps`, built for each procedure that can reach it by `build`).
 */
export interface VmOperations {
  /** The kernel's table, e.g. `shmem_anon_vm_ops`. */
  readonly name: string;
  readonly steps: readonly string[];
  /** vma->vm_ops->fault, called by __do_fault with vmf set up: the pc of the handler's first step. */
  fault(k: Kernel, t: number, pc: Pc): number;
  /**
   * vma->vm_ops->page_mkwrite, if the table has one: the pc of its step, which locks the page
   * (L_PAGE, referenced) and goes on with vm_fault_mkwrite_locked, or lets the fault retry.
   */
  page_mkwrite?(k: Kernel, t: number, pc: Pc): number;
  build(pc: Pc, ret: FaultReturn): Record<string, StepDef>;
}

/**
 * The vm_ops a 4 KiB VMA can have, by what mmap gave it (vma->vm_ops): shared anonymous memory
 * is shmem's, a private file mapping the filesystem's, a DAX file's (VM_MIXEDMAP) the DAX
 * handler of the variant's era. An anonymous private VMA has none (vma_is_anonymous).
 */
export interface VmOpsTables {
  readonly shmem: VmOperations;
  readonly file: VmOperations;
  readonly dax: VmOperations;
}

/**
 * The PMD level of a fault in a THP-able VMA (mm/huge_memory.c, model/mm/huge_memory.ts and its
 * eras), entered from __handle_mm_fault with vmf->pmd at L_FAULT_PTE and vmf->orig_pmd at
 * L_ORIG_PTE. Each returns the next pc; a VM_FAULT_FALLBACK goes on with handle_pte_fault.
 */
export interface HugePmdFault {
  /** create_huge_pmd → do_huge_pmd_anonymous_page, for a pmd_none. */
  do_huge_pmd_anonymous_page(k: Kernel, t: number, f: SmallFault, pc: Pc, ret: FaultReturn): number;
  /** wp_huge_pmd → do_huge_pmd_wp_page, for a write or unshare of a read-only huge pmd. */
  do_huge_pmd_wp_page(k: Kernel, t: number, f: SmallFault, pc: Pc, ret: FaultReturn): number;
  readonly steps: readonly string[];
  build(f: SmallFault, pc: Pc, ret: FaultReturn): Record<string, StepDef>;
}

/** The 4 KiB fault of one built model: its vm_ops and every step a fault can reach through them. */
export interface SmallFault {
  readonly vm_ops: VmOpsTables;
  readonly anon: AnonEra;
  readonly wp: WpEra;
  readonly thp: HugePmdFault;
  readonly steps: readonly string[];
}

export function smallFault(vm_ops: VmOpsTables, anon: AnonEra, wp: WpEra, thp: HugePmdFault): SmallFault {
  const steps = [...MEMORY_FAULT_STEPS, ...wp.steps, ...thp.steps];
  for (const ops of [vm_ops.shmem, vm_ops.file, vm_ops.dax]) for (const s of ops.steps) if (!steps.includes(s)) steps.push(s);
  return { vm_ops, anon, wp, thp, steps };
}

/** vma->vm_ops of a 4 KiB VMA that is not anonymous. */
function vma_vm_ops(k: Kernel, f: SmallFault, vma: number): VmOperations {
  if (!k.vma_is_file4k(vma)) return f.vm_ops.shmem;
  return k.vm_flags(vma) & VM_MIXEDMAP ? f.vm_ops.dax : f.vm_ops.file;
}

/** The process, slot and 4 KiB page a thread's 4 KiB operation works on. */
function fault_proc(k: Kernel, t: number): number {
  return k.op(t).proc;
}
function fault_slot(k: Kernel, t: number): number {
  return k.op(t).addr;
}
export function fault_pte(k: Kernel, t: number): number {
  return k.small_pte(fault_proc(k, t), fault_slot(k, t), k.local(t, L_IDX));
}
export function set_fault_pte(k: Kernel, t: number, v: number): void {
  k.set_small_pte(fault_proc(k, t), fault_slot(k, t), k.local(t, L_IDX), v);
}
export function ptl(k: Kernel, t: number): number {
  return k.ptl(fault_proc(k, t));
}

/** is_cow_mapping: private and may be written (every private anonymous VMA may). */
export function is_cow_mapping(k: Kernel, vma: number): boolean {
  return (k.vm_flags(vma) & VM_SHARED) === 0;
}

/**
 * mm_forbids_zeropage (include/linux/pgtable.h, v6.18): true where the kernel's configuration
 * forbids the zero page (s390 KVM guests; kernels booted with `pvm_no_zero_page=1`).
 */
export function mm_forbids_zeropage(k: Kernel): boolean {
  return k.cfg.kernel.zeroPage === "forbidden";
}

/**
 * use_zero_page (seed 001): "If vma is shared or has page fault handler, using ZERO PAGE is bug",
 * and a VM_LOCKED VMA is to be populated with real pages. A kernel that forbids the zero page
 * never uses it, in seed 001's era too (2.6.24–2.6.31 had none at all for anonymous memory).
 */
export function use_zero_page(k: Kernel, vma: number): boolean {
  return (k.vm_flags(vma) & (VM_LOCKED | VM_SHARED)) === 0 && !mm_forbids_zeropage(k);
}

/**
 * vm_normal_page: the page a pte maps, or 0 for the zero page's special pte. Seed 001 recognises
 * the special pte as the zero page only where use_zero_page(vma); elsewhere (a VM_LOCKED VMA
 * that had zero pages before mlock) it calls print_bad_pte ("BUG: Bad page map") and returns
 * NULL all the same, which is all the model keeps of it.
 */
export function vm_normal_page(pte: number): number {
  return pte_special(pte) ? 0 : pte_page(pte);
}

/** The anonymous-page model of today (PageAnonExclusive) or of seed 001's kernel (mapcount). */
export function anon_exclusive_tracked(k: Kernel): boolean {
  return k.variant.cowReuse === "PageAnonExclusive";
}

/** folio_add_new_anon_rmap: a new anonymous page, mapped once (RMAP_EXCLUSIVE today). */
export function folio_add_new_anon_rmap(k: Kernel, g: number): void {
  k.page_set(g, PG_ANON);
  if (anon_exclusive_tracked(k)) k.page_set(g, PG_ANON_EXCLUSIVE);
  k.add_mapcount(g, 1);
}

/** The end of a 4 KiB fault: its locals go, and the caller decides what comes next. */
export function fault_done(k: Kernel, t: number, ret: FaultReturn, vm_fault: number): number {
  k.set_local(t, L_FAULT_PTE, 0);
  k.set_local(t, L_ORIG_PTE, 0);
  k.set_local(t, L_FLAGS, k.local(t, L_FLAGS) & ~FAULT_FLAGS);
  return ret(k, t, vm_fault);
}

/**
 * do_anonymous_page's era: where a read fault may map the zero page, and what it does when, the
 * PTL taken, the pte is no longer what it saw.
 */
export interface AnonEra {
  zero_page_ok(k: Kernel, vma: number): boolean;
  zero_pte_changed(k: Kernel, t: number, pc: Pc, ret: FaultReturn): number;
}

/** do_anonymous_page (v6.18): "Use the zero-page for reads" anywhere; a lost race just returns. */
export const do_anonymous_page_v6_18: AnonEra = {
  zero_page_ok: () => true,
  zero_pte_changed: (k, t, _pc, ret) => fault_done(k, t, ret, 0),
};

/**
 * do_anonymous_page up to the PTL: a zero-page read (unless mm_forbids_zeropage, or the era says
 * not here) needs nothing; anything else, a write included, a zeroed page, mapped writable where
 * the VMA is.
 */
function do_anonymous_page(k: Kernel, t: number, f: SmallFault, pc: Pc): number {
  const vma = k.local(t, L_VMA);
  const write = (k.local(t, L_FLAGS) & FAULT_FLAG_WRITE) !== 0;
  if (!write && !mm_forbids_zeropage(k) && f.anon.zero_page_ok(k, vma)) return pc.do_anonymous_page;
  return alloc_anon_folio(k, t, pc);
}

/** vmf_anon_prepare (anon_vma_prepare), then the zeroed page; the PTL is taken next. */
export function alloc_anon_folio(k: Kernel, t: number, pc: Pc): number {
  const vma = k.local(t, L_VMA);
  k.vmf_anon_prepare(vma);
  k.set_local(t, L_NEW, vma_alloc_zeroed_movable_folio(k, t));
  return pc.do_anonymous_page;
}

/**
 * thp_vma_allowable_order(vma, vm_flags, TVA_PAGEFAULT, PMD_ORDER) (include/linux/huge_mm.h,
 * v6.18): a VMA that can hold a PMD-mapped THP is 2 MiB-aligned private anonymous memory (mmap4k
 * `thp`, which also gives it MADV_HUGEPAGE), and transparent_hugepage/enabled is not "never".
 */
export function thp_vma_allowable_order(k: Kernel, vma: number): boolean {
  return (k.vm_flags(vma) & VM_HUGEPAGE) !== 0 && k.cfg.kernel.thp !== "never";
}

/**
 * handle_mm_fault → __handle_mm_fault, with mmap_lock held and L_VMA, L_IDX set. In a THP-able
 * VMA the pmd comes first: none → create_huge_pmd; a huge pmd → wp_huge_pmd for a write or
 * unshare of a read-only one, else huge_pmd_set_accessed (nothing the model keeps); a page table
 * (or a fallback) → handle_pte_fault. `flags` are FAULT_FLAG_*.
 */
export function handle_mm_fault(k: Kernel, t: number, f: SmallFault, pc: Pc, flags: number, ret: FaultReturn): number {
  const vma = k.local(t, L_VMA);
  k.set_local(t, L_FLAGS, (k.local(t, L_FLAGS) & ~FAULT_FLAGS) | flags);
  if (k.vm_flags(vma) & VM_HUGEPAGE) {
    const pmd = k.pte(fault_proc(k, t), fault_slot(k, t));
    k.set_local(t, L_FAULT_PTE, k.L.pte(fault_proc(k, t), fault_slot(k, t)) + 1);
    k.set_local(t, L_ORIG_PTE, pmd);
    if (!pmd && thp_vma_allowable_order(k, vma)) return f.thp.do_huge_pmd_anonymous_page(k, t, f, pc, ret);
    if (pmd_trans_huge(pmd)) {
      if (flags & (FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE) && !pmd_write(pmd)) return f.thp.do_huge_pmd_wp_page(k, t, f, pc, ret);
      return fault_done(k, t, ret, 0);
    }
  }
  return handle_pte_fault(k, t, f, pc, ret);
}

/**
 * handle_pte_fault: read the pte without a lock (vmf->orig_pte) and go to the handler. In a
 * THP-able VMA, __pte_alloc first gives a pmd_none a page table (pmd_populate).
 */
export function handle_pte_fault(k: Kernel, t: number, f: SmallFault, pc: Pc, ret: FaultReturn): number {
  const vma = k.local(t, L_VMA);
  const flags = k.local(t, L_FLAGS);
  if (k.vm_flags(vma) & VM_HUGEPAGE && !k.pte(fault_proc(k, t), fault_slot(k, t))) k.set_pte(fault_proc(k, t), fault_slot(k, t), PMD_TABLE);
  const orig = fault_pte(k, t);
  k.set_local(t, L_FAULT_PTE, k.L.smallPte(fault_proc(k, t), fault_slot(k, t), k.local(t, L_IDX)) + 1);
  k.set_local(t, L_ORIG_PTE, orig);
  if (!orig) {
    // do_pte_missing: vma_is_anonymous → do_anonymous_page, else do_fault (the file's ->fault).
    if (k.vma_is_anonymous(vma)) return do_anonymous_page(k, t, f, pc);
    return do_fault(k, t, pc, vma_vm_ops(k, f, vma));
  }
  // Not present: do_swap_page, where the only non-swap entry here is a migration entry.
  if (is_migration_entry(orig)) return pc.migration_entry_wait;
  // A present pte: only a write (or an unshare) of a read-only one has work to do, under the
  // PTL after pte_same; anything else just marks the pte young or dirty.
  if (flags & (FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE) && !pte_write(orig)) return pc.do_wp_page;
  return fault_done(k, t, ret, 0);
}

/**
 * do_fault (kernel-notes §5): a read goes to do_read_fault, a private write to do_cow_fault,
 * which first preallocates the copy (cow_page, after vmf_anon_prepare), a shared write (shmem)
 * to do_shared_fault; each then calls __do_fault, which calls vma->vm_ops->fault. The model has
 * no fault-around (do_fault_around maps only pages already in the page cache, early).
 */
function do_fault(k: Kernel, t: number, pc: Pc, vm_ops: VmOperations): number {
  const vma = k.local(t, L_VMA);
  if (k.local(t, L_FLAGS) & FAULT_FLAG_WRITE && !(k.vm_flags(vma) & VM_SHARED)) {
    k.vmf_anon_prepare(vma);
    k.might_sleep(t);
    k.set_local(t, L_NEW, folio_alloc(k));
  }
  return vm_ops.fault(k, t, pc);
}

/**
 * The copy do_cow_fault makes of the page ->fault returned (copy_user_highpage), or a DAX handler
 * makes of the block itself: cow_page takes the data.
 */
export function copy_to_cow_page(k: Kernel, t: number, content: number): void {
  k.set_page_content(k.local(t, L_NEW), content);
  k.set_local(t, L_FLAGS, k.local(t, L_FLAGS) | COW_COPIED);
}

/**
 * Under the page-table lock, the fault's new anonymous page (L_NEW: do_anonymous_page's zeroed
 * page, or do_cow_fault's copy in finish_fault) becomes the pte if the pte is still what the
 * fault saw (vmf_pte_changed, pte_same), writable as the VMA allows; otherwise another thread
 * filled the pte and the page is released.
 */
export function set_new_anon_pte(k: Kernel, t: number): void {
  const copy = k.local(t, L_NEW);
  k.set_local(t, L_NEW, 0);
  if (fault_pte(k, t) !== k.local(t, L_ORIG_PTE)) {
    folio_put(k, copy);
    return;
  }
  folio_add_new_anon_rmap(k, copy);
  set_fault_pte(k, t, mk_pte(copy, (k.vm_flags(k.local(t, L_VMA)) & VM_WRITE) !== 0));
}

/**
 * ->fault returned VM_FAULT_LOCKED with page g: do_read_fault maps it (finish_fault), do_cow_fault
 * copies it into cow_page first (copy_user_highpage).
 */
export function vm_fault_locked(k: Kernel, t: number, pc: Pc, g: number, vm_ops?: VmOperations): number {
  k.set_local(t, L_PAGE, g);
  k.set_local(t, L_LOCKED, g);
  if (vm_ops?.page_mkwrite && k.local(t, L_FLAGS) & FAULT_FLAG_WRITE && k.vm_flags(k.local(t, L_VMA)) & VM_SHARED) {
    // do_shared_fault: the page is unlocked for do_page_mkwrite, which locks it again.
    k.set_local(t, L_LOCKED, 0);
    k.unlock(k.folio_lock_word(g), t);
    return vm_ops.page_mkwrite(k, t, pc);
  }
  if (!k.local(t, L_NEW)) return pc.finish_fault;
  copy_to_cow_page(k, t, k.page_content(g));
  return pc.do_cow_fault;
}

/**
 * ->page_mkwrite locked the page (L_PAGE) again: do_shared_fault goes on to finish_fault, which
 * maps it writable; wp_page_shared to finish_mkwrite_fault. ->page_mkwrite found the page
 * truncated meanwhile (VM_FAULT_NOPAGE): the reference goes and the access retries.
 */
export function vm_fault_mkwrite_locked(k: Kernel, t: number, pc: Pc, ret: FaultReturn, truncated: boolean): number {
  const g = k.local(t, L_PAGE);
  if (truncated) {
    k.unlock(k.folio_lock_word(g), t);
    k.set_local(t, L_PAGE, 0);
    folio_put(k, g);
    return fault_done(k, t, ret, 0);
  }
  k.set_local(t, L_LOCKED, g);
  return k.local(t, L_ORIG_PTE) ? pc.finish_mkwrite_fault : pc.finish_fault;
}

/** The fault fails before its pte is set: the preallocated copy goes (uncharge_out), SIGBUS. */
export function fault_sigbus(k: Kernel, t: number, ret: FaultReturn): number {
  const copy = k.local(t, L_NEW);
  if (copy) {
    k.set_local(t, L_NEW, 0);
    folio_put(k, copy);
  }
  return fault_done(k, t, ret, VM_FAULT_SIGBUS);
}

/** wp_page_reuse: the pte becomes writable where the VMA allows it (maybe_mkwrite). */
export function wp_page_reuse(k: Kernel, t: number): void {
  const vma = k.local(t, L_VMA);
  if (k.vm_flags(vma) & VM_WRITE) set_fault_pte(k, t, pte_mkwrite(k.local(t, L_ORIG_PTE)));
}

/**
 * wp_can_reuse_anon_folio (today, order-0 page): reuse only when our pte holds the only
 * reference (no other mapping, no get_user_pages reference or pin, no COW in flight) and the
 * page lock is free (folio_trylock).
 */
function wp_can_reuse_anon_folio(k: Kernel, g: number): boolean {
  return k.page_ref(g) === 1 && k.a[k.folio_lock_word(g)] === 0;
}

/** The PTL dropped, the fault ends: what do_wp_page returns when it reused the page. */
export function wp_unlock(k: Kernel, t: number, ret: FaultReturn, vm_fault: number): number {
  k.spin_unlock(ptl(k, t), t);
  return fault_done(k, t, ret, vm_fault);
}

/**
 * "Ok, we need to copy. Oh, well..": do_wp_page keeps a reference on the old page (none on the
 * zero page) and drops the PTL.
 */
export function wp_page_copy_get(k: Kernel, t: number, page: number): void {
  if (page) {
    k.folio_get(page);
    k.set_local(t, L_PAGE, page);
  }
  k.spin_unlock(ptl(k, t), t);
}

/**
 * do_wp_page (v6.18), entered with the PTL held and the pte as the fault saw it. Reuses the page
 * in place or drops the PTL for wp_page_copy. Returns the next pc.
 */
function do_wp_page(k: Kernel, t: number, pc: Pc, ret: FaultReturn): number {
  const unshare = (k.local(t, L_FLAGS) & FAULT_FLAG_UNSHARE) !== 0;
  const page = vm_normal_page(k.local(t, L_ORIG_PTE));
  // Shared mapping: shmem has no ->page_mkwrite, so wp_page_shared just reuses the page.
  if (k.vm_flags(k.local(t, L_VMA)) & VM_SHARED) {
    wp_page_reuse(k, t);
    return wp_unlock(k, t, ret, 0);
  }
  if (page && k.page_test(page, PG_ANON)) {
    let exclusive = k.page_test(page, PG_ANON_EXCLUSIVE);
    if (!exclusive && wp_can_reuse_anon_folio(k, page)) {
      k.page_set(page, PG_ANON_EXCLUSIVE); // folio_move_anon_rmap
      exclusive = true;
    }
    if (exclusive) {
      if (unshare) return wp_unlock(k, t, ret, 0);
      wp_page_reuse(k, t);
      return wp_unlock(k, t, ret, VM_FAULT_WRITE);
    }
  }
  wp_page_copy_get(k, t, page);
  return wp_page_copy_alloc(k, t, pc);
}

/**
 * The era of mm/memory.c's write fault: do_wp_page, entered with the PTL held after pte_same,
 * and the steps of its own it goes on to (seed 001's cow_user_page).
 */
export interface WpEra {
  do_wp_page(k: Kernel, t: number, pc: Pc, ret: FaultReturn): number;
  readonly steps: readonly string[];
  build(pc: Pc, ret: FaultReturn): Record<string, StepDef>;
}

/** Today's: PageAnonExclusive and wp_page_copy (the copy is made in the step that drops the PTL). */
export const do_wp_page_v6_18: WpEra = { do_wp_page, steps: [], build: () => ({}) };

/**
 * wp_page_copy up to the PTL (today): anon_vma_prepare, then the new page, zeroed for the zero
 * pte (is_zero_pfn) or a copy of the old page (__wp_page_copy_user). Done in the step that
 * dropped the PTL: nothing can change what it copies, since every pte of a page that COW copies
 * is read-only and the fault holds a reference on it.
 */
function wp_page_copy_alloc(k: Kernel, t: number, pc: Pc): number {
  const old = k.local(t, L_PAGE);
  const orig = k.local(t, L_ORIG_PTE);
  k.vmf_anon_prepare(k.local(t, L_VMA));
  let g: number;
  if (old) {
    k.might_sleep(t);
    g = folio_alloc(k);
    k.set_page_content(g, k.page_content(old));
  } else if (pte_page(orig) !== k.L.zeroPage) {
    // A DAX pfn (no struct page): __wp_page_copy_user copies from the user address.
    k.might_sleep(t);
    g = folio_alloc(k);
    k.set_page_content(g, k.page_content(pte_page(orig)));
  } else {
    g = vma_alloc_zeroed_movable_folio(k, t);
  }
  k.set_local(t, L_NEW, g);
  return pc.wp_page_copy;
}

/**
 * The fault steps every 4 KiB operation that faults shares, the vm_ops' included; `ret` says
 * where a fault returns.
 */
export function smallFaultSteps(f: SmallFault, pc: Pc, ret: FaultReturn): Record<string, StepDef> {
  return {
    ...f.thp.build(f, pc, ret),
    ...f.vm_ops.shmem.build(pc, ret),
    ...f.vm_ops.file.build(pc, ret),
    ...f.vm_ops.dax.build(pc, ret),
    ...f.wp.build(pc, ret),
    do_anonymous_page: {
      fn: "do_anonymous_page",
      label: "do_anonymous_page:pte_offset_map_lock",
      reads: ["pte"],
      writes: ["ptl", "pte", "page"],
      run(k, t) {
        if (!k.spin_lock(ptl(k, t), t)) return BLOCKED;
        const g = k.local(t, L_NEW);
        const changed = fault_pte(k, t) !== k.local(t, L_ORIG_PTE); // vmf_pte_changed
        if (!g) {
          if (changed) {
            k.spin_unlock(ptl(k, t), t);
            return f.anon.zero_pte_changed(k, t, pc, ret);
          }
          set_fault_pte(k, t, zero_pte(k.L.zeroPage));
          k.spin_unlock(ptl(k, t), t);
          return fault_done(k, t, ret, 0);
        }
        set_new_anon_pte(k, t);
        k.spin_unlock(ptl(k, t), t);
        return fault_done(k, t, ret, 0);
      },
    },
    finish_fault: {
      fn: "finish_fault",
      label: "finish_fault:pte_offset_map_lock",
      reads: ["pte"],
      writes: ["ptl", "pte", "page", "page_lock"],
      run(k, t) {
        if (!k.spin_lock(ptl(k, t), t)) return BLOCKED;
        const vma = k.local(t, L_VMA);
        const g = k.local(t, L_PAGE);
        k.set_local(t, L_PAGE, 0);
        k.set_local(t, L_LOCKED, 0);
        if (fault_pte(k, t)) {
          // VM_FAULT_NOPAGE: someone mapped it meanwhile; do_read_fault unlocks and puts the page.
          k.spin_unlock(ptl(k, t), t);
          k.unlock(k.folio_lock_word(g), t);
          folio_put(k, g);
          return fault_done(k, t, ret, 0);
        }
        // set_pte_range: shmem asks for no write notification, so a shared writable VMA's
        // vm_page_prot is writable even for a read fault; a file with ->page_mkwrite does
        // (vma_wants_writenotify): a read maps it read-only, and the first store goes through
        // wp_page_shared. The fault's reference becomes the pte's.
        k.add_mapcount(g, 1);
        const notify = k.vma_is_file4k(vma);
        const writable = (k.vm_flags(vma) & VM_WRITE) !== 0 && (((k.vm_flags(vma) & VM_SHARED) !== 0 && !notify) || (k.local(t, L_FLAGS) & FAULT_FLAG_WRITE) !== 0);
        set_fault_pte(k, t, mk_pte(g, writable));
        k.spin_unlock(ptl(k, t), t);
        k.unlock(k.folio_lock_word(g), t);
        return fault_done(k, t, ret, 0);
      },
    },
    do_cow_fault: {
      fn: "do_cow_fault",
      label: "do_cow_fault:pte_same",
      reads: ["pte"],
      writes: ["ptl", "pte", "page", "page_lock", "i_mmap_rwsem"],
      run(k, t) {
        // Today's do_cow_fault calls finish_fault here, with the page still locked: the same.
        if (!k.spin_lock(ptl(k, t), t)) return BLOCKED;
        const vma = k.local(t, L_VMA);
        const page = k.local(t, L_PAGE);
        set_new_anon_pte(k, t);
        k.spin_unlock(ptl(k, t), t);
        if (page) {
          k.set_local(t, L_PAGE, 0);
          k.set_local(t, L_LOCKED, 0);
          k.unlock(k.folio_lock_word(page), t);
          folio_put(k, page);
        } else {
          // Seed 004: no fault_page means the DAX handler holds i_mmap_mutex instead of a page
          // lock. v4.3 released it with i_mmap_unlock_write while __dax_fault took it for read.
          k.up_write(k.file4k_i_mmap_rwsem(k.vm_file(vma)), t);
        }
        return fault_done(k, t, ret, 0);
      },
    },
    do_wp_page: {
      fn: "do_wp_page",
      label: "handle_pte_fault:pte_same",
      reads: ["pte", "page"],
      writes: ["ptl", "pte", "page"],
      run(k, t) {
        if (!k.spin_lock(ptl(k, t), t)) return BLOCKED;
        if (fault_pte(k, t) !== k.local(t, L_ORIG_PTE)) {
          k.spin_unlock(ptl(k, t), t);
          return fault_done(k, t, ret, 0);
        }
        const vma = k.local(t, L_VMA);
        if ((k.vm_flags(vma) & (VM_SHARED | VM_WRITE)) === (VM_SHARED | VM_WRITE) && k.vma_is_file4k(vma)) {
          // wp_page_shared, the same in every era modelled (since 2.6.18's ->page_mkwrite):
          // take a reference, drop the PTL, ->page_mkwrite.
          wp_page_copy_get(k, t, vm_normal_page(k.local(t, L_ORIG_PTE)));
          return f.vm_ops.file.page_mkwrite!(k, t, pc);
        }
        return f.wp.do_wp_page(k, t, pc, ret);
      },
    },
    finish_mkwrite_fault: {
      fn: "finish_mkwrite_fault",
      label: "finish_mkwrite_fault:pte_same",
      reads: ["pte"],
      writes: ["ptl", "pte", "page", "page_lock"],
      run(k, t) {
        if (!k.spin_lock(ptl(k, t), t)) return BLOCKED;
        const g = k.local(t, L_PAGE);
        // pte_same, else VM_FAULT_NOPAGE; then wp_page_reuse, and fault_dirty_shared_page
        // unlocks the page and drops the reference.
        const same = fault_pte(k, t) === k.local(t, L_ORIG_PTE);
        if (same) wp_page_reuse(k, t);
        k.spin_unlock(ptl(k, t), t);
        k.set_local(t, L_PAGE, 0);
        k.set_local(t, L_LOCKED, 0);
        k.unlock(k.folio_lock_word(g), t);
        folio_put(k, g);
        return fault_done(k, t, ret, same ? VM_FAULT_WRITE : 0);
      },
    },
    migration_entry_wait: {
      // do_swap_page → migration_entry_wait (v6.18 mm/migrate.c): under the PTL, if the pte is
      // still a migration entry, migration_entry_wait_on_locked queues on the folio's lock,
      // held by the migration until its ptes are back, and drops the PTL; the fault returns 0
      // and the access (or get_user_pages) looks again.
      fn: "migration_entry_wait",
      label: "migration_entry_wait:pte_offset_map_lock",
      reads: ["pte", "page_lock"],
      writes: ["ptl"],
      run(k, t) {
        if (!k.spin_lock(ptl(k, t), t)) return BLOCKED;
        const pte = fault_pte(k, t);
        k.spin_unlock(ptl(k, t), t);
        if (!is_migration_entry(pte) || !migration_entry_locked(k, pte)) return fault_done(k, t, ret, 0);
        k.set_local(t, L_ORIG_PTE, pte);
        return pc.migration_entry_wait_on_locked;
      },
    },
    migration_entry_wait_on_locked: migrationEntryWaitOnLocked((k, t) => fault_done(k, t, ret, 0)),
    wp_page_copy: {
      fn: "wp_page_copy",
      label: "wp_page_copy:pte_same",
      reads: ["pte"],
      writes: ["ptl", "pte", "page"],
      run(k, t) {
        if (!k.spin_lock(ptl(k, t), t)) return BLOCKED;
        const vma = k.local(t, L_VMA);
        const old = k.local(t, L_PAGE);
        const copy = k.local(t, L_NEW);
        k.set_local(t, L_PAGE, 0);
        k.set_local(t, L_NEW, 0);
        let vm_fault = 0;
        if (fault_pte(k, t) === k.local(t, L_ORIG_PTE)) {
          const unshare = (k.local(t, L_FLAGS) & FAULT_FLAG_UNSHARE) !== 0;
          folio_add_new_anon_rmap(k, copy);
          // An unshare keeps the pte read-only; a write gets maybe_mkwrite(pte_mkdirty()).
          set_fault_pte(k, t, mk_pte(copy, !unshare && (k.vm_flags(vma) & VM_WRITE) !== 0));
          if (old) {
            k.add_mapcount(old, -1); // folio_remove_rmap_pte
            folio_put(k, old); // the old pte's reference
          }
          vm_fault = VM_FAULT_WRITE;
        } else {
          folio_put(k, copy);
        }
        if (old) folio_put(k, old);
        k.spin_unlock(ptl(k, t), t);
        return fault_done(k, t, ret, vm_fault);
      },
    },
  };
}

/**
 * zap_pte_range over 4 KiB pages [from, to) of a VMA (munmap, exit, MADV_DONTNEED): each pte is
 * cleared, and a page (not the zero page) loses its mapcount and the pte's reference.
 */
export function zap_pte_range(k: Kernel, vma: number, from: number, to: number): void {
  const p = k.L.vmaProc(vma);
  const slot = k.vm_start(vma);
  for (let i = from; i < to; i++) {
    const pte = k.small_pte(p, slot, i);
    if (!pte) continue;
    k.set_small_pte(p, slot, i, 0);
    // zap_nonpresent_ptes: a migration entry holds no reference and no mapcount.
    if (is_migration_entry(pte)) continue;
    const g = vm_normal_page(pte);
    if (!g) continue;
    k.add_mapcount(g, -1); // zap_present_folio_ptes: folio_remove_rmap_ptes, then its check
    if (k.page_mapcount(g) < 0) k.splat(Splat.ZAP_BAD_MAPCOUNT);
    folio_put(k, g);
  }
}

/**
 * copy_pte_range for a 4 KiB VMA at fork: copy_present_pte for each present pte (kernel-notes
 * §6). The zero page's pte is copied as it is, with no reference. Other pages get a reference
 * and a mapcount; a COW mapping's writable ptes become read-only in parent and child. Today an
 * anonymous page pinned for DMA (folio_needs_cow_for_dma) is copied for the child at once
 * (copy_present_page) and the parent keeps it writable; any other anonymous page stops being
 * exclusive. Seed 001's copy_one_pte shares every page.
 */
export function copy_pte_range(k: Kernel, dst: number, src: number): void {
  const parent = k.L.vmaProc(src);
  const child = k.L.vmaProc(dst);
  const slot = k.vm_start(src);
  const cow = is_cow_mapping(k, src);
  for (let i = k.vm_first_page(src); i < k.vm_end_page(src); i++) {
    let pte = k.small_pte(parent, slot, i);
    if (!pte) continue;
    if (is_migration_entry(pte)) {
      // copy_nonpresent_pte: no reference; a writable entry of a COW mapping, or an exclusive
      // one, becomes readable in parent and child ("A previously exclusive entry is now shared").
      if (cow && (is_writable_migration_entry(pte) || is_exclusive_migration_entry(pte))) {
        pte = make_readable_migration_entry(pte);
        k.set_small_pte(parent, slot, i, pte);
      }
      k.set_small_pte(child, slot, i, pte);
      continue;
    }
    const g = vm_normal_page(pte);
    if (g && k.page_test(g, PG_ANON) && anon_exclusive_tracked(k)) {
      // folio_try_dup_anon_rmap_pte; MMF_HAS_PINNED is set in any mm that pinned its page.
      if (k.page_test(g, PG_ANON_EXCLUSIVE) && k.page_pins(g) > 0) {
        const copy = folio_alloc(k);
        k.set_page_content(copy, k.page_content(g));
        folio_add_new_anon_rmap(k, copy);
        k.set_small_pte(child, slot, i, mk_pte(copy, (k.vm_flags(dst) & VM_WRITE) !== 0));
        continue;
      }
      k.page_clear(g, PG_ANON_EXCLUSIVE);
    }
    if (g) {
      k.folio_get(g);
      k.add_mapcount(g, 1);
    }
    if (cow && pte_write(pte)) {
      pte = pte_wrprotect(pte);
      k.set_small_pte(parent, slot, i, pte);
    }
    k.set_small_pte(child, slot, i, pte);
  }
}
