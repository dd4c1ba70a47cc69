/**
 * mprotect of a range: split at its edges, then change VM_WRITE (hugetlb_change_protection, or
 * change_pte_range for a 4 KiB VMA).
 */
import { L_FLAGS, type Kernel } from "../kernel.js";
import { PG_ANON, VM_WRITE } from "../layout.js";
import { needs_split, splitStep, vma_merge, type Changes, type RangeOf } from "../mm/split.js";
import {
  huge_pte_wrprotect,
  is_migration_entry,
  is_writable_migration_entry,
  make_readable_exclusive_migration_entry,
  make_readable_migration_entry,
  migration_entry_page,
  pte_present,
  pte_wrprotect,
} from "../mm/pte.js";
import { find_vma, set_vm_flags, vmas_of } from "../mm/vma.js";
import { BLOCKED, DONE, procedure, Result } from "../types.js";
import { mmapWriteLockStep } from "./munmap.js";

/** hugetlb_change_protection: write-protect the VMA's ptes (under i_mmap_rwsem and the PTL). */
function hugetlb_change_protection(k: Kernel, vma: number): void {
  const p = k.L.vmaProc(vma);
  for (let addr = k.vm_start(vma); addr < k.vm_end(vma); addr++) {
    const pte = k.pte(p, addr);
    // A writable migration entry becomes a readable one, exclusive if the page was (v6.18).
    if (is_migration_entry(pte)) k.set_pte(p, addr, make_readable_exclusive_migration_entry(pte));
    else if (pte) k.set_pte(p, addr, huge_pte_wrprotect(pte));
  }
}

/**
 * change_pte_range (v6.18) of a 4 KiB VMA made read-only, under the PTL (no thread holds it
 * across steps): present ptes lose their write bit, a writable migration entry becomes a readable
 * one, exclusive for an anonymous folio. Made writable, the ptes are left read-only: the next
 * store's do_wp_page makes them writable (reusing an exclusive page) where
 * MM_CP_TRY_CHANGE_WRITABLE would have done it at once.
 */
function change_pte_range(k: Kernel, vma: number): void {
  const p = k.L.vmaProc(vma);
  const slot = k.vm_start(vma);
  for (let i = k.vm_first_page(vma); i < k.vm_end_page(vma); i++) {
    const pte = k.small_pte(p, slot, i);
    if (pte_present(pte)) k.set_small_pte(p, slot, i, pte_wrprotect(pte));
    else if (is_migration_entry(pte) && is_writable_migration_entry(pte))
      k.set_small_pte(
        p,
        slot,
        i,
        k.page_test(migration_entry_page(pte), PG_ANON) ? make_readable_exclusive_migration_entry(pte) : make_readable_migration_entry(pte),
      );
  }
}

/**
 * do_mprotect_pkey changes VMA after VMA from the start and stops with ENOMEM at the first hole:
 * the range it splits and changes ends where the VMAs stop being contiguous.
 */
const mappedRange: RangeOf = {
  start: (k, t) => k.op(t).addr,
  end(k, t) {
    const op = k.op(t);
    const end = op.addr + op.len;
    let cursor = op.addr;
    for (let v = find_vma(k, op.proc, cursor); v && cursor < end; v = find_vma(k, op.proc, cursor)) cursor = k.vma_hi(v);
    return Math.min(cursor, end);
  },
};

/** mprotect_fixup's "if (newflags == oldflags)": a VMA whose VM_WRITE stays is neither split nor changed. */
const changesWrite: Changes = (k, t, v) => ((k.vm_flags(v) & VM_WRITE) !== 0) !== k.op(t).writable;

export const mprotect = procedure<"mmap_write_lock" | "__split_vma" | "mprotect_fixup">(
  "mprotect",
  ["mmap_write_lock", "__split_vma", "mprotect_fixup"],
  (pc) => ({
    mmap_write_lock: mmapWriteLockStep((k, t) => {
      const op = k.op(t);
      const vma = find_vma(k, op.proc, op.addr);
      // 2.6.5's sys_mprotect: "if (is_vm_hugetlb_page(vma)) { error = -EACCES; goto out; }".
      const refused = !vma ? Result.ENOMEM : k.variant.prefaultSyscalls && k.is_vm_hugetlb_page(vma) ? Result.EACCES : Result.OK;
      if (refused !== Result.OK) {
        k.up_write(k.mmap_lock(op.proc), t);
        k.set_result(t, refused);
        return DONE;
      }
      return needs_split(k, t, mappedRange, changesWrite) ? pc.__split_vma : pc.mprotect_fixup;
    }),
    __split_vma: splitStep(
      mappedRange,
      () => pc.__split_vma,
      () => pc.mprotect_fixup,
      // do_mprotect_pkey has changed each VMA before the refused one (mprotect_fixup → vma_modify
      // splits VMA after VMA): those changes stay, then EINVAL. L_FLAGS: the refused VMA's start + 1.
      (k, t, vma) => {
        k.set_local(t, L_FLAGS, k.vm_start(vma) + 1);
        return pc.mprotect_fixup;
      },
      changesWrite,
    ),
    mprotect_fixup: {
      fn: "mprotect_fixup",
      reads: ["vma"],
      writes: ["vma", "pte", "i_mmap_rwsem"],
      run(k, t) {
        const op = k.op(t);
        const refused = k.local(t, L_FLAGS);
        const start = mappedRange.start(k, t);
        const mapped = mappedRange.end(k, t);
        const end = refused ? Math.min(mapped, refused - 1) : mapped;
        const inside = vmas_of(k, op.proc).filter((v) => k.vma_lo(v) >= start && k.vma_hi(v) <= end && changesWrite(k, t, v));
        // A 4 KiB VMA's i_mmap_rwsem is not in the state (mmap4k.ts says why).
        const rwsems = [...new Set(inside.filter((v) => !k.vm_nr_pages(v)).map((v) => k.i_mmap_rwsem(k.vm_file(v))))];
        for (const rwsem of rwsems) if (!k.down_write_trylock(rwsem, t)) return BLOCKED;
        for (const v of inside) {
          const flags = k.vm_flags(v);
          set_vm_flags(k, v, op.writable ? flags | VM_WRITE : flags & ~VM_WRITE);
          if (op.writable) continue;
          if (k.vm_nr_pages(v)) change_pte_range(k, v);
          else hugetlb_change_protection(k, v);
        }
        for (const rwsem of rwsems) k.up_write(rwsem, t);
        vma_merge(k, op.proc, start, end);
        k.up_write(k.mmap_lock(op.proc), t);
        k.set_local(t, L_FLAGS, 0);
        k.set_result(t, refused ? Result.EINVAL : end < op.addr + op.len ? Result.ENOMEM : Result.OK);
        return DONE;
      },
    },
  }),
);
