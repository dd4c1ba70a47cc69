/**
 * __split_vma: munmap or mprotect of part of a mapping splits the VMA first. The new half is a
 * copy (vm_area_dup copies vm_private_data: the map pointer since seed 003, the reservation
 * count before it), then vm_ops->open runs on it.
 */
import { vm_ops_open } from "../hugetlb/vm_ops.js";
import type { Kernel } from "../kernel.js";
import { VM_PGOFF, VM_START } from "../layout.js";
import { BLOCKED, type Step } from "../types.js";
import { set_vm_range, vm_area_dup, vma_link, vmas_of } from "./vma.js";

export function __split_vma(k: Kernel, vma: number, addr: number): void {
  const p = k.L.vmaProc(vma);
  const rec = vm_area_dup(k, vma);
  rec[VM_START] = addr;
  rec[VM_PGOFF] = k.vm_pgoff(vma) + (addr - k.vm_start(vma));
  set_vm_range(k, vma, k.vm_start(vma), addr, k.vm_pgoff(vma));
  vm_ops_open(k, vma_link(k, p, rec));
}

/** The next split that [start, end) needs in mm p: a VMA and the address to cut it at. */
export function next_split(k: Kernel, p: number, start: number, end: number): [number, number] | null {
  for (const v of vmas_of(k, p)) {
    if (k.vm_start(v) < start && start < k.vm_end(v)) return [v, start];
    if (k.vm_start(v) < end && end < k.vm_end(v)) return [v, end];
  }
  return null;
}

/** The range [start, end) of an operation, in the thread's mm. */
export type RangeOf = (k: Kernel, t: number) => [number, number];

/** Does [start, end) of the operation cut a VMA? */
export function needs_split(k: Kernel, t: number, range: RangeOf): boolean {
  const [start, end] = range(k, t);
  return next_split(k, k.op(t).proc, start, end) !== null;
}

/**
 * A step that makes one split of the range (vma_prepare takes i_mmap_rwsem for write); it
 * repeats while the range's edges still cut a VMA, then goes on to `next`. Enter it only when
 * needs_split.
 */
export function splitStep(range: RangeOf, self: () => number, next: () => number): Omit<Step, "label" | "id"> {
  return {
    fn: "__split_vma",
    reads: ["vma"],
    writes: ["vma", "resv_map", "i_mmap_rwsem"],
    run(k, t) {
      const [start, end] = range(k, t);
      const [vma, addr] = next_split(k, k.op(t).proc, start, end)!;
      const rwsem = k.i_mmap_rwsem(k.vm_file(vma));
      if (!k.down_write_trylock(rwsem, t)) return BLOCKED;
      __split_vma(k, vma, addr);
      k.up_write(rwsem, t);
      return needs_split(k, t, range) ? self() : next();
    },
  };
}
