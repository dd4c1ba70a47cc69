/**
 * A user load or store of one 4 KiB page (access4k). The access goes through the pte as the MMU
 * would: a present pte serves a load, a writable one a store (which writes the thread's number +
 * 1 into the page). Otherwise the page fault: do_user_addr_fault → lock_mm_and_find_vma (SIGSEGV
 * outside the VMA or for a store to a read-only one) → handle_mm_fault; when the fault returns,
 * mmap_lock is dropped and the access is tried again, as the faulting instruction is.
 */
import { L_IDX, L_VMA } from "../kernel.js";
import type { Kernel } from "../kernel.js";
import { VM_WRITE } from "../layout.js";
import { FAULT_FLAG_WRITE, handle_mm_fault, VM_FAULT_SIGBUS, smallFaultSteps, type Pc, type SmallFault } from "../mm/memory.js";
import { pmd_mkdirty, pmd_page, pmd_trans_huge, pmd_write, pte_page, pte_present, pte_write } from "../mm/pte.js";
import { find_vma, small_addr } from "../mm/vma.js";
import { BLOCKED, DONE, procedure, Result } from "../types.js";

/** The fault returned: the access is tried again without mmap_lock, or gets SIGBUS. */
function fault_return(k: Kernel, t: number, pc: Pc, vm_fault: number): number {
  k.up_read(k.mmap_lock(k.op(t).proc), t);
  k.set_local(t, L_VMA, 0);
  k.set_local(t, L_IDX, 0);
  if (!(vm_fault & VM_FAULT_SIGBUS)) return pc.access;
  k.set_result(t, Result.SIGBUS);
  return DONE;
}

export const access4k = (f: SmallFault) =>
  procedure<string>("access4k", ["access", ...f.steps], (pc) => ({
    access: {
      fn: "do_user_addr_fault",
      label: "do_user_addr_fault:access",
      reads: ["pte", "vma", "page"],
      writes: ["mmap_lock", "page"],
      run(k, t) {
        const op = k.op(t);
        const pmd = k.pte(op.proc, op.addr);
        if (pmd_trans_huge(pmd)) {
          // A THP (or the huge zero page) mapped by the pmd: a store through a writable pmd
          // writes the folio's content and sets the pmd's dirty bit, as the MMU does.
          if (!op.write || pmd_write(pmd)) {
            if (op.write) {
              k.set_page_content(pmd_page(pmd), t + 1);
              k.set_pte(op.proc, op.addr, pmd_mkdirty(pmd));
            }
            k.set_result(t, Result.OK);
            return DONE;
          }
        } else {
          const pte = k.small_pte(op.proc, op.addr, op.page);
          if (pte_present(pte) && (!op.write || pte_write(pte))) {
            if (op.write) k.set_page_content(pte_page(pte), t + 1);
            k.set_result(t, Result.OK);
            return DONE;
          }
        }
        if (!k.down_read_trylock(k.mmap_lock(op.proc), t)) return BLOCKED;
        const vma = find_vma(k, op.proc, small_addr(op.addr, op.page));
        if (!vma || (op.write && !(k.vm_flags(vma) & VM_WRITE))) {
          k.up_read(k.mmap_lock(op.proc), t);
          k.set_result(t, Result.SIGSEGV);
          return DONE;
        }
        k.set_local(t, L_VMA, vma);
        k.set_local(t, L_IDX, op.page);
        return handle_mm_fault(k, t, f, pc, op.write ? FAULT_FLAG_WRITE : 0, (k2, t2, vm_fault) => fault_return(k2, t2, pc, vm_fault));
      },
    },
    ...smallFaultSteps(f, pc, (k, t, vm_fault) => fault_return(k, t, pc, vm_fault)),
  }));
