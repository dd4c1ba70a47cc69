/**
 * get_user_pages as seed 001's kernel has it (mm/memory.c of 2.6.31 with "ZERO_PAGE based on
 * pte_special"): FOLL_GET only; FOLL_ANON hands out ZERO_PAGE for an unpopulated address without
 * faulting (reads, where use_zero_page); the patch's FOLL_NOZERO (GUP_FLAGS_IGNORE_ZERO) makes a
 * zero pte fail with -EFAULT; and after a COW fault that returns VM_FAULT_WRITE in a VMA without
 * VM_WRITE, the lookup is retried without FOLL_WRITE. Today's is in gup.ts.
 */
import type { Kernel } from "../kernel.js";
import { L_FLAGS, L_VMA } from "../kernel.js";
import { VM_WRITE } from "../layout.js";
import { EFAULT, FOLL_GET, FOLL_WRITE, follow_huge_pmd, NEED_FAULT, type GupEra } from "./gup.js";
import { use_zero_page, vm_normal_page, VM_FAULT_WRITE } from "./memory.js";
import { is_migration_entry, pte_special, pte_write } from "./pte.js";

/** Seed 001's kernel: an unpopulated address of a use_zero_page VMA gives ZERO_PAGE. */
export const FOLL_ANON = 1 << 9;
/** Seed 001: a zero pte gives no page (GUP_FLAGS_IGNORE_ZERO). */
export const FOLL_NOZERO = 1 << 10;

/**
 * The foll_flags seed 001's __get_user_pages starts a VMA with. FOLL_ANON only for a read where
 * use_zero_page; GUP_FLAGS_IGNORE_ZERO is dropped everywhere else ("else ignore_zero = 0"), so
 * mlock, whose VMA is VM_LOCKED by then, never gets FOLL_NOZERO.
 */
export function seed_foll_flags(k: Kernel, vma: number, write: boolean, pages: boolean, ignore_zero: boolean): number {
  let flags = (write ? FOLL_WRITE : 0) | (pages ? FOLL_GET : 0);
  if (!write && use_zero_page(k, vma)) flags |= FOLL_ANON | (ignore_zero ? FOLL_NOZERO : 0);
  return flags;
}

/**
 * follow_page as seed 001 posts it, under the PTL. (With FOLL_NOZERO, a NULL here would make
 * __get_user_pages hand NULL to its caller; only a swap pte gives NULL then, and there is no
 * swap in the model.)
 */
function follow_page(k: Kernel, pte: number, vma: number, flags: number): number {
  let page: number;
  // !pte_present but not pte_none (a migration entry): NULL, and __get_user_pages faults.
  if (is_migration_entry(pte)) return NEED_FAULT;
  if (!pte) {
    // no_page → no_page_table: "Fall through to ZERO_PAGE handling".
    if (!(flags & FOLL_ANON)) return NEED_FAULT;
    page = k.L.zeroPage;
  } else {
    if (flags & FOLL_WRITE && !pte_write(pte)) return NEED_FAULT;
    if (pte_special(pte) && use_zero_page(k, vma)) page = flags & FOLL_NOZERO ? 0 : k.L.zeroPage;
    else page = vm_normal_page(pte);
    if (!page) return EFAULT; // bad_page
  }
  if (flags & FOLL_GET) k.folio_get(page);
  return page;
}

/**
 * __get_user_pages (2.6.31): under force it asks only for VM_MAYWRITE, which every anonymous VMA
 * has; after a COW fault: "The VM_FAULT_WRITE bit tells us that do_wp_page has broken COW when
 * necessary, even if maybe_mkwrite decided not to set pte_write. We can thus safely do
 * subsequent page lookups as if they were reads."
 */
export const __get_user_pages_v2_6_31: GupEra = {
  check_vma_flags: (k, vma, write, force) => !write || (k.vm_flags(vma) & VM_WRITE) !== 0 || force,
  gup_flags: (k, vma, op) => seed_foll_flags(k, vma, op.write, true, false),
  follow_page,
  // 2.6.31 had no transparent huge pages (2.6.38): a THP mapping is today's.
  follow_huge_pmd,
  faultin_page(k, t, vm_fault) {
    if (vm_fault & VM_FAULT_WRITE && !(k.vm_flags(k.local(t, L_VMA)) & VM_WRITE)) k.set_local(t, L_FLAGS, k.local(t, L_FLAGS) & ~FOLL_WRITE);
  },
  foll_flags_per: "vma",
};
