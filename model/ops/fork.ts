/**
 * fork: dup_mmap copies each VMA into the child (hugetlb_dup_vma_private: the child holds no
 * reservation) and copy_hugetlb_page_range copies each present pte with a reference,
 * write-protecting parent and child for a private (COW) mapping (kernel-notes §6). A 4 KiB VMA's
 * ptes are copied by copy_pte_range (model/mm/memory.ts).
 */
import { hugetlb_dup_vma_private, vm_ops_open } from "../hugetlb/vm_ops.js";
import type { Kernel } from "../kernel.js";
import { L_IDX } from "../kernel.js";
import { MM_ALIVE, VMA_USED, VM_ANON_VMA, VM_LOCKED, VM_MIXEDMAP } from "../layout.js";
import { copy_pte_range } from "../mm/memory.js";
import {
  huge_pte_wrprotect,
  is_exclusive_migration_entry,
  is_migration_entry,
  is_writable_migration_entry,
  make_readable_migration_entry,
  pte_page,
} from "../mm/pte.js";
import { shmem_get_file } from "../mm/shmem.js";
import { set_vm_flags, vm_area_dup, vma_link } from "../mm/vma.js";
import { BLOCKED, DONE, procedure, Result } from "../types.js";
import { mmapWriteLockStep } from "./munmap.js";

/** copy_hugetlb_page_range: the child's ptes, under both PTLs (taken inside the step). */
function copy_hugetlb_page_range(k: Kernel, child: number, parent: number, src: number): void {
  const cow = !k.vma_is_shared(src);
  for (let addr = k.vm_start(src); addr < k.vm_end(src); addr++) {
    let pte = k.pte(parent, addr);
    if (!pte) continue;
    if (is_migration_entry(pte)) {
      // is_hugetlb_entry_migration: copied with no reference (the page is unmapped meanwhile);
      // in a COW mapping an entry that is not plainly readable (writable, or exclusive) becomes
      // readable in parent and child.
      if (cow && (is_writable_migration_entry(pte) || is_exclusive_migration_entry(pte))) {
        pte = make_readable_migration_entry(pte);
        k.set_pte(parent, addr, pte);
      }
      k.set_pte(child, addr, pte);
      continue;
    }
    const g = pte_page(pte);
    k.folio_get(g);
    k.add_mapcount(g, 1);
    const childPte = k.variant.forkLeavesChildWritable ? pte : huge_pte_wrprotect(pte);
    if (cow) {
      pte = huge_pte_wrprotect(pte);
      k.set_pte(parent, addr, pte);
    }
    k.set_pte(child, addr, cow ? childPte : pte);
  }
}

function vma_in_slot(k: Kernel, p: number, slot: number): boolean {
  return slot < k.L.vmaSlots && (k.vm_flags(k.L.vma(p, slot)) & VMA_USED) !== 0;
}

/**
 * dup_mmap for a 4 KiB VMA: the child's copy is not VM_LOCKED (VM_LOCKED_MASK is cleared), a
 * shmem VMA takes a reference on its file (get_file), and copy_page_range copies the ptes where
 * the VMA has an anon_vma or maps pfns (VM_MIXEDMAP: a DAX file), as vma_needs_copy says. shmem's i_mmap_rwsem is never held across a step in
 * the model, so it is not in the state.
 */
function dup_small_vma(k: Kernel, child: number, src: number): void {
  const dst = vma_link(k, child, vm_area_dup(k, src));
  set_vm_flags(k, dst, k.vm_flags(dst) & ~VM_LOCKED);
  if (k.vma_is_shared(src)) shmem_get_file(k, k.vm_file(src));
  if (k.vm_flags(src) & (VM_ANON_VMA | VM_MIXEDMAP)) copy_pte_range(k, dst, src);
}

/** The child is complete: it can run once the parent's mmap_lock is released. */
function fork_done(k: Kernel, t: number): number {
  const op = k.op(t);
  k.set_mm_state(op.child, MM_ALIVE);
  k.up_write(k.mmap_lock(op.proc));
  k.set_result(t, Result.OK);
  return DONE;
}

export const fork = procedure<"mmap_write_lock" | "dup_mmap">("fork", ["mmap_write_lock", "dup_mmap"], (pc) => ({
  mmap_write_lock: mmapWriteLockStep(() => pc.dup_mmap),
  dup_mmap: {
    fn: "dup_mmap",
    reads: ["vma", "pte"],
    writes: ["vma", "pte", "page", "resv_map", "i_mmap_rwsem", "mm"],
    run(k, t) {
      const op = k.op(t);
      const slot = k.local(t, L_IDX);
      if (!vma_in_slot(k, op.proc, slot)) return fork_done(k, t);
      const src = k.L.vma(op.proc, slot);
      if (!k.is_vm_hugetlb_page(src)) {
        dup_small_vma(k, op.child, src);
        if (!vma_in_slot(k, op.proc, slot + 1)) return fork_done(k, t);
        k.set_local(t, L_IDX, slot + 1);
        return pc.dup_mmap;
      }
      // vma_interval_tree_insert_after under i_mmap_lock_write.
      const rwsem = k.i_mmap_rwsem(k.vm_file(src));
      if (!k.down_write_trylock(rwsem, t)) return BLOCKED;
      const dst = vma_link(k, op.child, vm_area_dup(k, src));
      hugetlb_dup_vma_private(k, dst);
      vm_ops_open(k, dst);
      k.up_write(rwsem);
      // copy_page_range skips a VMA with no anon_vma (vma_needs_copy): shared mappings and
      // private ones with only page-cache pages are refaulted by the child instead.
      if (k.vm_flags(src) & VM_ANON_VMA) copy_hugetlb_page_range(k, op.child, op.proc, src);
      if (!vma_in_slot(k, op.proc, slot + 1)) return fork_done(k, t);
      k.set_local(t, L_IDX, slot + 1);
      return pc.dup_mmap;
    },
  },
}));
