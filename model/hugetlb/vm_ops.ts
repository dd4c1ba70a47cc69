/**
 * hugetlb_vm_ops and the VMA-lifetime hooks of mm/hugetlb.c: open (a split or copy took a new
 * VMA), close (return what the VMA still reserves), and what fork does to a private VMA.
 */
import type { Kernel } from "../kernel.js";
import { HPAGE_RESV_OWNER, HPAGE_RESV_UNMAPPED, VM_FLAGS, VM_PAGE_HUGE_DEV } from "../layout.js";
import { hugetlb_acct_memory } from "./pool.js";
import { resv_map_put } from "./reserve.js";
import { hugepage_subpool_put_pages } from "./subpool.js";

/**
 * vma->vm_ops->open and ->close, called where the kernel calls them (__split_vma, dup_mmap,
 * remove_vma). Of the VMAs' operations only hugetlbfs's (hugetlb_vm_ops) have them: seed 002's
 * /dev/page-huge page_vm_ops, shmem_anon_vm_ops and the page cache's have neither.
 */
function has_hugetlb_vm_ops(k: Kernel, vma: number): boolean {
  return k.is_vm_hugetlb_page(vma) && !(k.vm_flags(vma) & VM_PAGE_HUGE_DEV);
}
export function vm_ops_open(k: Kernel, vma: number): void {
  if (has_hugetlb_vm_ops(k, vma)) hugetlb_vm_op_open(k, vma);
}
export function vm_ops_close(k: Kernel, vma: number): void {
  if (has_hugetlb_vm_ops(k, vma)) hugetlb_vm_op_close(k, vma);
}

/**
 * hugetlb_vm_op_open (seed 003): the new half of a split shares its sibling's map; take a kref.
 * Before seed 003 there was no open hook and the copied count is the whole story; with the
 * count scheme the kref is taken only on the model's own record of consumed indices.
 */
function hugetlb_vm_op_open(k: Kernel, vma: number): void {
  if (k.vm_flags(vma) & HPAGE_RESV_OWNER && k.vma_resv_map(vma)) {
    const id = k.vma_resv_map(vma);
    k.set_resv_refs(id, k.resv_refs(id) + 1);
  }
}

/**
 * hugetlb_vm_op_close (owner only): return (end − start) − region_count(consumed) to the
 * subpool and the pool, counting only this VMA's part of the offset-indexed map. Before seed 003: the count kept in
 * vm_private_data, which a split copied into both halves.
 */
function hugetlb_vm_op_close(k: Kernel, vma: number): void {
  if (!(k.vm_flags(vma) & HPAGE_RESV_OWNER) || k.vma_is_shared(vma)) return;
  const id = k.vma_resv_map(vma);
  const reserve = k.eras.privateReserve.unused(k, vma);
  if (id) resv_map_put(k, id);
  if (reserve) hugetlb_acct_memory(k, -hugepage_subpool_put_pages(k, k.subpool_inode(k.vm_file(vma)), reserve));
}

/**
 * hugetlb_dup_vma_private (reset_vma_resv_huge_pages in the seeds): the child's copy of a
 * private VMA holds no map, no count and no owner flag; its faults take unreserved pages.
 */
export function hugetlb_dup_vma_private(k: Kernel, vma: number): void {
  if (k.vma_is_shared(vma)) return;
  k.set_vma_resv_map(vma, 0);
  k.set_vma_resv_huge_pages(vma, 0);
  k.w(vma + VM_FLAGS, k.vm_flags(vma) & ~(HPAGE_RESV_OWNER | HPAGE_RESV_UNMAPPED));
}
