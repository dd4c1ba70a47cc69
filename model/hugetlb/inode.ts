/**
 * Removing pages from a hugetlbfs file (fs/hugetlbfs/inode.c), shared by truncate, hole punch
 * and eviction: remove_inode_single_folio, run by remove_inode_hugepages for each index under
 * the index's fault mutex.
 */
import type { ModelConfig } from "../config.js";
import type { Kernel } from "../kernel.js";
import type { Variant } from "../variant.js";
import { hugetlb_unmap_file_folio, vmas_of_file } from "../mm/unmap.js";
import { folio_put } from "../mm/page_alloc.js";
import { hugetlb_acct_memory } from "./pool.js";
import { hugetlb_unreserve_pages } from "./reserve.js";
import { PG_RESTORE_RESERVE } from "../layout.js";
import { Splat } from "../splat.js";

/**
 * Takes the page at (f, idx) out of the page cache; true if it did. A fault may have
 * mapped it after the caller's unmap (it ran before the fault mutex was taken): unmap it again.
 * A hole punch (not truncate) returns the index's reservation at once; truncate does it for the
 * whole range at the end.
 */
export function remove_inode_single_folio(k: Kernel, f: number, idx: number, truncate_op: boolean): boolean {
  const g = k.page_cache(f, idx);
  if (!g) return false;
  if (k.page_mapcount(g) > 0) {
    // v4.3–v4.4: "Do nothing in this race case" (Variant.punchLeavesMappedPage).
    if (k.variant.punchLeavesMappedPage) return false;
    hugetlb_unmap_file_folio(k, f, idx);
  }
  if (k.page_test(g, PG_RESTORE_RESERVE)) k.splat(Splat.REMOVE_INODE_RESTORE_RESERVE);
  // hugetlb_delete_from_page_cache (the page lock is uncontended under the fault mutex).
  k.set_page_cache(f, idx, 0);
  k.set_page_mapping(g, 0, 0);
  folio_put(k, g);
  if (!truncate_op) hugetlb_unreserve_pages(k, f, idx, idx + 1, 1);
  return true;
}

/**
 * hugetlbfs_evict_inode: the last reference to a file without a name is gone. Its pages leave
 * the page cache (remove_inode_hugepages over the whole file) and its reservations go back to
 * the pool (hugetlb_unreserve_pages, then resv_map_release).
 */
function hugetlbfs_evict_inode(k: Kernel, f: number): void {
  let freed = 0;
  // Seed 000 predates reservations: nothing to count for hugetlb_unreserve_pages (as ftruncate).
  for (let idx = 0; idx < k.L.filePages; idx++) if (remove_inode_single_folio(k, f, idx, true) && !k.variant.hugetlbPrefault) freed++;
  hugetlb_unreserve_pages(k, f, 0, k.L.filePages, freed);
}

/**
 * iput_final, as the last munmap (through fput) or unlink reaches it: a file without a name and
 * without mappings is evicted. The model has no file descriptors; a mapping is what keeps it,
 * and a reference a syscall took with get_file (madvise_willneed) until its fput.
 */
export function iput_final(k: Kernel, f: number): void {
  if (k.i_unlinked(f) && k.i_file_refs(f) === 0 && vmas_of_file(k, f).length === 0) hugetlbfs_evict_inode(k, f);
}

/** get_file on a hugetlbfs file, beside its VMAs' references. */
export function hugetlbfs_get_file(k: Kernel, f: number): void {
  k.set_i_file_refs(f, k.i_file_refs(f) + 1);
}

/** fput of a get_file reference: the last reference to an unlinked, unmapped file evicts it. */
export function hugetlbfs_fput(k: Kernel, f: number): void {
  k.set_i_file_refs(f, k.i_file_refs(f) - 1);
  iput_final(k, f);
}

/**
 * hugetlbfs_parse_options of a kernel before v4.1, for the file's mount: `min_size=` is an option
 * it does not know, and the mount fails with -EINVAL. The reason, with the scenario field, or
 * undefined when the variant's kernel mounts the file as the scenario asks.
 */
export function hugetlbfs_bad_mount_option(cfg: ModelConfig, variant: Variant): string | undefined {
  const i = cfg.files.findIndex((f) => f.minHpages !== -1);
  if (i === -1 || variant.hugetlbfsMinSize) return undefined;
  return `files.${i}.min_size: ${variant.name}'s kernel predates min_size= (v4.1): "hugetlbfs: Bad mount option", the mount fails with EINVAL`;
}

/**
 * hugetlbfs_fill_super → hugepage_new_subpool, when the file's mount is made (before the
 * scenario): min_size is reserved in the global pool and held as the subpool's rsv_hpages.
 * False when the pool cannot hold it (the mount fails with -ENOMEM; the loader refuses it).
 */
export function hugepage_new_subpool(k: Kernel, spool: number): boolean {
  const min = k.spool_min_hpages(spool);
  if (min === -1) return true;
  if (!hugetlb_acct_memory(k, min)) return false;
  k.set_spool_rsv_hpages(spool, min);
  return true;
}
