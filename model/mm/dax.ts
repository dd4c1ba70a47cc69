/**
 * The fault handler of a file on a DAX filesystem (fs/dax.c; kernel-notes §5): no page cache for
 * data, a read maps the block itself by pfn (VM_MIXEDMAP: a special pte, no struct page), and a
 * COW fault (vmf->cow_page set) copies the block into cow_page itself.
 *
 * Seed 004 as posted (do_dax_fault of the v11 DAX series, with "mm: Allow page fault handlers to
 * perform the COW"): a hole read so far has a page-cache zero page, locked (dax_load_hole); a COW
 * fault that finds no such page copies the block before it takes i_mmap_mutex, re-checks i_size
 * under it, and returns VM_FAULT_LOCKED with no page: do_cow_fault then releases i_mmap_mutex.
 *
 * Today (dax_iomap_pte_fault, since "dax: Use radix tree entry lock to protect cow faults", 2016,
 * and VM_FAULT_DONE_COW): the filesystem's ->huge_fault (ext4_dax_huge_fault) holds
 * mapping->invalidate_lock shared across the fault, which truncate takes exclusive; the fault
 * locks the index's mapping entry (grab_mapping_entry), and a COW fault copies and sets its pte
 * (finish_fault) before it unlocks: do_cow_fault has nothing left to do. A hole read maps the
 * zero page (dax_load_hole → vmf_insert_mixed of the zero pfn).
 */
import type { Kernel } from "../kernel.js";
import { L_IDX, L_NEW, L_VMA } from "../kernel.js";
import { BLOCKED } from "../types.js";
import { find_lock_page_or_read } from "./filemap.js";
import {
  copy_to_cow_page,
  fault_done,
  fault_pte,
  fault_sigbus,
  ptl,
  set_fault_pte,
  set_new_anon_pte,
  type FaultReturn,
  type SmallFaultStep,
  type StepDef,
  vm_fault_locked,
} from "./memory.js";
import { pfn_pte_special, zero_pte } from "./pte.js";

export type DaxFaultStep = "do_dax_fault" | "do_dax_fault_i_mmap" | "dax_insert_mapping" | "ext4_dax_huge_fault" | "dax_iomap_pte_fault";
export const DAX_FAULT_STEPS: readonly DaxFaultStep[] = ["do_dax_fault", "do_dax_fault_i_mmap", "dax_insert_mapping", "ext4_dax_huge_fault", "dax_iomap_pte_fault"];

function fault_file(k: Kernel, t: number): number {
  return k.vm_file(k.local(t, L_VMA));
}

/** The data a COW fault copies: the block's, or zeroes for a hole (clear_user_highpage). */
function block_data(k: Kernel, f: number, idx: number): number {
  return k.buffer_mapped(f, idx) ? k.page_content(k.block(f, idx)) : 0;
}

/**
 * vm_insert_mixed / vmf_insert_mixed, under the page-table lock taken inside the step (no thread
 * holds one across steps): the block's pfn, read-only in a private mapping; a pte already there
 * is left alone (-EBUSY, "somebody else faulted on the same PTE").
 */
function vm_insert_mixed(k: Kernel, t: number, pte: number): void {
  k.lock_uncontended(ptl(k, t), t, "page-table lock in vm_insert_mixed");
  if (!fault_pte(k, t)) set_fault_pte(k, t, pte);
  k.unlock(ptl(k, t));
}

/** The DAX fault steps, in the step record that every 4 KiB fault shares (model/mm/memory.ts). */
export function daxFaultSteps(pc: Record<SmallFaultStep, number>, ret: FaultReturn): Record<DaxFaultStep, StepDef> {
  return {
    do_dax_fault: {
      fn: "do_dax_fault",
      label: "do_dax_fault:find_get_page",
      reads: ["i_size", "page_cache", "block"],
      writes: ["page_cache", "page", "page_lock"],
      run(k, t) {
        const f = fault_file(k, t);
        const idx = k.local(t, L_IDX);
        if (idx >= k.file4k_i_size(f)) return fault_sigbus(k, t, ret);
        const cow = k.local(t, L_NEW) !== 0;
        if (!k.buffer_mapped(f, idx) && !cow) {
          // dax_load_hole: the page-cache zero page for the hole, locked, i_size re-checked.
          const g = find_lock_page_or_read(k, t, f, idx);
          if (g === BLOCKED) return BLOCKED;
          if (!g) return fault_sigbus(k, t, ret);
          return vm_fault_locked(k, t, pc, g);
        }
        // find_get_page + lock_page_or_retry: a hole page a read fault left, if any.
        const page = k.file4k_cache(f, idx);
        if (page && !k.trylock(k.folio_lock_word(page), t)) return BLOCKED;
        if (page) k.folio_get(page);
        if (!cow) {
          // A read of an allocated block; no hole page can be cached with it, since only a write
          // allocates a block and the model has no writes to the file.
          return pc.dax_insert_mapping;
        }
        if (page) return vm_fault_locked(k, t, pc, page);
        copy_to_cow_page(k, t, block_data(k, f, idx));
        return pc.do_dax_fault_i_mmap;
      },
    },
    do_dax_fault_i_mmap: {
      fn: "do_dax_fault",
      label: "do_dax_fault:i_mmap_mutex",
      reads: ["i_size"],
      writes: ["i_mmap_rwsem"],
      run(k, t) {
        const f = fault_file(k, t);
        const rwsem = k.file4k_i_mmap_rwsem(f);
        const read = k.variant.daxCowLock === "i_mmap_lock_read";
        if (!(read ? k.down_read_trylock(rwsem, t) : k.down_write_trylock(rwsem, t))) return BLOCKED;
        // "Check we didn't race with truncate"
        if (k.local(t, L_IDX) >= k.file4k_i_size(f)) {
          if (read) k.up_read(rwsem, t);
          else k.up_write(rwsem);
          return fault_sigbus(k, t, ret);
        }
        return pc.do_cow_fault;
      },
    },
    dax_insert_mapping: {
      fn: "dax_insert_mapping",
      label: "dax_insert_mapping:i_mmap_mutex",
      reads: ["i_size", "pte"],
      writes: ["i_mmap_rwsem", "ptl", "pte"],
      run(k, t) {
        const f = fault_file(k, t);
        const rwsem = k.file4k_i_mmap_rwsem(f);
        if (!k.down_write_trylock(rwsem, t)) return BLOCKED;
        // "Check truncate didn't happen while we were allocating a block"
        const beyond = k.local(t, L_IDX) >= k.file4k_i_size(f);
        if (!beyond) vm_insert_mixed(k, t, pfn_pte_special(k.block(f, k.local(t, L_IDX))));
        k.up_write(rwsem);
        return beyond ? fault_sigbus(k, t, ret) : fault_done(k, t, ret, 0);
      },
    },
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
          k.unlock(ptl(k, t));
        } else {
          vm_insert_mixed(k, t, k.buffer_mapped(f, idx) ? pfn_pte_special(k.block(f, idx)) : zero_pte(k.L.zeroPage));
        }
        k.unlock(entry);
        k.up_read(invalidate, t);
        return fault_done(k, t, ret, 0);
      },
    },
  };
}
