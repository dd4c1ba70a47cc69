/**
 * The hugetlb fault path (kernel-notes §3): hugetlb_fault → hugetlb_no_page → hugetlb_wp, cut
 * where the kernel (re)takes a lock that may be held by another thread: mmap_lock, the fault
 * mutex, the page-table lock, i_mmap_rwsem. Locks that no other thread can hold at that point
 * (the page lock of a page we just allocated or hold the fault mutex for) are taken inside a
 * step. The VMA lock (hugetlb_vma_lock_read, right after the fault mutex) is taken in the step
 * that takes the mutex: nothing happens in between, and its only writer here, a zap of the
 * same mm, never waits for a fault mutex, so waiting for both at once hides no interleaving.
 * Follows mm/hugetlb.c of v6.18. A variant that follows another version of a whole function
 * gives its own (HugetlbFaultEra: seed 000's in fault.v2.6.5.ts); a driver's VM_HUGETLB VMA
 * faults through its own vm_ops (HugeVmOperations: seed 002's drivers/char/page.ts).
 */
import type { Kernel } from "../kernel.js";
import { L_FAULT_PTE, L_FLAGS, L_IDX, L_LOCKED, L_NEW, L_ORIG_PTE, L_PAGE, L_VMA } from "../kernel.js";
import { HPAGE_RESV_OWNER, HPAGE_RESV_UNMAPPED, NR_LOCALS, PG_ANON, PG_ANON_EXCLUSIVE, PG_RESTORE_RESERVE, VM_PAGE_HUGE_DEV, VM_WRITE } from "../layout.js";
import { anon_exclusive_tracked, FAULT_FLAG_UNSHARE, FAULT_FLAG_WRITE, type Pc, type StepDef } from "../mm/memory.js";
import { migration_entry_locked, migrationEntryWaitOnLocked } from "../mm/migrate.js";
import { huge_pte_mkwrite, huge_pte_write, is_migration_entry, make_huge_pte, pte_page } from "../mm/pte.js";
import { unmap_hugepage_range, vmas_of_file, vma_range_of_indices } from "../mm/unmap.js";
import { lock_mm_and_find_vma } from "../mm/vma.js";
import { BLOCKED, DONE, procedure, Result } from "../types.js";
import { folio_put } from "../mm/page_alloc.js";
import { alloc_hugetlb_folio } from "./alloc.js";
import { Splat } from "../splat.js";
import { restore_reserve_on_error, vma_needs_reservation } from "./reserve.js";
import { hugetlb_vma_lock_exists, hugetlb_vma_lock_read, hugetlb_vma_unlock_read } from "./vma_lock.js";

/**
 * L_FLAGS bits of a fault, above get_user_pages' FOLL_* bits (model/mm/gup.ts, up to FOLL_COW's
 * 1 << 15), which stay set while GUP faults a page in; FAULT_FLAG_UNSHARE (a R/O pin's unshare)
 * is mm/memory.c's bit.
 */
const NEW_FOLIO = 1 << 16; // hugetlb_no_page allocated the page
const NEW_PAGECACHE_FOLIO = 1 << 17; // … and added it to the page cache
const ANON_RMAP = 1 << 18; // … and it will be mapped as an anonymous page
/**
 * hugetlb_no_page's allocation failed for an index that held no reservation then
 * (alloc_hugetlb_folio's map_chg was MAP_CHG_NEEDED, v6.18): the SIGBUS that hugetlb_pte_stable
 * then returns broke no promise, even if another process's mmap covered the index meanwhile.
 */
export const FAULT_MAP_CHG_NEEDED = 1 << 19;
/** hugetlb_wp's copy is to be mapped writable (make_huge_pte's try_mkwrite, as its era decides). */
const COPY_WRITABLE = 1 << 20;
/** Every bit a hugetlb fault keeps in L_FLAGS, cleared when it starts. */
export const HUGETLB_FAULT_FLAGS = FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE | NEW_FOLIO | NEW_PAGECACHE_FOLIO | ANON_RMAP | FAULT_MAP_CHG_NEEDED | COPY_WRITABLE;

/** FAULT_FLAG_WRITE: a store, or get_user_pages with FOLL_WRITE as its era passes it on. */
export function fault_write(k: Kernel, t: number): boolean {
  return (k.local(t, L_FLAGS) & FAULT_FLAG_WRITE) !== 0;
}
function fault_unshare(k: Kernel, t: number): boolean {
  return (k.local(t, L_FLAGS) & FAULT_FLAG_UNSHARE) !== 0;
}
/** Set a bit of the fault's L_FLAGS. */
function fault_set_flags(k: Kernel, t: number, bits: number): void {
  k.set_local(t, L_FLAGS, k.local(t, L_FLAGS) | bits);
}

function fault_file(k: Kernel, t: number): number {
  return k.vm_file(k.local(t, L_VMA));
}
function fault_addr(k: Kernel, t: number): number {
  return k.op(t).addr;
}
/**
 * What a variant's era of mm/hugetlb.c decides in the fault: what an empty pte's fault does, and
 * how hugetlb_wp (once hugetlb_cow, hugepage_cow) copies.
 */
export interface HugetlbFaultEra {
  /** The fault of an empty pte, under the fault mutex (hugetlb_no_page today). */
  no_page(k: Kernel, t: number, pc: Pc, ret: HugetlbFaultReturn): number;
  readonly cow: HugetlbCow;
}

/** hugetlb_wp's era: whether the old page is reused in place, and what a failed copy returns. */
export interface HugetlbCow {
  reuse(k: Kernel, vma: number, old: number): boolean;
  readonly oom: number;
}

/**
 * The vm_ops of a VM_HUGETLB VMA that a driver, not hugetlbfs, set up (seed 002's
 * /dev/page-huge): its fault, cut into steps, which the fault procedure runs instead of
 * hugetlb_fault's.
 */
export interface HugeVmOperations {
  readonly name: string;
  readonly steps: readonly string[];
  /** The first step of the driver's fault. */
  fault(pc: Pc): number;
  build(pc: Pc, ret: HugetlbFaultReturn): Record<string, StepDef>;
}

/** The fault mutex, then hugetlb_vma_lock_read: false means the step is blocked. */
export function fault_mutex_lock(k: Kernel, t: number): boolean {
  return k.hugetlb_fault_mutex_lock(fault_file(k, t), k.local(t, L_IDX), t) && hugetlb_vma_lock_read(k, k.local(t, L_VMA), t);
}
/** hugetlb_vma_unlock_read, then the fault mutex. */
function fault_mutex_unlock(k: Kernel, t: number): void {
  hugetlb_vma_unlock_read(k, k.local(t, L_VMA), t);
  k.hugetlb_fault_mutex_unlock(fault_file(k, t), k.local(t, L_IDX), t);
}
function clear_locals(k: Kernel, t: number): void {
  for (let i = 0; i < NR_LOCALS; i++) k.set_local(t, i, 0);
}

/**
 * Where hugetlb_fault returns to, mmap_lock still held: the page-fault handler (the access ends,
 * or is tried again) or get_user_pages' faultin_page (which looks the page up again). `result`
 * is the fault's outcome; `retry` a fault that returned 0 after a race.
 */
export type HugetlbFaultReturn = (k: Kernel, t: number, result: number, retry: boolean) => number;

/**
 * The end of hugetlb_fault: unlock the page, the VMA lock and the fault mutex, and return to
 * the caller, which still holds mmap_lock.
 */
export function fault_return(k: Kernel, t: number, ret: HugetlbFaultReturn, result: number, retry = false): number {
  const locked = k.local(t, L_LOCKED);
  if (locked) {
    k.unlock(k.folio_lock_word(locked), t);
    k.set_local(t, L_LOCKED, 0);
  }
  if (k.local(t, L_VMA)) fault_mutex_unlock(k, t);
  return ret(k, t, result, retry);
}

/**
 * The page-fault handler's end of a hugetlb fault (do_user_addr_fault): mmap_lock is dropped;
 * after a race the access is tried from the start.
 */
const user_fault_return: HugetlbFaultReturn = (k, t, result, retry) => {
  k.up_read(k.mmap_lock(k.op(t).proc), t);
  if (retry) {
    clear_locals(k, t);
    return 0;
  }
  k.set_result(t, result);
  return DONE;
};

/**
 * The pre-2025 hugetlb_fault (v6.12 mm/hugetlb.c): for a private write, filemap_lock_hugetlb_folio
 * of the index's page-cache folio, held until the fault returns; the pc of hugetlb_fault's next
 * step. Whoever else locks it holds this fault mutex, but for an owner in hugetlb_wp's failure
 * path, which drops the mutex with the lock held: then this fault sleeps on the folio lock with
 * the mutex held (the deadlock's other half), in a step of its own. The lock of the old folio
 * that it also took is not modelled: no other path here waits for it.
 */
function lock_pagecache_folio(k: Kernel, t: number, pc: Pc): number {
  const vma = k.local(t, L_VMA);
  if (k.vma_is_shared(vma)) return pc.wp_ptl;
  const g = k.page_cache(k.vm_file(vma), k.local(t, L_IDX));
  if (!g) return pc.wp_ptl;
  if (!k.trylock(k.folio_lock_word(g), t)) return pc.filemap_lock_hugetlb_folio;
  k.set_local(t, L_LOCKED, g);
  return pc.wp_ptl;
}

/** make_huge_pte for a fresh mapping: writable only for a shared writable VMA. */
function fault_pte(k: Kernel, vma: number, g: number): number {
  return make_huge_pte(g, k.vma_is_shared(vma) && (k.vm_flags(vma) & VM_WRITE) !== 0);
}

/**
 * hugetlb_add_new_anon_rmap: map a new anonymous page at `address` of `vma` (__folio_set_anon
 * sets folio->index to linear_page_index); it no longer holds a reservation. The fault's, and
 * fork's early copy for the child (hugetlb_install_folio).
 */
export function hugetlb_add_new_anon_rmap(k: Kernel, t: number, g: number, vma: number, address: number): void {
  if (address < k.vm_start(vma) || address >= k.vm_end(vma)) k.splat(Splat.HUGETLB_ADD_NEW_ANON_RMAP_RANGE, t);
  k.page_set(g, PG_ANON);
  if (anon_exclusive_tracked(k)) k.page_set(g, PG_ANON_EXCLUSIVE);
  k.set_page_mapping(g, 0, k.vma_hugecache_offset(vma, address));
  k.page_clear(g, PG_RESTORE_RESERVE);
  k.add_mapcount(g, 1);
}

/** hugetlb_add_file_rmap (include/linux/rmap.h): a page-cache page gains a mapping. */
function hugetlb_add_file_rmap(k: Kernel, t: number, g: number): void {
  if (k.page_test(g, PG_ANON)) k.splat(Splat.HUGETLB_ADD_FILE_RMAP_ANON, t);
  k.add_mapcount(g, 1);
}

/**
 * hugetlb_no_page, up to the PTL: page-cache lookup, i_size check, allocation, and for a shared
 * mapping hugetlb_add_to_page_cache. Runs in the step that took the fault mutex. `alloc_failed`
 * is what the era does when alloc_hugetlb_folio fails (today's hugetlb_no_page_oom).
 */
export function hugetlb_no_page(k: Kernel, t: number, pc: Pc, ret: HugetlbFaultReturn, alloc_failed = hugetlb_no_page_oom): number {
  const vma = k.local(t, L_VMA);
  const f = k.vm_file(vma);
  const idx = k.local(t, L_IDX);
  if (k.is_vma_resv_set(vma, HPAGE_RESV_UNMAPPED)) return fault_return(k, t, ret, Result.SIGBUS);
  let g = k.page_cache(f, idx);
  if (g) {
    // filemap_lock_hugetlb_folio: a reference and the page lock (truncate takes this page's
    // lock only under the fault mutex we hold, so nobody holds it now).
    k.folio_get(g);
    k.set_local(t, L_PAGE, g);
    // Without the fault mutex another fault may still hold the lock of the page it just added;
    // with the 2025 bug, a private write's fault holds it while it waits for the mutex.
    if (k.variant.faultMutex === "none" || k.variant.lockPagecacheFolioInFault) return pc.find_lock_page;
    k.lock_uncontended(k.folio_lock_word(g), t, "folio lock of a page-cache page");
    k.set_local(t, L_LOCKED, g);
    return pc.ptl;
  }
  if (!k.variant.isizeCheckAfterAlloc && idx >= k.i_size(f)) return fault_return(k, t, ret, Result.SIGBUS);
  if (!k.vma_is_shared(vma)) k.vmf_anon_prepare(vma);
  k.might_sleep(t); // alloc_hugetlb_folio may reclaim (GFP_KERNEL in its buddy and memcg paths)
  g = alloc_hugetlb_folio(k, vma, fault_addr(k, t), false);
  if (g) return hugetlb_no_page_folio(k, t, g, pc, ret);
  // The proposed fix of finding 002: a VMA with no VMA lock waits out a zap of the file first.
  if (k.variant.noVmaLockFaultWaitsForZap && !hugetlb_vma_lock_exists(k, vma)) return pc.i_mmap_lock_read;
  return alloc_failed(k, t, pc, ret);
}

/**
 * alloc_hugetlb_folio failed. Today hugetlb_pte_stable retries the access if the pte changed
 * meanwhile; the 2006 code (no fault mutex) returned SIGBUS at once.
 */
function hugetlb_no_page_oom(k: Kernel, t: number, pc: Pc, ret: HugetlbFaultReturn): number {
  if (k.variant.faultMutex === "none") return fault_return(k, t, ret, Result.SIGBUS);
  // The failed allocation changed nothing: vma_needs_reservation still says what it said.
  if (vma_needs_reservation(k, k.local(t, L_VMA), fault_addr(k, t))) fault_set_flags(k, t, FAULT_MAP_CHG_NEEDED);
  return pc.pte_stable;
}

/** hugetlb_no_page once alloc_hugetlb_folio has given page g. */
function hugetlb_no_page_folio(k: Kernel, t: number, g: number, pc: Pc, ret: HugetlbFaultReturn): number {
  const vma = k.local(t, L_VMA);
  const f = k.vm_file(vma);
  const idx = k.local(t, L_IDX);
  if (idx >= k.i_size(f)) {
    // Before "hugetlb: fix absurd HugePages_Rsvd" (2006) the size check came after the
    // allocation, and put_page gave the page back without the reservation it had consumed.
    k.page_clear(g, PG_RESTORE_RESERVE);
    folio_put(k, g);
    return fault_return(k, t, ret, Result.SIGBUS);
  }
  k.set_local(t, L_PAGE, g);
  k.lock_uncontended(k.folio_lock_word(g), t, "folio lock of a new page");
  k.set_local(t, L_LOCKED, g);
  if (!k.vma_is_shared(vma)) {
    fault_set_flags(k, t, NEW_FOLIO | ANON_RMAP);
    return pc.ptl;
  }
  // Under the fault mutex nobody else can instantiate this index: the page goes into the page
  // cache in this step. Without it (before 2006) the page is cleared first, with no lock held,
  // and another fault of the index can run in between.
  if (k.variant.faultMutex === "none") return pc.hugetlb_add_to_page_cache;
  return hugetlb_add_to_page_cache(k, t, pc, ret);
}

/** The fault unlocks the page it locked before it drops its reference (hugetlb_add_to_page_cache's error, backout). */
function clear_locked(k: Kernel, t: number, g: number): void {
  k.unlock(k.folio_lock_word(g), t);
  k.set_local(t, L_LOCKED, 0);
}

/**
 * hugetlb_add_to_page_cache: the cache takes its own reference; the page's reservation now
 * belongs to the page cache, so RestoreReserve is cleared. -EEXIST (only possible without the
 * fault mutex): give our page back and look again.
 */
function hugetlb_add_to_page_cache(k: Kernel, t: number, pc: Pc, ret: HugetlbFaultReturn): number {
  const vma = k.local(t, L_VMA);
  const f = k.vm_file(vma);
  const idx = k.local(t, L_IDX);
  const g = k.local(t, L_PAGE);
  if (k.op(t).failAddToPageCache) {
    // filemap_add_folio failed (-ENOMEM): unlock the page (__folio_clear_locked), give it back,
    // keeping the reserve map in step.
    clear_locked(k, t, g);
    restore_reserve_on_error(k, vma, fault_addr(k, t), g);
    k.set_local(t, L_PAGE, 0);
    folio_put(k, g);
    return fault_return(k, t, ret, Result.ENOMEM);
  }
  if (k.page_cache(f, idx)) {
    clear_locked(k, t, g);
    restore_reserve_on_error(k, vma, fault_addr(k, t), g);
    k.set_local(t, L_PAGE, 0);
    folio_put(k, g);
    return fault_return(k, t, ret, Result.OK, true);
  }
  if (!k.folio_test_locked(g)) k.splat(Splat.FILEMAP_ADD_UNLOCKED, t); // __filemap_add_folio
  k.set_page_cache(f, idx, g);
  k.set_page_mapping(g, f + 1, idx);
  k.folio_get(g);
  k.page_clear(g, PG_RESTORE_RESERVE);
  fault_set_flags(k, t, NEW_FOLIO | NEW_PAGECACHE_FOLIO);
  return pc.ptl;
}

/**
 * hugetlb_wp (v6.18): retry_avoidcopy, the only mapper of an anonymous page reuses it in place
 * (before "mm/hugetlb: do not use a page in page cache for cow optimization", 2013, any page
 * mapped once: the bug-cow-reuses-pagecache-page toggle); a failed copy is vmf_error: SIGBUS.
 */
export const hugetlb_wp_v6_18: HugetlbCow = {
  reuse: (k, _vma, old) => k.page_mapcount(old) === 1 && (k.page_test(old, PG_ANON) || k.variant.wpReuseIgnoresAnon),
  oom: Result.SIGBUS,
};

/** Today's hugetlb_fault: an empty pte goes to hugetlb_no_page, a COW to hugetlb_wp. */
export const hugetlb_fault_v6_18: HugetlbFaultEra = { no_page: (k, t, pc, ret) => hugetlb_no_page(k, t, pc, ret), cow: hugetlb_wp_v6_18 };

/**
 * Whether hugetlb_wp may leave the pte writable: today only in a VM_WRITE VMA
 * (set_huge_ptep_maybe_writable, make_huge_pte's try_mkwrite: a FOLL_FORCE write of a read-only
 * private mapping leaves it read-only); before, make_huge_pte(vma, page, 1) made it writable
 * whatever the VMA (the hugetlbWpWritable toggle).
 */
function huge_pte_maybe_writable(k: Kernel, vma: number): boolean {
  return k.variant.hugetlbWpWritable === "always" || (k.vm_flags(vma) & VM_WRITE) !== 0;
}

/**
 * hugetlb_wp, entered with the PTL held and the pte read-only. Returns the next pc, or DONE
 * after fault_return. May drop the PTL to allocate the copy (then the next step retakes it).
 */
export function hugetlb_wp(k: Kernel, t: number, pc: Pc, ret: HugetlbFaultReturn, cow: HugetlbCow): number {
  const p = k.op(t).proc;
  const addr = fault_addr(k, t);
  const vma = k.local(t, L_VMA);
  const pte = k.local(t, L_ORIG_PTE);
  if (k.vma_is_shared(vma)) {
    k.set_pte(p, addr, huge_pte_mkwrite(pte));
    k.spin_unlock(k.ptl(p), t);
    return fault_return(k, t, ret, Result.OK);
  }
  const old = pte_page(pte);
  if (cow.reuse(k, vma, old)) {
    // We are the exclusive owner (folio_move_anon_rmap, SetPageAnonExclusive); an unshare
    // leaves the pte read-only.
    if (anon_exclusive_tracked(k) && k.page_test(old, PG_ANON)) k.page_set(old, PG_ANON_EXCLUSIVE);
    if (!fault_unshare(k, t) && huge_pte_maybe_writable(k, vma)) k.set_pte(p, addr, huge_pte_mkwrite(pte));
    k.spin_unlock(k.ptl(p), t);
    return fault_return(k, t, ret, Result.OK);
  }
  // The owner copies without touching its reserves (they back its own unfaulted pages).
  const pagecache = k.page_mapping(old) !== 0;
  const outside_reserve = k.is_vma_resv_set(vma, HPAGE_RESV_OWNER) && !pagecache;
  k.folio_get(old);
  k.set_local(t, L_PAGE, old);
  k.spin_unlock(k.ptl(p), t);
  k.might_sleep(t);
  const copy = alloc_hugetlb_folio(k, vma, addr, outside_reserve);
  if (copy) k.vmf_anon_prepare(vma);
  if (!copy) {
    if (outside_reserve) {
      // The owner must not fail: drop the VMA lock and the fault mutex, then
      // unmap_ref_private takes the page from the other processes' private mappings.
      folio_put(k, old);
      k.set_local(t, L_PAGE, 0);
      fault_mutex_unlock(k, t);
      return pc.unmap_ref_private;
    }
    folio_put(k, old);
    k.set_local(t, L_PAGE, 0);
    return fault_return(k, t, ret, cow.oom);
  }
  k.set_local(t, L_NEW, copy);
  if (!fault_unshare(k, t) && huge_pte_maybe_writable(k, vma)) fault_set_flags(k, t, COPY_WRITABLE);
  return pc.wp_pte_same;
}

/** The steps of a hugetlb fault after the VMA lookup: a driver's, then hugetlb_fault's. */
export function hugetlbFaultStepNames(dev: HugeVmOperations | null): string[] {
  return [
    ...(dev?.steps ?? []),
    "fault_mutex",
    "hugetlb_add_to_page_cache",
    "find_lock_page",
    "ptl",
    "i_mmap_lock_read",
    "pte_stable",
    "wp_ptl",
    "wp_pte_same",
    "unmap_ref_private",
    "wp_mutex_relock",
    "wp_ptl_relock",
    "migration_entry_wait_huge",
    "migration_entry_wait_on_locked",
    "filemap_lock_hugetlb_folio",
  ];
}

/**
 * handle_mm_fault of a hugetlb VMA (L_VMA, mmap_lock held) at the thread's address: the pc of
 * hugetlb_fault's first step, or of the driver's ->fault for a driver's VMA (vma->vm_ops).
 * `flags` are its FAULT_FLAG_* (FAULT_FLAG_WRITE, FAULT_FLAG_UNSHARE).
 */
export function hugetlb_handle_mm_fault(k: Kernel, t: number, pc: Pc, dev: HugeVmOperations | null, flags: number): number {
  const op = k.op(t);
  const vma = k.local(t, L_VMA);
  k.set_local(t, L_IDX, k.vma_hugecache_offset(vma, op.addr));
  k.set_local(t, L_FAULT_PTE, k.L.pte(op.proc, op.addr) + 1);
  k.set_local(t, L_FLAGS, (k.local(t, L_FLAGS) & ~HUGETLB_FAULT_FLAGS) | flags);
  return dev && k.vm_flags(vma) & VM_PAGE_HUGE_DEV ? dev.fault(pc) : pc.fault_mutex;
}

/**
 * hugetlb_no_page's backout (PTL held, since the pte_same check): the page is unlocked before
 * its reference is dropped (folio_unlock, folio_put).
 */
function hugetlb_no_page_backout(k: Kernel, t: number, ret: HugetlbFaultReturn, result: number, retry: boolean): number {
  const op = k.op(t);
  const g = k.local(t, L_PAGE);
  const flags = k.local(t, L_FLAGS);
  k.spin_unlock(k.ptl(op.proc), t);
  if (flags & NEW_FOLIO && !(flags & NEW_PAGECACHE_FOLIO)) restore_reserve_on_error(k, k.local(t, L_VMA), op.addr, g);
  if (k.local(t, L_LOCKED)) clear_locked(k, t, k.local(t, L_LOCKED));
  k.set_local(t, L_PAGE, 0);
  folio_put(k, g);
  return fault_return(k, t, ret, result, retry);
}

/** do_user_addr_fault's !access_error(error_code, vma): a write fault needs a writable VMA. */
function access_permitted(k: Kernel, t: number, vma: number): boolean {
  return !k.op(t).write || (k.vm_flags(vma) & VM_WRITE) !== 0;
}

/**
 * The user-visible page fault on a hugetlb VMA: handle_mm_fault → hugetlb_fault, as `era` has
 * it, or the fault of a driver's VMA through its vm_ops (`dev`, a variant that has one).
 */
export const hugetlbFault = (era: HugetlbFaultEra, dev: HugeVmOperations | null) =>
  procedure<string>("fault", ["mmap_read_lock", ...hugetlbFaultStepNames(dev)], (pc) => ({
    mmap_read_lock: {
      fn: "lock_mm_and_find_vma",
      reads: ["vma"],
      writes: ["mmap_lock"],
      run(k, t) {
        const op = k.op(t);
        const vma = lock_mm_and_find_vma(k, t, access_permitted);
        if (vma === BLOCKED) return BLOCKED;
        if (!vma) {
          k.set_result(t, Result.SIGSEGV);
          return DONE;
        }
        k.set_local(t, L_VMA, vma);
        return hugetlb_handle_mm_fault(k, t, pc, dev, op.write ? FAULT_FLAG_WRITE : 0);
      },
    },
    ...hugetlbFaultSteps(era, dev, pc, user_fault_return),
  }));

/** hugetlb_fault's steps (and a driver's), for a procedure whose caller `ret` takes the fault's end. */
export function hugetlbFaultSteps(era: HugetlbFaultEra, dev: HugeVmOperations | null, pc: Pc, ret: HugetlbFaultReturn): Record<string, StepDef> {
  return {
      ...dev?.build(pc, ret),
      fault_mutex: {
        fn: "hugetlb_fault",
        reads: ["pte", "page_cache", "i_size", "resv_map"],
        writes: ["fault_mutex", "vma_lock", "pool", "resv_map", "page_cache", "page"],
        run(k, t) {
          if (!fault_mutex_lock(k, t)) return BLOCKED;
          const op = k.op(t);
          const entry = k.pte(op.proc, op.addr);
          k.set_local(t, L_ORIG_PTE, entry);
          if (!entry) return era.no_page(k, t, pc, ret);
          if (is_migration_entry(entry)) {
            // "Release the hugetlb fault lock now, but retain the vma lock, because it is
            // needed to guard the huge_pte_lockptr() later in migration_entry_wait_huge()."
            k.hugetlb_fault_mutex_unlock(fault_file(k, t), k.local(t, L_IDX), t);
            return pc.migration_entry_wait_huge;
          }
          if ((fault_write(k, t) || fault_unshare(k, t)) && !huge_pte_write(entry)) {
            return k.variant.lockPagecacheFolioInFault ? lock_pagecache_folio(k, t, pc) : pc.wp_ptl;
          }
          return fault_return(k, t, ret, Result.OK);
        },
      },
      hugetlb_add_to_page_cache: {
        fn: "hugetlb_add_to_page_cache",
        reads: ["page_cache"],
        writes: ["page_cache", "page", "pool", "resv_map"],
        run(k, t) {
          return hugetlb_add_to_page_cache(k, t, pc, ret);
        },
      },
      filemap_lock_hugetlb_folio: {
        fn: "filemap_lock_hugetlb_folio",
        reads: ["page_cache"],
        writes: ["page_lock"],
        run(k, t) {
          // The same folio as when it first tried: a truncate takes it away only under the fault mutex held here.
          const g = k.page_cache(k.vm_file(k.local(t, L_VMA)), k.local(t, L_IDX));
          if (!k.trylock(k.folio_lock_word(g), t)) return BLOCKED;
          k.set_local(t, L_LOCKED, g);
          return pc.wp_ptl;
        },
      },
      find_lock_page: {
        fn: "find_lock_page",
        reads: ["page_cache"],
        writes: ["page_lock"],
        run(k, t) {
          const g = k.local(t, L_PAGE);
          if (!k.trylock(k.folio_lock_word(g), t)) return BLOCKED;
          k.set_local(t, L_LOCKED, g);
          return pc.ptl;
        },
      },
      ptl: {
        fn: "hugetlb_no_page",
        label: "hugetlb_no_page:pte_same",
        reads: ["pte", "i_size"],
        writes: ["ptl", "pte", "page", "pool", "resv_map"],
        run(k, t) {
          const op = k.op(t);
          if (!k.spin_lock(k.ptl(op.proc), t)) return BLOCKED;
          const vma = k.local(t, L_VMA);
          const g = k.local(t, L_PAGE);
          const flags = k.local(t, L_FLAGS);
          // Before v6.1 a truncate may have shrunk the file since the lookup: SIGBUS.
          if (k.variant.noPageRechecksIsize && k.local(t, L_IDX) >= k.i_size(k.vm_file(vma))) return hugetlb_no_page_backout(k, t, ret, Result.SIGBUS, false);
          // Somebody instantiated the pte while we did not hold the PTL: retry.
          if (k.pte(op.proc, op.addr) !== k.local(t, L_ORIG_PTE)) return hugetlb_no_page_backout(k, t, ret, Result.OK, true);
          if (flags & ANON_RMAP) hugetlb_add_new_anon_rmap(k, t, g, k.local(t, L_VMA), fault_addr(k, t));
          else hugetlb_add_file_rmap(k, t, g);
          const pte = fault_pte(k, vma, g);
          k.set_pte(op.proc, op.addr, pte);
          k.set_local(t, L_PAGE, 0); // the allocation's (or lookup's) reference is now the pte's
          k.set_local(t, L_ORIG_PTE, pte);
          // A private write goes straight on to hugetlb_wp, without a second fault.
          if (fault_write(k, t) && !k.vma_is_shared(vma)) return hugetlb_wp(k, t, pc, ret, era.cow);
          k.spin_unlock(k.ptl(op.proc), t);
          return fault_return(k, t, ret, Result.OK);
        },
      },
      i_mmap_lock_read: {
        // The fix-dontneed-noreserve variant's hugetlb_no_page: i_mmap_lock_read(mapping), which
        // hugetlb_zap_begin holds for write until hugetlb_zap_end, after tlb_finish_mmu freed
        // the zapped pages; alloc_hugetlb_folio again; i_mmap_unlock_read. Lock order as in
        // mm/rmap.c: hugetlb_fault_mutex, vma_lock, i_mmap_rwsem.
        fn: "hugetlb_no_page",
        label: "hugetlb_no_page:i_mmap_lock_read",
        reads: ["pool"],
        writes: ["i_mmap_rwsem", "pool", "resv_map", "page"],
        run(k, t) {
          const rwsem = k.i_mmap_rwsem(fault_file(k, t));
          if (!k.down_read_trylock(rwsem, t)) return BLOCKED;
          k.might_sleep(t);
          const g = alloc_hugetlb_folio(k, k.local(t, L_VMA), fault_addr(k, t), false);
          k.up_read(rwsem, t);
          return g ? hugetlb_no_page_folio(k, t, g, pc, ret) : hugetlb_no_page_oom(k, t, pc, ret);
        },
      },
      pte_stable: {
        fn: "hugetlb_pte_stable",
        reads: ["pte"],
        writes: ["ptl"],
        run(k, t) {
          // Allocation failed: SIGBUS only if nobody instantiated the pte meanwhile, else retry.
          const op = k.op(t);
          if (!k.spin_lock(k.ptl(op.proc), t)) return BLOCKED;
          const stable = k.pte(op.proc, op.addr) === k.local(t, L_ORIG_PTE);
          k.spin_unlock(k.ptl(op.proc), t);
          return fault_return(k, t, ret, Result.SIGBUS, !stable);
        },
      },
      wp_ptl: {
        fn: "hugetlb_fault",
        label: "hugetlb_fault:pte_same",
        reads: ["pte", "page"],
        writes: ["ptl", "pte", "page", "pool", "resv_map"],
        run(k, t) {
          const op = k.op(t);
          if (!k.spin_lock(k.ptl(op.proc), t)) return BLOCKED;
          if (k.pte(op.proc, op.addr) !== k.local(t, L_ORIG_PTE)) {
            k.spin_unlock(k.ptl(op.proc), t);
            return fault_return(k, t, ret, Result.OK, true);
          }
          return hugetlb_wp(k, t, pc, ret, era.cow);
        },
      },
      wp_pte_same: {
        fn: "hugetlb_wp",
        label: "hugetlb_wp:pte_same",
        reads: ["pte"],
        writes: ["ptl", "pte", "page", "pool", "resv_map"],
        run(k, t) {
          const op = k.op(t);
          if (!k.spin_lock(k.ptl(op.proc), t)) return BLOCKED;
          const vma = k.local(t, L_VMA);
          const old = k.local(t, L_PAGE);
          const copy = k.local(t, L_NEW);
          k.set_local(t, L_PAGE, 0);
          k.set_local(t, L_NEW, 0);
          if (k.pte(op.proc, op.addr) === k.local(t, L_ORIG_PTE)) {
            // Break COW: the copy replaces the old page in our pte.
            k.add_mapcount(old, -1);
            folio_put(k, old);
            hugetlb_add_new_anon_rmap(k, t, copy, vma, fault_addr(k, t));
            const pte = make_huge_pte(copy, (k.local(t, L_FLAGS) & COPY_WRITABLE) !== 0);
            k.set_pte(op.proc, op.addr, pte);
            k.set_local(t, L_ORIG_PTE, pte);
          } else {
            restore_reserve_on_error(k, vma, op.addr, copy);
            folio_put(k, copy);
          }
          folio_put(k, old);
          k.spin_unlock(k.ptl(op.proc), t);
          return fault_return(k, t, ret, Result.OK);
        },
      },
      unmap_ref_private: {
        fn: "unmap_ref_private",
        reads: ["vma", "pte"],
        writes: ["i_mmap_rwsem", "pte", "page", "pool", "vma"],
        run(k, t) {
          const f = fault_file(k, t);
          if (!k.down_write_trylock(k.i_mmap_rwsem(f), t)) return BLOCKED;
          const vma = k.local(t, L_VMA);
          const idx = k.local(t, L_IDX);
          const old = pte_page(k.local(t, L_ORIG_PTE));
          for (const iter of vmas_of_file(k, f)) {
            if (iter === vma || k.vma_is_shared(iter)) continue;
            const [start, end] = vma_range_of_indices(k, iter, idx, idx + 1);
            if (start >= end) continue;
            // Marked HPAGE_RESV_UNMAPPED: their next fault there gets SIGBUS (hugetlb_no_page).
            if (!k.is_vma_resv_set(iter, HPAGE_RESV_OWNER)) unmap_hugepage_range(k, iter, start, end, old);
          }
          k.up_write(k.i_mmap_rwsem(f), t);
          return pc.wp_mutex_relock;
        },
      },
      migration_entry_wait_huge: {
        // __migration_entry_wait_huge (v6.18): under the PTL, drop the VMA lock; if the pte is
        // still a migration entry whose folio the migration holds locked, wait for the unlock
        // (migration_entry_wait_on_locked drops the PTL); hugetlb_fault returns 0 either way
        // and the access is tried again.
        fn: "migration_entry_wait_huge",
        label: "migration_entry_wait_huge:huge_pte_lock",
        reads: ["pte", "page_lock"],
        writes: ["ptl", "vma_lock"],
        run(k, t) {
          const op = k.op(t);
          if (!k.spin_lock(k.ptl(op.proc), t)) return BLOCKED;
          const pte = k.pte(op.proc, op.addr);
          hugetlb_vma_unlock_read(k, k.local(t, L_VMA), t);
          k.spin_unlock(k.ptl(op.proc), t);
          k.set_local(t, L_VMA, 0); // fault_return: no fault mutex or VMA lock held any more
          if (is_migration_entry(pte) && migration_entry_locked(k, pte)) {
            k.set_local(t, L_ORIG_PTE, pte);
            return pc.migration_entry_wait_on_locked;
          }
          return fault_return(k, t, ret, Result.OK, true);
        },
      },
      migration_entry_wait_on_locked: migrationEntryWaitOnLocked((k, t) => fault_return(k, t, ret, Result.OK, true)),
      wp_mutex_relock: {
        fn: "hugetlb_wp",
        label: "hugetlb_wp:mutex_lock",
        reads: [],
        writes: ["fault_mutex", "vma_lock"],
        run(k, t) {
          return fault_mutex_lock(k, t) ? pc.wp_ptl_relock : BLOCKED;
        },
      },
      wp_ptl_relock: {
        fn: "hugetlb_wp",
        label: "hugetlb_wp:retry_avoidcopy",
        reads: ["pte", "page"],
        writes: ["ptl", "pte", "page", "pool", "resv_map"],
        run(k, t) {
          const op = k.op(t);
          if (!k.spin_lock(k.ptl(op.proc), t)) return BLOCKED;
          if (k.pte(op.proc, op.addr) !== k.local(t, L_ORIG_PTE)) {
            // "race occurs while re-acquiring page table lock, and our job is done"
            k.spin_unlock(k.ptl(op.proc), t);
            return fault_return(k, t, ret, Result.OK);
          }
          return hugetlb_wp(k, t, pc, ret, era.cow);
        },
      },
  };
}
