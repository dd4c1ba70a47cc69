/**
 * Removing pages from a hugetlbfs file (fs/hugetlbfs/inode.c), shared by truncate and hole
 * punch: remove_inode_single_folio, run by remove_inode_hugepages for each index under the
 * index's fault mutex.
 */
import type { Kernel } from "../kernel.js";
import { hugetlb_unmap_file_folio } from "../mm/unmap.js";
import { folio_put } from "../mm/page_alloc.js";
import { hugetlb_unreserve_pages } from "./reserve.js";

/**
 * Takes the page at (f, idx) out of the page cache; true if there was one. A fault may have
 * mapped it after the caller's unmap (it ran before the fault mutex was taken): unmap it again.
 * A hole punch (not truncate) returns the index's reservation at once; truncate does it for the
 * whole range at the end.
 */
export function remove_inode_single_folio(k: Kernel, f: number, idx: number, truncate_op: boolean): boolean {
  const g = k.page_cache(f, idx);
  if (!g) return false;
  if (k.page_mapcount(g) > 0 && !k.variant.punchSkipsRemap) hugetlb_unmap_file_folio(k, f, idx);
  // hugetlb_delete_from_page_cache (the page lock is uncontended under the fault mutex).
  k.set_page_cache(f, idx, 0);
  k.set_page_mapping(g, 0, 0);
  folio_put(k, g);
  if (!truncate_op) hugetlb_unreserve_pages(k, f, idx, idx + 1, 1);
  return true;
}
