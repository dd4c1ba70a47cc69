/**
 * The fault handler of a file on a DAX filesystem (fs/dax.c; kernel-notes §5) as of today: no
 * page cache for data, a read maps the block itself by pfn (VM_MIXEDMAP: a special pte, no
 * struct page), and a COW fault (vmf->cow_page set) copies the block into cow_page itself.
 *
 * dax_iomap_pte_fault (v6.18, since "dax: Use radix tree entry lock to protect cow faults",
 * 2016, and VM_FAULT_DONE_COW): the filesystem's ->huge_fault (ext4_dax_huge_fault) holds
 * mapping->invalidate_lock shared across the fault, which truncate takes exclusive; the fault
 * locks the index's mapping entry (grab_mapping_entry), and a COW fault copies and sets its pte
 * (finish_fault) before it unlocks: do_cow_fault has nothing left to do. A hole read maps the
 * zero page (dax_load_hole → vmf_insert_mixed of the zero pfn).
 *
 * Seed 004's do_dax_fault (v4.0) is in dax.v4.0.ts.
 */
import type { Kernel } from "../kernel.js";
import { L_IDX, L_NEW, L_VMA } from "../kernel.js";
import { BLOCKED } from "../types.js";
import { copy_to_cow_page, fault_done, fault_pte, fault_sigbus, ptl, set_fault_pte, set_new_anon_pte, type VmOperations } from "./memory.js";
import { pfn_pte_special, zero_pte } from "./pte.js";

export function fault_file(k: Kernel, t: number): number {
  return k.vm_file(k.local(t, L_VMA));
}

/** The data a COW fault copies: the block's, or zeroes for a hole (clear_user_highpage). */
export function block_data(k: Kernel, f: number, idx: number): number {
  return k.buffer_mapped(f, idx) ? k.page_content(k.block(f, idx)) : 0;
}

/**
 * vm_insert_mixed / vmf_insert_mixed, under the page-table lock taken inside the step (no thread
 * holds one across steps): the block's pfn, read-only in a private mapping; a pte already there
 * is left alone (-EBUSY, "somebody else faulted on the same PTE").
 */
export function vm_insert_mixed(k: Kernel, t: number, pte: number): void {
  k.lock_uncontended(ptl(k, t), t, "page-table lock in vm_insert_mixed");
  if (!fault_pte(k, t)) set_fault_pte(k, t, pte);
  k.spin_unlock(ptl(k, t), t);
}

/**
 * ext4_dax_vm_ops (fs/ext4/file.c, v6.18): ->fault is ext4_dax_fault → ext4_dax_huge_fault →
 * dax_iomap_fault → dax_iomap_pte_fault.
 */
export const ext4_dax_vm_ops: VmOperations = {
  name: "ext4_dax_vm_ops",
  steps: ["ext4_dax_huge_fault", "dax_iomap_pte_fault"],
  fault: (_k, _t, pc) => pc.ext4_dax_huge_fault,
  build: (pc, ret) => ({
    ext4_dax_huge_fault: {
      fn: "ext4_dax_huge_fault",
      label: "ext4_dax_huge_fault:filemap_invalidate_lock_shared",
      reads: [],
      writes: ["invalidate_lock"],
      run(k, t) {
        if (!k.down_read_trylock(k.invalidate_lock(fault_file(k, t)), t)) return BLOCKED;
        return pc.dax_iomap_pte_fault;
      },
    },
    dax_iomap_pte_fault: {
      fn: "dax_iomap_pte_fault",
      label: "dax_iomap_pte_fault:grab_mapping_entry",
      reads: ["i_size", "block", "pte"],
      writes: ["dax_entry", "ptl", "pte", "page", "invalidate_lock"],
      run(k, t) {
        const f = fault_file(k, t);
        const idx = k.local(t, L_IDX);
        const invalidate = k.invalidate_lock(f);
        // "Caller is supposed to hold locks serializing us with truncate": a reliable test.
        if (idx >= k.file4k_i_size(f)) {
          k.up_read(invalidate, t);
          return fault_sigbus(k, t, ret);
        }
        const entry = k.dax_entry_lock(f, idx);
        if (!k.trylock(entry, t)) return BLOCKED;
        if (k.local(t, L_NEW)) {
          // dax_fault_cow_page: copy or clear, then finish_fault, and VM_FAULT_DONE_COW.
          copy_to_cow_page(k, t, block_data(k, f, idx));
          k.lock_uncontended(ptl(k, t), t, "page-table lock in finish_fault");
          set_new_anon_pte(k, t);
          k.spin_unlock(ptl(k, t), t);
        } else {
          vm_insert_mixed(k, t, k.buffer_mapped(f, idx) ? pfn_pte_special(k.block(f, idx)) : zero_pte(k.L.zeroPage));
        }
        k.unlock(entry, t);
        k.up_read(invalidate, t);
        return fault_done(k, t, ret, 0);
      },
    },
  }),
};
