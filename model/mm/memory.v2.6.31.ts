/**
 * mm/memory.c's anonymous and write faults as seed 001's kernel has them (2.6.31 with "ZERO_PAGE
 * based on pte_special"): do_anonymous_page maps the zero page only where use_zero_page; do_wp_page reuses an anonymous page mapped at most once (reuse_swap_page), and
 * otherwise ("gotten:") allocates and copies with cow_user_page after the PTL is dropped, in a
 * step of its own: what it copies from the user address can change meanwhile. Today's are in
 * memory.ts.
 */
import type { Kernel } from "../kernel.js";
import { L_NEW, L_ORIG_PTE, L_PAGE, L_VMA } from "../kernel.js";
import { PG_ANON, VM_SHARED, VM_WRITE } from "../layout.js";
import {
  alloc_anon_folio,
  fault_pte,
  use_zero_page,
  VM_FAULT_WRITE,
  vm_normal_page,
  wp_page_copy_get,
  wp_page_reuse,
  wp_unlock,
  type FaultReturn,
  type AnonEra,
  type Pc,
  type WpEra,
} from "./memory.js";
import { folio_alloc } from "./page_alloc.js";
import { pte_page } from "./pte.js";

/**
 * reuse_swap_page (seed 001's kernel): reuse an anonymous page mapped at most once, whatever other
 * references it has. do_wp_page took the page lock around it with trylock_page, which nothing can
 * hold here: no path of the model keeps an anonymous page locked across a step.
 */
function reuse_swap_page(k: Kernel, t: number, g: number): boolean {
  k.lock_uncontended(k.folio_lock_word(g), t, "page lock of an anonymous page in do_wp_page");
  const reuse = k.page_mapcount(g) <= 1;
  k.unlock(k.folio_lock_word(g), t);
  return reuse;
}

/**
 * do_anonymous_page (2.6.31 with the patch): do_anon_zeromap maps the zero page only where
 * use_zero_page(vma); when it finds the pte changed it returns false, and do_anonymous_page goes
 * on to allocate a page.
 */
export const do_anonymous_page_v2_6_31: AnonEra = {
  zero_page_ok: use_zero_page,
  zero_pte_changed: (k, t, pc) => alloc_anon_folio(k, t, pc),
};

/**
 * do_wp_page (2.6.31): no page (the zero page) in a shared writable mapping is reused, else
 * copied; an anonymous page mapped once is reused; a shared writable mapping reuses its page.
 */
function do_wp_page(k: Kernel, t: number, pc: Pc, ret: FaultReturn): number {
  const page = vm_normal_page(k.local(t, L_ORIG_PTE));
  const flags = k.vm_flags(k.local(t, L_VMA));
  const sharedWritable = (flags & (VM_SHARED | VM_WRITE)) === (VM_SHARED | VM_WRITE);
  const reuse = page ? (k.page_test(page, PG_ANON) ? reuse_swap_page(k, t, page) : sharedWritable) : sharedWritable;
  if (reuse) {
    wp_page_reuse(k, t);
    return wp_unlock(k, t, ret, VM_FAULT_WRITE);
  }
  wp_page_copy_get(k, t, page);
  return pc.cow_user_page;
}

export const do_wp_page_v2_6_31: WpEra = {
  do_wp_page,
  steps: ["cow_user_page"],
  build: (pc) => ({
    cow_user_page: {
      fn: "do_wp_page",
      label: "do_wp_page:cow_user_page",
      reads: ["pte", "page"],
      writes: ["page"],
      run(k, t) {
        // anon_vma_prepare, alloc_page_vma, cow_user_page(new_page, old_page). With no old page
        // (the zero pte: vm_normal_page returned NULL) it copies from the user address, reading
        // whatever the mm maps there now; a failed read (nothing mapped) fills it with zeroes.
        const old = k.local(t, L_PAGE);
        k.vmf_anon_prepare(k.local(t, L_VMA));
        const now = fault_pte(k, t);
        const content = old ? k.page_content(old) : now ? k.page_content(pte_page(now)) : 0;
        k.might_sleep(t);
        const g = folio_alloc(k);
        k.set_page_content(g, content);
        k.set_local(t, L_NEW, g);
        return pc.wp_page_copy;
      },
    },
  }),
};
