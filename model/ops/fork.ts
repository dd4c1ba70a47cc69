/**
 * fork: dup_mmap copies each VMA into the child (hugetlb_dup_vma_private: the child holds no
 * reservation) and copy_page_range copies its ptes (kernel-notes §6). dup_mmap holds mmap_lock
 * for write of both mms throughout (the child's is not in the state: nothing can run in the child
 * before fork_done) and i_mmap_rwsem for write only while it links a file VMA into the file's
 * interval tree. Which hugetlb VMAs are copied, and under which locks, is the variant's era
 * (CopyPageRangeEra: today's here, fork.v2.6.26.ts, fork.v2.6.5.ts). A 4 KiB VMA's ptes are
 * copied by copy_pte_range (model/mm/memory.ts) in one step: it holds both PTLs across a page
 * table, and a model slot is one page table.
 *
 * Since 4eae4efa2c29 ("hugetlb: do early cow when page pinned on src mm", v5.12) a private
 * anonymous huge page that may be pinned for DMA is copied for the child at once, so that the
 * parent keeps the page its pin holds (v6.18: hugetlb_try_dup_anon_rmap fails for a
 * PageAnonExclusive page with folio_needs_cow_for_dma). The copy is allocated for the child's
 * VMA, which holds no reservation: Free − Rsvd or a surplus page, charged to the subpool. When
 * that fails fork fails: dup_mmap drops both mmap_locks, and dup_mm's mmput runs exit_mmap on
 * the child's mm, which unmaps and closes the VMAs copied so far (the ones after the failure
 * point were never linked into the child: XA_ZERO_ENTRY); copy_mm returns -ENOMEM.
 */
import { hugetlb_dup_vma_private, vm_ops_open } from "../hugetlb/vm_ops.js";
import type { Kernel } from "../kernel.js";
import { alloc_hugetlb_folio } from "../hugetlb/alloc.js";
import { hugetlb_add_new_anon_rmap } from "../hugetlb/fault.js";
import { restore_reserve_on_error } from "../hugetlb/reserve.js";
import { L_FLAGS, L_IDX, L_NEW, L_ORIG_PTE, L_PAGE } from "../kernel.js";
import { MM_ALIVE, MM_EXITED, PG_ANON, PG_ANON_EXCLUSIVE, VMA_USED, VM_ANON_VMA, VM_LOCKED, VM_MIXEDMAP, VM_WRITE } from "../layout.js";
import { anon_exclusive_tracked, copy_pte_range, is_cow_mapping } from "../mm/memory.js";
import { folio_put } from "../mm/page_alloc.js";
import {
  huge_pte_wrprotect,
  make_huge_pte,
  is_exclusive_migration_entry,
  is_migration_entry,
  is_writable_migration_entry,
  make_readable_migration_entry,
  pte_page,
} from "../mm/pte.js";
import { shmem_get_file } from "../mm/shmem.js";
import { set_vm_flags, vm_area_dup, vma_link } from "../mm/vma.js";
import { BLOCKED, DONE, procedure, Result } from "../types.js";
import { mmapWriteLockStep, unmapRegionStep, wholeMm } from "./munmap.js";

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

/**
 * hugetlb_try_dup_anon_rmap fails (v6.18; page_needs_cow_for_dma from v5.12 to v5.18, before
 * PageAnonExclusive): a private anonymous page, exclusive to the parent, that a pin may hold
 * (folio_needs_cow_for_dma: a COW mapping, MMF_HAS_PINNED — set in any mm that pinned its page
 * — and folio_maybe_dma_pinned). Before v5.12 (hugetlbForkEarlyCow false) fork shares it as any
 * other page, and the parent's next write leaves the pinned page to the child.
 */
function hugetlb_needs_early_cow(k: Kernel, src: number, g: number): boolean {
  if (!k.page_test(g, PG_ANON) || !is_cow_mapping(k, src) || k.page_pins(g) === 0) return false;
  if (anon_exclusive_tracked(k) && !k.page_test(g, PG_ANON_EXCLUSIVE)) return false;
  return k.variant.hugetlbForkEarlyCow;
}

/**
 * hugetlb_install_folio (v6.18): the child's early copy, a new anonymous page mapped at `addr`
 * (make_huge_pte(vma, folio, true): writable where the VMA is).
 */
function hugetlb_install_folio(k: Kernel, t: number, child: number, dst: number, addr: number, g: number): void {
  hugetlb_add_new_anon_rmap(k, t, g, dst, addr);
  k.set_pte(child, addr, make_huge_pte(g, (k.vm_flags(dst) & VM_WRITE) !== 0));
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

/** The child's VMA that fork is copying (the one in the parent's slot L_IDX). */
function dst_vma(k: Kernel, t: number): number {
  return k.L.vma(k.op(t).child, k.local(t, L_IDX));
}

type ForkStep = "mmap_write_lock" | "dup_mmap" | "copy_hugetlb_page_range" | "alloc_hugetlb_folio" | "hugetlb_install_folio" | "exit_mmap";

/** The fork procedure of an era (copy_page_range's rules for hugetlb VMAs). */
export const fork = (era: CopyPageRangeEra) =>
  procedure<ForkStep>(
    "fork",
    ["mmap_write_lock", "dup_mmap", "copy_hugetlb_page_range", "alloc_hugetlb_folio", "hugetlb_install_folio", "exit_mmap"],
    (pc) => {
      /**
       * copy_hugetlb_page_range's turn for the pte at `addr` (or none, at the VMA's end), under
       * both PTLs; they are dropped before it returns. Then the next present pte, the next VMA,
       * or, for a page to copy early, the allocation without the locks.
       */
      const copy_from = (k: Kernel, t: number, src: number, from: number): number => {
        const op = k.op(t);
        const end = k.vm_end(src);
        let addr = from;
        do {
          if (addr < end) {
            const pte = k.pte(op.proc, addr);
            if (!is_migration_entry(pte) && hugetlb_needs_early_cow(k, src, pte_page(pte))) {
              // The page is referenced (folio_get) and both PTLs dropped: the allocation may sleep.
              k.folio_get(pte_page(pte));
              k.set_local(t, L_PAGE, pte_page(pte));
              k.set_local(t, L_ORIG_PTE, pte);
              k.set_local(t, L_FLAGS, addr);
              if (era.per_pte) k.spin_unlock(k.ptl(op.proc), t);
              k.spin_unlock(k.ptl(op.child), t);
              return pc.alloc_hugetlb_folio;
            }
            copy_hugetlb_pte(k, op.child, op.proc, src, addr);
          }
          addr = next_present(k, op.proc, src, addr + 1);
        } while (!era.per_pte && addr < end);
        if (era.per_pte) k.spin_unlock(k.ptl(op.proc), t);
        k.spin_unlock(k.ptl(op.child), t);
        if (addr >= end) return next_vma(k, t, pc.dup_mmap);
        k.set_local(t, L_FLAGS, addr);
        return pc.copy_hugetlb_page_range;
      };
      /** huge_pte_lock(dst), then spin_lock_nested(src) (both only per pte in eras that do so). */
      const lock_both = (k: Kernel, t: number): boolean => {
        const op = k.op(t);
        if (!k.spin_lock(k.ptl(op.child), t)) return false;
        return !era.per_pte || k.spin_lock(k.ptl(op.proc), t);
      };
      return {
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
          reads: ["pte", "page"],
          writes: ["ptl", "pte", "page"],
          run(k, t) {
            // huge_pte_lock(dst), then spin_lock_nested(src) (v6.18; the same two locks, as each
            // mm's page_table_lock, in 2.6.21 and 2.6.26); in 2.6.5 dup_mmap's lock of the child
            // only, the source's ptes read without one.
            if (!lock_both(k, t)) return BLOCKED;
            const src = k.L.vma(k.op(t).proc, k.local(t, L_IDX));
            return copy_from(k, t, src, next_present(k, k.op(t).proc, src, k.local(t, L_FLAGS)));
          },
        },
        alloc_hugetlb_folio: {
          // The early COW (v6.18): alloc_hugetlb_folio(dst_vma, addr, false) — the child's VMA
          // has no reserve map, so no reservation is used ("Do not use reserve as it's private
          // owned") — then copy_user_large_folio, and the reference on the parent's page goes.
          fn: "copy_hugetlb_page_range",
          label: "copy_hugetlb_page_range:alloc_hugetlb_folio",
          reads: ["page", "resv_map"],
          writes: ["page", "pool", "mmap_lock"],
          run(k, t) {
            const op = k.op(t);
            const old = k.local(t, L_PAGE);
            k.might_sleep(t);
            const g = alloc_hugetlb_folio(k, dst_vma(k, t), k.local(t, L_FLAGS), false);
            k.set_local(t, L_PAGE, 0);
            if (g) k.set_page_content(g, k.page_content(old));
            folio_put(k, old);
            if (!g) {
              // ret = PTR_ERR(new_folio); break: dup_mmap fails, unlocks both mms (loop_out,
              // out), and dup_mm's mmput tears the child down.
              k.set_local(t, L_ORIG_PTE, 0);
              k.up_write(k.mmap_lock(op.proc), t);
              return pc.exit_mmap;
            }
            k.set_local(t, L_NEW, g);
            return pc.hugetlb_install_folio;
          },
        },
        hugetlb_install_folio: {
          // Install the new folio if the parent's pte is as it was; else restore_reserve_on_error,
          // folio_put, and "goto again" with the pte as it is now, under the locks.
          fn: "copy_hugetlb_page_range",
          label: "copy_hugetlb_page_range:hugetlb_install_folio",
          reads: ["pte"],
          writes: ["ptl", "pte", "page", "pool", "resv_map"],
          run(k, t) {
            if (!lock_both(k, t)) return BLOCKED;
            const op = k.op(t);
            const src = k.L.vma(op.proc, k.local(t, L_IDX));
            const addr = k.local(t, L_FLAGS);
            const g = k.local(t, L_NEW);
            k.set_local(t, L_NEW, 0);
            const same = k.pte(op.proc, addr) === k.local(t, L_ORIG_PTE);
            k.set_local(t, L_ORIG_PTE, 0);
            if (same) {
              hugetlb_install_folio(k, t, op.child, dst_vma(k, t), addr, g);
              return copy_from(k, t, src, next_present(k, op.proc, src, addr + 1));
            }
            restore_reserve_on_error(k, dst_vma(k, t), addr, g);
            folio_put(k, g);
            return copy_from(k, t, src, next_present(k, op.proc, src, addr));
          },
        },
        exit_mmap: {
          // mmput → exit_mmap of the child's mm: every VMA dup_mmap linked is unmapped and closed.
          ...unmapRegionStep(
            wholeMm,
            () => pc.exit_mmap,
            (k, t) => {
              k.set_mm_state(k.op(t).child, MM_EXITED);
              k.set_result(t, Result.ENOMEM);
              return DONE;
            },
            (k, t) => k.op(t).child,
          ),
          fn: "exit_mmap",
          label: "dup_mm:exit_mmap",
        },
      };
    },
  );
