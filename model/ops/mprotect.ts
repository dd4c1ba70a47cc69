/** mprotect of a range: split at its edges, then change VM_WRITE (hugetlb_change_protection). */
import type { Kernel } from "../kernel.js";
import { VM_WRITE } from "../layout.js";
import { needs_split, splitStep, type RangeOf } from "../mm/split.js";
import { huge_pte_wrprotect } from "../mm/pte.js";
import { find_vma, set_vm_flags, vmas_of } from "../mm/vma.js";
import { BLOCKED, DONE, procedure, Result } from "../types.js";
import { mmapWriteLockStep } from "./munmap.js";

/** hugetlb_change_protection: write-protect the VMA's ptes (under i_mmap_rwsem and the PTL). */
function hugetlb_change_protection(k: Kernel, vma: number): void {
  const p = k.L.vmaProc(vma);
  for (let addr = k.vm_start(vma); addr < k.vm_end(vma); addr++) {
    const pte = k.pte(p, addr);
    if (pte) k.set_pte(p, addr, huge_pte_wrprotect(pte));
  }
}

/**
 * do_mprotect_pkey changes VMA after VMA from the start and stops with ENOMEM at the first hole:
 * the range it splits and changes ends where the VMAs stop being contiguous.
 */
const mappedRange: RangeOf = (k, t) => {
  const op = k.op(t);
  const end = op.addr + op.len;
  let cursor = op.addr;
  for (let v = find_vma(k, op.proc, cursor); v && cursor < end; v = find_vma(k, op.proc, cursor)) cursor = k.vm_end(v);
  return [op.addr, Math.min(cursor, end)];
};

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
      return needs_split(k, t, mappedRange) ? pc.__split_vma : pc.mprotect_fixup;
    }),
    __split_vma: splitStep(
      mappedRange,
      () => pc.__split_vma,
      () => pc.mprotect_fixup,
    ),
    mprotect_fixup: {
      fn: "mprotect_fixup",
      reads: ["vma"],
      writes: ["vma", "pte", "i_mmap_rwsem"],
      run(k, t) {
        const op = k.op(t);
        const [start, end] = mappedRange(k, t);
        const inside = vmas_of(k, op.proc).filter((v) => k.vm_start(v) >= start && k.vm_end(v) <= end);
        const rwsems = [...new Set(inside.map((v) => k.i_mmap_rwsem(k.vm_file(v))))];
        for (const rwsem of rwsems) if (!k.down_write_trylock(rwsem, t)) return BLOCKED;
        for (const v of inside) {
          const flags = k.vm_flags(v);
          set_vm_flags(k, v, op.writable ? flags | VM_WRITE : flags & ~VM_WRITE);
          if (!op.writable) hugetlb_change_protection(k, v);
        }
        for (const rwsem of rwsems) k.up_write(rwsem, t);
        k.up_write(k.mmap_lock(op.proc), t);
        k.set_result(t, end < op.addr + op.len ? Result.ENOMEM : Result.OK);
        return DONE;
      },
    },
  }),
);
