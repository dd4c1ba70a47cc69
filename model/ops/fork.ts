/**
 * fork: dup_mmap copies each VMA into the child (hugetlb_dup_vma_private: the child holds no
 * reservation) and copy_page_range copies its ptes (kernel-notes §6). dup_mmap holds mmap_lock
 * for write of both mms throughout (the child's is not in the state: nothing can run in the child
 * before fork_done) and i_mmap_rwsem for write only while it links a file VMA into the file's
 * interval tree. Which hugetlb VMAs are copied, and under which locks, is the variant's era
 * (CopyPageRangeEra: today's here, fork.v2.6.26.ts, fork.v2.6.5.ts). A 4 KiB VMA's ptes are
 * copied by copy_pte_range (model/mm/memory.ts) in one step: it holds both PTLs across a page
 * table, and a model slot is one page table.
 */
import { hugetlb_dup_vma_private, vm_ops_open } from "../hugetlb/vm_ops.js";
import type { Kernel } from "../kernel.js";
import { L_FLAGS, L_IDX } from "../kernel.js";
import { MM_ALIVE, PG_ANON, PG_ANON_EXCLUSIVE, VMA_USED, VM_ANON_VMA, VM_LOCKED, VM_MIXEDMAP } from "../layout.js";
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

/** What an era's copy_page_range does with a hugetlb VMA. */
export interface CopyPageRangeEra {
  /** Whether the VMA's ptes are copied at all, or left for the child to fault in. */
  needs_copy(k: Kernel, src: number): boolean;
  /**
   * true: copy_hugetlb_page_range takes both PTLs for each pte and drops them after it, so
   * another process's truncate or unmap_ref_private can run between two ptes. false: the whole
   * VMA in one step, under a lock held across it.
   */
  readonly per_pte: boolean;
}

/**
 * v6.18 (since bcd51a3c679d "hugetlb: lazy page table copies in fork()", v6.0): vma_needs_copy
 * copies only a VMA with an anon_vma; shared mappings and private ones with only page-cache
 * pages are refaulted by the child instead. copy_hugetlb_page_range takes the destination's PTL,
 * then the source's (spin_lock_nested), for each pte; for a COW mapping it holds no lock across
 * the loop (write_protect_seq and the VMA write lock keep out only the parent's own GUP-fast and
 * faults, which mmap_lock already excludes here).
 */
export const copy_page_range_v6_18: CopyPageRangeEra = {
  needs_copy: (k, src) => (k.vm_flags(src) & VM_ANON_VMA) !== 0,
  per_pte: true,
};

/**
 * One turn of copy_hugetlb_page_range's loop at `addr`, a present pte of the parent: the child
 * gets a reference and the pte; for a private (COW) mapping both become read-only.
 */
function copy_hugetlb_pte(k: Kernel, child: number, parent: number, src: number, addr: number): void {
  let pte = k.pte(parent, addr);
  if (is_migration_entry(pte)) {
    // is_hugetlb_entry_migration: copied with no reference (the page is unmapped meanwhile); in
    // a COW mapping an entry that is not plainly readable (writable, or exclusive) becomes
    // readable in parent and child.
    if (!k.vma_is_shared(src) && (is_writable_migration_entry(pte) || is_exclusive_migration_entry(pte))) {
      pte = make_readable_migration_entry(pte);
      k.set_pte(parent, addr, pte);
    }
    k.set_pte(child, addr, pte);
    return;
  }
  const g = pte_page(pte);
  // hugetlb_try_dup_anon_rmap: the page is no longer exclusive to the parent.
  if (k.page_test(g, PG_ANON)) k.page_clear(g, PG_ANON_EXCLUSIVE);
  k.folio_get(g);
  k.add_mapcount(g, 1);
  const childPte = k.variant.forkLeavesChildWritable ? pte : huge_pte_wrprotect(pte);
  const cow = !k.vma_is_shared(src);
  if (cow) {
    pte = huge_pte_wrprotect(pte);
    k.set_pte(parent, addr, pte);
  }
  k.set_pte(child, addr, cow ? childPte : pte);
}

/**
 * The first present pte of the parent's VMA at or after `from`, or the VMA's end. Skipping the
 * empty ones inside one step is what the kernel's loop does with them (nothing), done early: no
 * pte of the parent can become present while fork holds its mmap_lock for write (the only writers
 * that run meanwhile, truncate and unmap_ref_private, clear ptes).
 */
function next_present(k: Kernel, parent: number, src: number, from: number): number {
  let addr = from;
  while (addr < k.vm_end(src) && !k.pte(parent, addr)) addr++;
  return addr;
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
  if (k.vma_is_shmem(src)) shmem_get_file(k, k.vm_file(src));
  if (k.vm_flags(src) & (VM_ANON_VMA | VM_MIXEDMAP)) copy_pte_range(k, dst, src);
}

/** The child is complete: it can run once the parent's mmap_lock is released. */
function fork_done(k: Kernel, t: number): number {
  const op = k.op(t);
  k.set_mm_state(op.child, MM_ALIVE);
  k.up_write(k.mmap_lock(op.proc), t);
  k.set_result(t, Result.OK);
  return DONE;
}

/** On to the VMA after the one in slot L_IDX, or the end of fork. */
function next_vma(k: Kernel, t: number, dup_mmap: number): number {
  const slot = k.local(t, L_IDX) + 1;
  if (!vma_in_slot(k, k.op(t).proc, slot)) return fork_done(k, t);
  k.set_local(t, L_IDX, slot);
  k.set_local(t, L_FLAGS, 0);
  return dup_mmap;
}

/** The fork procedure of an era (copy_page_range's rules for hugetlb VMAs). */
export const fork = (era: CopyPageRangeEra) =>
  procedure<"mmap_write_lock" | "dup_mmap" | "copy_hugetlb_page_range">(
    "fork",
    ["mmap_write_lock", "dup_mmap", "copy_hugetlb_page_range"],
    (pc) => ({
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
            return next_vma(k, t, pc.dup_mmap);
          }
          // vma_interval_tree_insert_after under i_mmap_lock_write.
          const rwsem = k.i_mmap_rwsem(k.vm_file(src));
          if (!k.down_write_trylock(rwsem, t)) return BLOCKED;
          const dst = vma_link(k, op.child, vm_area_dup(k, src));
          hugetlb_dup_vma_private(k, dst);
          vm_ops_open(k, dst);
          k.up_write(rwsem, t);
          if (!era.needs_copy(k, src) || next_present(k, op.proc, src, k.vm_start(src)) >= k.vm_end(src)) {
            return next_vma(k, t, pc.dup_mmap);
          }
          k.set_local(t, L_FLAGS, k.vm_start(src));
          return pc.copy_hugetlb_page_range;
        },
      },
      copy_hugetlb_page_range: {
        fn: "copy_hugetlb_page_range",
        reads: ["pte"],
        writes: ["ptl", "pte", "page"],
        run(k, t) {
          const op = k.op(t);
          const src = k.L.vma(op.proc, k.local(t, L_IDX));
          // huge_pte_lock(dst), then spin_lock_nested(src) (v6.18; the same two locks, as each
          // mm's page_table_lock, in 2.6.21 and 2.6.26); in 2.6.5 dup_mmap's lock of the child
          // only, the source's ptes read without one.
          if (!k.spin_lock(k.ptl(op.child), t)) return BLOCKED;
          if (era.per_pte && !k.spin_lock(k.ptl(op.proc), t)) return BLOCKED;
          const end = k.vm_end(src);
          let addr = next_present(k, op.proc, src, k.local(t, L_FLAGS));
          do {
            if (addr < end) copy_hugetlb_pte(k, op.child, op.proc, src, addr);
            addr = next_present(k, op.proc, src, addr + 1);
          } while (!era.per_pte && addr < end);
          if (era.per_pte) k.spin_unlock(k.ptl(op.proc), t);
          k.spin_unlock(k.ptl(op.child), t);
          if (addr >= end) return next_vma(k, t, pc.dup_mmap);
          k.set_local(t, L_FLAGS, addr);
          return pc.copy_hugetlb_page_range;
        },
      },
    }),
  );
