/**
 * Seed 004 as posted: do_dax_fault of the v11 DAX series with "mm: Allow page fault handlers to
 * perform the COW", as merged in v4.0 (fs/dax.c; kernel-notes §5). A hole read so far has a
 * page-cache zero page, locked (dax_load_hole); a COW fault that finds no such page copies the
 * block before it takes i_mmap_mutex, re-checks i_size under it, and returns VM_FAULT_LOCKED with
 * no page: do_cow_fault (model/mm/memory.ts) then releases i_mmap_mutex. Today's handler is in
 * dax.ts.
 */
import { L_IDX, L_NEW } from "../kernel.js";
import { BLOCKED } from "../types.js";
import { block_data, fault_file, vm_insert_mixed } from "./dax.js";
import { find_lock_page_or_read } from "./filemap.js";
import { copy_to_cow_page, fault_done, fault_sigbus, vm_fault_locked, type VmOperations } from "./memory.js";
import { pfn_pte_special } from "./pte.js";

/** ext2_dax_vm_ops (fs/ext2/file.c, v4.0): ->fault is ext2_dax_fault → dax_fault → do_dax_fault. */
export const ext2_dax_vm_ops: VmOperations = {
  name: "ext2_dax_vm_ops",
  steps: ["do_dax_fault", "do_dax_fault_i_mmap", "dax_insert_mapping"],
  fault: (_k, _t, pc) => pc.do_dax_fault,
  build: (pc, ret) => ({
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
          else k.up_write(rwsem, t);
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
        k.up_write(rwsem, t);
        return beyond ? fault_sigbus(k, t, ret) : fault_done(k, t, ret, 0);
      },
    },
  }),
};
