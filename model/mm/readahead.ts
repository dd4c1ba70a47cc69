/**
 * Readahead of a 4 KiB file's page cache (mm/readahead.c, v6.18), as MADV_WILLNEED reaches it
 * through vfs_fadvise → generic_fadvise(POSIX_FADV_WILLNEED) → force_page_cache_readahead.
 */
import type { Kernel } from "../kernel.js";
import { filemap_add_folio_read } from "./filemap.js";
import { folio_alloc, folio_put } from "./page_alloc.js";

/**
 * do_page_cache_ra → page_cache_ra_unbounded of file f's pages [from, to): under invalidate_lock
 * for read, each page inside i_size that is not cached is allocated, added to the page cache
 * locked, and read (read_pages; the read completes and unlocks it in the same step); a cached
 * page is skipped, not locked. The page cache keeps the only reference. False (nothing done)
 * while a truncate holds invalidate_lock. do_page_cache_ra reads i_size just before taking the
 * lock; the model reads it under the lock.
 */
export function page_cache_ra_unbounded(k: Kernel, t: number, f: number, from: number, to: number): boolean {
  const lock = k.invalidate_lock(f);
  if (!k.down_read_trylock(lock, t)) return false;
  const end = Math.min(to, k.file4k_i_size(f));
  for (let idx = from; idx < end; idx++) {
    if (k.file4k_cache(f, idx)) continue;
    const g = folio_alloc(k);
    k.lock_uncontended(k.folio_lock_word(g), t, "folio lock of a new readahead page");
    filemap_add_folio_read(k, t, f, idx, g);
    k.unlock(k.folio_lock_word(g), t);
    folio_put(k, g);
  }
  k.up_read(lock, t);
  return true;
}
