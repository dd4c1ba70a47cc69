/**
 * The hugetlb VMA lock (mm/hugetlb.c, hugetlb_vma_lock_read and friends): a rw_semaphore that
 * hugetlb_fault takes for read after the fault mutex and holds to the end of the fault, and that
 * zap_page_range_single takes for write (hugetlb_zap_begin). A shared VMA has its own
 * hugetlb_vma_lock (__vma_shareable_lock); a private VMA that owns a reserve map uses
 * resv_map->rw_sema (__vma_private_lock), so both halves of a split share it; any other VMA has
 * none, and taking it is a no-op. variant.hugetlbVmaLock says which of these a kernel had.
 *
 * Kernel users of the lock the model leaves out:
 * - hugetlb_vmdelete_list (truncate, hole punch) takes it with hugetlb_vma_trylock_write and
 *   skips a VMA whose lock a fault holds; the model unmaps every VMA, as if the trylock always
 *   succeeded. For the page-cache pages of a skipped VMA that ends the same way: under each index's
 *   fault mutex remove_inode_single_folio unmaps them again (hugetlb_unmap_file_folio), as the
 *   model does after a refault. Not for its private COW copies past the new end, which the
 *   kernel then leaves mapped: the model does not have that window.
 * - hugetlb_unmap_file_folio (for a folio still mapped when truncate or hole punch removes it,
 *   under its fault mutex) takes i_mmap_rwsem and waits for the lock of each VMA that maps the
 *   folio; the model takes neither. A fault holding a VMA lock is on another index, and what it
 *   does commutes with this unmap. A MADV_DONTNEED holding both would clear that pte itself;
 *   in the model the truncate may clear it first, and the page is then freed when it leaves
 *   the page cache rather than at the zap's tlb_finish_mmu.
 * - unmap_vmas (munmap, exit) and copy_hugetlb_page_range (fork) run under mmap_lock for write,
 *   which already excludes every holder the model has: the faults and zaps of the same mm.
 */
import type { Kernel } from "../kernel.js";
import { RESV_RW_WRITER, VM_LOCK_WRITER } from "../layout.js";
import { owns_private_map } from "./reserve.js";

/** The offset of the VMA's lock (writer word; the readers' mask follows), or 0 for none. */
function hugetlb_vma_lock(k: Kernel, vma: number): number {
  const kind = k.variant.hugetlbVmaLock;
  if (kind === "none") return 0;
  if (k.vma_is_shared(vma)) return vma + VM_LOCK_WRITER;
  const id = k.vma_resv_map(vma);
  return kind === "__vma_private_lock" && id && owns_private_map(k, vma) ? k.L.resv(id) + RESV_RW_WRITER : 0;
}

/** Whether the VMA has a hugetlb VMA lock at all (__vma_shareable_lock || __vma_private_lock). */
export function hugetlb_vma_lock_exists(k: Kernel, vma: number): boolean {
  return hugetlb_vma_lock(k, vma) !== 0;
}

/** hugetlb_vma_lock_read: false means the step is blocked (a zap holds it for write). */
export function hugetlb_vma_lock_read(k: Kernel, vma: number, t: number): boolean {
  const off = hugetlb_vma_lock(k, vma);
  return !off || k.down_read_trylock(off, t);
}

export function hugetlb_vma_unlock_read(k: Kernel, vma: number, t: number): void {
  const off = hugetlb_vma_lock(k, vma);
  if (off) k.up_read(off, t);
}

/** hugetlb_vma_lock_write: false means the step is blocked (a fault holds it for read). */
export function hugetlb_vma_lock_write(k: Kernel, vma: number, t: number): boolean {
  const off = hugetlb_vma_lock(k, vma);
  return !off || k.down_write_trylock(off, t);
}

export function hugetlb_vma_unlock_write(k: Kernel, vma: number, t: number): void {
  const off = hugetlb_vma_lock(k, vma);
  if (off) k.up_write(off, t);
}
