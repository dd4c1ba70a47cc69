/**
 * get_user_pages on 4 KiB memory (mm/gup.c): __get_user_pages looks each page up under the PTL
 * (follow_page_pte today, follow_page in seed 001's kernel) and, where the lookup fails, faults
 * it in (faultin_page → handle_mm_fault) and looks again. The caller holds mmap_lock; which mode,
 * and what happens to each page, is the caller's (gup4k, mlock, MAP_POPULATE, munlock).
 *
 * Today: FOLL_WRITE stays set until the pte is writable, or (FOLL_FORCE on a read-only private
 * VMA) until the page is an exclusive anonymous page (can_follow_write_pte), so the zero page is
 * never returned for writing; a R/O pin of a page that may be shared faults it with
 * FAULT_FLAG_UNSHARE first (gup_must_unshare: the zero page only for FOLL_LONGTERM); FOLL_PIN
 * takes no pin on the zero page (try_grab_folio).
 *
 * Seed 001's kernel (2.6.31) is in gup.v2.6.31.ts, v4.8's (Dirty COW) in gup.v4.8.ts.
 */
import { Splat } from "../splat.js";
import type { OpCall } from "../config.js";
import type { Kernel } from "../kernel.js";
import { L_FLAGS, L_IDX, L_VMA } from "../kernel.js";
import { PG_ANON, PG_ANON_EXCLUSIVE, VM_HUGEPAGE, VM_SHARED, VM_WRITE } from "../layout.js";
import { BLOCKED } from "../types.js";
import {
  FAULT_FLAG_UNSHARE,
  FAULT_FLAG_WRITE,
  handle_mm_fault,
  is_cow_mapping,
  smallFaultSteps,
  vm_normal_page,
  VM_FAULT_SIGBUS,
  type FaultReturn,
  type Pc,
  type SmallFault,
  type StepDef,
} from "./memory.js";
import { touch_pmd } from "./huge_memory.js";
import { is_migration_entry, pmd_page, pmd_trans_huge, pmd_write, pte_write } from "./pte.js";

/** gup_flags (kept in L_FLAGS, above the FAULT_FLAG_* bits). */
export const FOLL_WRITE = 1 << 4;
export const FOLL_FORCE = 1 << 5;
/** A reference on the page for the caller (get_user_pages). */
export const FOLL_GET = 1 << 6;
/** A pin on the page for the caller (pin_user_pages; today only). */
export const FOLL_PIN = 1 << 7;
export const FOLL_LONGTERM = 1 << 8;
/** Mark the page accessed (get_user_pages and its _remote variant; pins do not): touch_pmd. */
export const FOLL_TOUCH = 1 << 14;
/** v4.14's "COW already broken" (faultin_page after VM_FAULT_WRITE; 19be0eaffa3a to 2022). */
export const FOLL_COW = 1 << 15;
/**
 * What a variant's era of mm/gup.c decides: check_vma_flags, the gup_flags a get_user_pages call
 * starts with, the lookup under the PTL, and what faultin_page does with the fault's return.
 */
export interface GupEra {
  check_vma_flags(k: Kernel, vma: number, write: boolean, force: boolean, gup_flags: number): boolean;
  /** gup4k's flags: get_user_pages or pin_user_pages (FOLL_FORCE is added by the caller). */
  gup_flags(k: Kernel, vma: number, op: OpCall): number;
  /** follow_page(_pte) under the PTL: the page (referenced as flags say), or NEED_FAULT, NEED_UNSHARE, EFAULT. */
  follow_page(k: Kernel, pte: number, vma: number, flags: number): number;
  /**
   * The lookup of a huge pmd (process p's pmd of `slot`) in a THP-able VMA under the pmd lock:
   * follow_huge_pmd today, follow_trans_huge_pmd before v6.8; the same outcomes as follow_page.
   */
  follow_huge_pmd(k: Kernel, p: number, slot: number, vma: number, flags: number): number;
  /** faultin_page once handle_mm_fault returned vm_fault, before the lookup is tried again. */
  faultin_page(k: Kernel, t: number, vm_fault: number): void;
  /**
   * Where __get_user_pages' foll_flags start again from the call's gup_flags, bringing back what
   * faultin_page dropped (FOLL_WRITE, FOLL_COW): at each page (a local of the page loop, v4.8
   * on), or at each VMA (2.6.31 set them before its loop over a VMA's pages).
   */
  readonly foll_flags_per: "page" | "vma";
}

/** get_user_pages of one built model: its era, and the 4 KiB fault it calls. */
export interface GetUserPages {
  readonly era: GupEra;
  readonly fault: SmallFault;
}

/** The steps of __get_user_pages: follow_page, and the fault steps it can reach. */
export function gupStepNames(gup: GetUserPages): string[] {
  return ["follow_page", ...gup.fault.steps];
}

/** What the caller does with each page __get_user_pages finds, or with its -EFAULT. */
export interface GupCaller {
  /** The page at L_IDX was found (with FOLL_GET or FOLL_PIN, referenced for the caller). */
  page(k: Kernel, t: number, g: number): number;
  error(k: Kernel, t: number): number;
}

/** follow_page's outcome when it returns no page: fault the page in, unshare it, or -EFAULT. */
export const NEED_FAULT = -1;
export const NEED_UNSHARE = -2;
export const EFAULT = -3;

/**
 * writable_file_mapping_allowed (since v6.5): no long-term write pin of a file mapping whose
 * dirty pages the filesystem tracks (vma_needs_dirty_tracking: a shared mapping of a file with
 * writeback; shmem has none).
 */
function writable_file_mapping_allowed(k: Kernel, vma: number, gup_flags: number): boolean {
  if ((gup_flags & (FOLL_PIN | FOLL_LONGTERM)) !== (FOLL_PIN | FOLL_LONGTERM)) return true;
  return !(k.vma_is_shared(vma) && k.vma_is_file4k(vma));
}

/**
 * check_vma_flags (today; v4.8 without writable_file_mapping_allowed, which no FOLL_PIN there
 * reaches): a write needs VM_WRITE, or FOLL_FORCE on a COW mapping.
 */
export function check_vma_flags(k: Kernel, vma: number, write: boolean, force: boolean, gup_flags: number): boolean {
  if (!write) return true;
  if (!k.vma_is_anonymous(vma) && !writable_file_mapping_allowed(k, vma, gup_flags)) return false;
  if (k.vm_flags(vma) & VM_WRITE) return true;
  return force && is_cow_mapping(k, vma);
}

/**
 * can_follow_write_common: FOLL_FORCE writes an unwritable entry of a private VMA without
 * VM_WRITE only of an exclusive anonymous page (for ptes and, hugetlb's too, pmds).
 */
export function can_follow_write_common(k: Kernel, page: number, vma: number, flags: number): boolean {
  if (!(flags & FOLL_FORCE) || k.vm_flags(vma) & (VM_SHARED | VM_WRITE)) return false;
  return page !== 0 && k.page_test(page, PG_ANON) && k.page_test(page, PG_ANON_EXCLUSIVE);
}

/** can_follow_write_pte: a writable pte, or can_follow_write_common. */
function can_follow_write_pte(k: Kernel, pte: number, page: number, vma: number, flags: number): boolean {
  return pte_write(pte) || can_follow_write_common(k, page, vma, flags);
}

/**
 * gup_must_unshare: a R/O pin of an anonymous page that may be shared must unshare it first; of
 * a page that is not anonymous (the zero page), only a long-term pin in a COW mapping.
 */
export function gup_must_unshare(k: Kernel, vma: number, flags: number, page: number): boolean {
  if ((flags & (FOLL_WRITE | FOLL_PIN)) !== FOLL_PIN) return false;
  if (k.is_zero_page(page) || !k.page_test(page, PG_ANON)) return (flags & FOLL_LONGTERM) !== 0 && is_cow_mapping(k, vma);
  return !k.page_test(page, PG_ANON_EXCLUSIVE);
}

/**
 * try_grab_folio: FOLL_GET takes a reference (on the zero page too); FOLL_PIN a pin, none on the
 * zero page. A page with no reference left is a WARN (and -ENOMEM, which the model does not
 * follow further: the splat ends the search).
 */
export function try_grab_folio(k: Kernel, g: number, flags: number): void {
  if (k.page_ref(g) <= 0 && !k.is_reserved_zero(g)) k.splat(Splat.TRY_GRAB_FOLIO);
  if (flags & FOLL_GET) {
    k.folio_get(g);
  } else if (flags & FOLL_PIN && !k.is_zero_page(g)) {
    k.folio_get(g);
    k.add_pins(g, 1);
  }
}

/** follow_page_pte (today), under the PTL: the page, or what must happen first. */
function follow_page_pte(k: Kernel, pte: number, vma: number, flags: number): number {
  if (!pte) return NEED_FAULT; // no_page_table: FOLL_DUMP is not used here
  if (is_migration_entry(pte)) return NEED_FAULT; // !pte_present: faultin_page waits for it
  let page = vm_normal_page(pte);
  if (flags & FOLL_WRITE && !can_follow_write_pte(k, pte, page, vma, flags)) return NEED_FAULT;
  if (!page) page = k.L.zeroPage; // is_zero_pfn
  if (!pte_write(pte) && gup_must_unshare(k, vma, flags, page)) return NEED_UNSHARE; // -EMLINK
  try_grab_folio(k, page, flags);
  return page;
}

/**
 * can_follow_write_pmd (v6.18 mm/gup.c): as can_follow_write_pte, FOLL_FORCE writes an unwritable
 * pmd only of an exclusive anonymous THP in a private read-only VMA (never the huge zero page).
 */
function can_follow_write_pmd(k: Kernel, pmd: number, page: number, vma: number, flags: number): boolean {
  if (pmd_write(pmd)) return true;
  if (!(flags & FOLL_FORCE) || k.vm_flags(vma) & (VM_SHARED | VM_WRITE)) return false;
  return page !== k.L.hugeZeroPage && k.page_test(page, PG_ANON) && k.page_test(page, PG_ANON_EXCLUSIVE);
}

/**
 * follow_huge_pmd (v6.18 mm/gup.c), under the pmd lock: can_follow_write_pmd, gup_must_unshare,
 * try_grab_folio, then touch_pmd for FOLL_TOUCH (dirty only for FOLL_WRITE).
 */
export function follow_huge_pmd(k: Kernel, p: number, slot: number, vma: number, flags: number): number {
  const pmd = k.pte(p, slot);
  const page = pmd_page(pmd);
  if (flags & FOLL_WRITE && !can_follow_write_pmd(k, pmd, page, vma, flags)) return NEED_FAULT;
  if (!pmd_write(pmd) && gup_must_unshare(k, vma, flags, page)) return NEED_UNSHARE;
  try_grab_folio(k, page, flags);
  if (flags & FOLL_TOUCH) touch_pmd(k, p, slot, (flags & FOLL_WRITE) !== 0);
  return page;
}

/** __get_user_pages of v6.18 (mm/gup.c): FOLL_PIN, follow_page_pte, can_follow_write_pte. */
export const __get_user_pages_v6_18: GupEra = {
  check_vma_flags,
  gup_flags: (_k, _vma, op) => (op.write ? FOLL_WRITE : 0) | (op.pin ? FOLL_PIN : FOLL_GET | FOLL_TOUCH) | (op.longterm ? FOLL_LONGTERM : 0),
  follow_page: follow_page_pte,
  follow_huge_pmd,
  faultin_page: () => {},
  foll_flags_per: "page",
};

/**
 * follow_pmd_mask for a THP-able VMA: a pmd_none is no_page_table (fault it in), a huge pmd is
 * the era's follow_huge_pmd, a page table goes on to the pte. Under the PTL.
 */
function follow_page_mask(gup: GetUserPages, k: Kernel, p: number, slot: number, idx: number, vma: number, flags: number): number {
  if (k.vm_flags(vma) & VM_HUGEPAGE) {
    const pmd = k.pte(p, slot);
    if (!pmd) return NEED_FAULT;
    if (pmd_trans_huge(pmd)) return gup.era.follow_huge_pmd(k, p, slot, vma, flags);
  }
  return gup.era.follow_page(k, k.small_pte(p, slot, idx), vma, flags);
}

/** The follow_page step and the fault steps of __get_user_pages, for the procedure of `caller`. */
export function gupSteps(gup: GetUserPages, pc: Pc, caller: GupCaller): Record<string, StepDef> {
  const f = gup.fault;
  const faultin_page_return: FaultReturn = (k, t, vm_fault) => {
    // vm_fault_to_errno: a fault that got SIGBUS (a file index past i_size) is -EFAULT.
    if (vm_fault & VM_FAULT_SIGBUS) return caller.error(k, t);
    gup.era.faultin_page(k, t, vm_fault);
    return pc.follow_page;
  };
  return {
    follow_page: {
      fn: "__get_user_pages",
      label: "__get_user_pages:follow_page",
      reads: ["pte", "page"],
      writes: ["ptl", "page"],
      run(k, t) {
        const p = k.op(t).proc;
        if (!k.spin_lock(k.ptl(p), t)) return BLOCKED;
        const vma = k.local(t, L_VMA);
        const flags = k.local(t, L_FLAGS);
        const page = follow_page_mask(gup, k, p, k.op(t).addr, k.local(t, L_IDX), vma, flags);
        k.spin_unlock(k.ptl(p), t);
        if (page === EFAULT) return caller.error(k, t);
        if (page === NEED_UNSHARE) return handle_mm_fault(k, t, f, pc, FAULT_FLAG_UNSHARE, faultin_page_return);
        if (page === NEED_FAULT) return handle_mm_fault(k, t, f, pc, flags & FOLL_WRITE ? FAULT_FLAG_WRITE : 0, faultin_page_return);
        return caller.page(k, t, page);
      },
    },
    ...smallFaultSteps(f, pc, faultin_page_return),
  };
}
