/**
 * Seed 002 as posted (2007, "pagetable_ops: Hugetlb character device example", against
 * 2.6.21-rc): drivers/char/page.c, the /dev/page-huge character device. mmap of it goes through
 * page_mmap (no reservations; the VMA is VM_HUGETLB with the device's vm_ops) and its faults
 * through the device's page_fault, under the one hugetlb_instantiation_mutex, its error paths
 * included; a COW fault calls the hugetlb_cow of its time (mm/hugetlb.fault.v2.6.21.ts).
 */
import type { Kernel } from "../../kernel.js";
import { L_ORIG_PTE, L_PAGE, L_VMA } from "../../kernel.js";
import { PG_ANON, POISON, VM_HUGETLB, VM_PAGE_HUGE_DEV, VM_WRITE } from "../../layout.js";
import { fault_mutex_lock, fault_return, fault_write, hugetlb_wp, type HugeVmOperations } from "../../hugetlb/fault.js";
import { hugetlb_cow_v2_6_21 } from "../../hugetlb/fault.v2.6.21.js";
import { alloc_hugetlb_folio } from "../../hugetlb/alloc.js";
import { huge_pte_write, make_huge_pte } from "../../mm/pte.js";
import { vma_link, vma_record } from "../../mm/vma.js";
import { BLOCKED, Result } from "../../types.js";

/**
 * page_mmap: private mappings only, from offset 0 (the huge-page alignment and size checks
 * cannot fail in the model's units); no reservation is made; faults go to page_fault. Called
 * by the mmap procedure with inode_lock and mmap_lock held; returns the result, or BLOCKED.
 */
export function page_mmap(k: Kernel, t: number): number {
  const op = k.op(t);
  if (op.shared || op.pgoff) return Result.EINVAL;
  const rwsem = k.i_mmap_rwsem(op.file);
  if (!k.down_write_trylock(rwsem, t)) return BLOCKED;
  const flags = VM_HUGETLB | VM_PAGE_HUGE_DEV | (op.writable ? VM_WRITE : 0);
  vma_link(k, op.proc, vma_record(op.addr, op.addr + op.len, 0, flags, op.file));
  k.up_write(rwsem, t);
  return Result.OK;
}

/**
 * The device's operations: the seed adds a pagetable_operations_struct to the VMA beside its
 * vm_ops (page_vm_ops, whose only hook is .nopage), and the hugetlb fault path calls its
 * ->fault, page_fault, exactly as posted.
 */
export const page_pagetable_ops: HugeVmOperations = {
  name: "page_pagetable_ops",
  steps: ["page_fault", "page_fault_pte_none", "page_fault_cow"],
  fault: (pc) => pc.page_fault,
  build: (pc, ret) => ({
    page_fault: {
      fn: "page_fault",
      label: "page_fault:mutex_lock",
      reads: ["pte"],
      writes: ["fault_mutex", "pool", "page", "vma"],
      run(k, t) {
        if (!fault_mutex_lock(k, t)) return BLOCKED;
        const op = k.op(t);
        const entry = k.pte(op.proc, op.addr);
        k.set_local(t, L_ORIG_PTE, entry);
        if (entry) return pc.page_fault_cow;
        const vma = k.local(t, L_VMA);
        const g = alloc_hugetlb_folio(k, vma, op.addr, true);
        if (!g) {
          // "if (!page) return VM_FAULT_OOM;" — with hugetlb_instantiation_mutex still held.
          return ret(k, t, Result.ENOMEM, false);
        }
        k.vmf_anon_prepare(vma);
        k.page_set(g, PG_ANON);
        k.set_local(t, L_PAGE, g);
        return pc.page_fault_pte_none;
      },
    },
    page_fault_pte_none: {
      fn: "page_fault",
      label: "page_fault:pte_none",
      reads: ["pte"],
      writes: ["ptl", "pte", "page"],
      run(k, t) {
        const op = k.op(t);
        if (!k.spin_lock(k.ptl(op.proc), t)) return BLOCKED;
        const g = k.local(t, L_PAGE);
        k.set_local(t, L_PAGE, 0);
        if (k.pte(op.proc, op.addr)) {
          // "if (!pte_none(*ptep)) goto out;" — the new page is neither mapped nor freed.
          k.spin_unlock(k.ptl(op.proc), t);
          return fault_return(k, t, ret, Result.OK);
        }
        k.add_mapcount(g, 1);
        // make_huge_pte(vma, page, 0): read-only, so a write comes back as a COW fault.
        k.set_pte(op.proc, op.addr, make_huge_pte(g, false));
        k.spin_unlock(k.ptl(op.proc), t);
        return fault_return(k, t, ret, Result.OK, fault_write(k, t));
      },
    },
    page_fault_cow: {
      fn: "page_fault",
      label: "page_fault:pte_same",
      reads: ["pte", "page"],
      writes: ["ptl", "pte", "page", "pool"],
      run(k, t) {
        const op = k.op(t);
        if (!k.spin_lock(k.ptl(op.proc), t)) return BLOCKED;
        const entry = k.local(t, L_ORIG_PTE);
        // "int ret;" is assigned on the pte_none path and by hugetlb_cow only: a read fault, a
        // write to a writable pte, or a pte changed meanwhile returns it uninitialised.
        const vm_fault = POISON;
        // "Check for a racing update before calling hugetlb_cow"
        if (k.pte(op.proc, op.addr) === entry && fault_write(k, t) && !huge_pte_write(entry)) return hugetlb_wp(k, t, pc, ret, hugetlb_cow_v2_6_21);
        k.spin_unlock(k.ptl(op.proc), t);
        return fault_return(k, t, ret, vm_fault);
      },
    },
  }),
};
