/**
 * get_user_pages as v4.14 has it (mm/gup.c, after the Dirty COW fix 19be0eaffa3a and before the
 * Huge Dirty COW fix a8f97366452e): FOLL_WRITE is kept; faultin_page sets FOLL_COW after a fault
 * that returned VM_FAULT_WRITE in a VMA without VM_WRITE, and the lookup of a huge pmd is
 * follow_trans_huge_pmd (huge_memory.v4.14.ts). FOLL_GET only; get_user_pages_remote (ptrace,
 * /proc/pid/mem) adds FOLL_TOUCH. A 4 KiB pte is looked up as today: v4.14's
 * can_follow_write_pte (FOLL_FORCE, FOLL_COW and pte_dirty) accepts the same pages there, the
 * dirty COW copy an exclusive anonymous page, the clean zero pte not (the model keeps no dirty
 * bit in 4 KiB ptes). Today's is in gup.ts.
 */
import { L_FLAGS, L_VMA } from "../kernel.js";
import { VM_WRITE } from "../layout.js";
import { __get_user_pages_v6_18, check_vma_flags, FOLL_COW, FOLL_GET, FOLL_TOUCH, FOLL_WRITE, type GupEra } from "./gup.js";
import { follow_trans_huge_pmd_v4_14 } from "./huge_memory.v4.14.js";
import { VM_FAULT_WRITE } from "./memory.js";

export const __get_user_pages_v4_14: GupEra = {
  check_vma_flags,
  gup_flags: (_k, _vma, op) => (op.write ? FOLL_WRITE : 0) | FOLL_GET | FOLL_TOUCH,
  follow_page: __get_user_pages_v6_18.follow_page,
  follow_huge_pmd: follow_trans_huge_pmd_v4_14,
  faultin_page(k, t, vm_fault) {
    // "The VM_FAULT_WRITE bit tells us that do_wp_page has broken COW when necessary, even if
    // maybe_mkwrite decided not to set pte_write. We can thus safely do subsequent page lookups
    // as if they were reads. But only do so when looping for pte_write is futile": FOLL_COW.
    if (vm_fault & VM_FAULT_WRITE && !(k.vm_flags(k.local(t, L_VMA)) & VM_WRITE)) k.set_local(t, L_FLAGS, k.local(t, L_FLAGS) | FOLL_COW);
  },
  foll_flags_per: "page",
};
