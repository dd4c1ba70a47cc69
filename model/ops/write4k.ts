/**
 * write(2) of one whole 4 KiB page of a 4 KiB file (write4k): ext4_buffered_write_iter holds
 * inode_lock (i_rwsem) across generic_perform_write, which for the page takes the page-cache
 * folio locked (write_begin: __filemap_get_folio with FGP_LOCK | FGP_CREAT; a whole-page write
 * reads nothing in), copies the data, and in write_end extends i_size past the page if it was
 * shorter, then unlocks and releases the folio. The page cache only: no writeback, so the
 * file's blocks keep their old data (the model has no reclaim that would drop the page).
 */
import type { Kernel } from "../kernel.js";
import { filemap_add_folio, filemap_lock_or_alloc } from "../mm/filemap.js";
import { folio_put } from "../mm/page_alloc.js";
import { BLOCKED, DONE, procedure, Result } from "../types.js";

/** The thread's folio for op.page, locked and referenced: the cached one, or a new one added to the page cache. */
function write_begin(k: Kernel, t: number): number {
  const op = k.op(t);
  const cached = k.file4k_cache(op.file, op.page);
  const g = filemap_lock_or_alloc(k, t, cached);
  if (g === BLOCKED || g === cached) return g;
  filemap_add_folio(k, t, op.file, op.page, g);
  return g;
}

export const write4k = procedure<"inode_lock" | "generic_perform_write">("write4k", ["inode_lock", "generic_perform_write"], (pc) => ({
  inode_lock: {
    fn: "ext4_buffered_write_iter",
    label: "ext4_buffered_write_iter:inode_lock",
    reads: [],
    writes: ["i_rwsem"],
    run(k, t) {
      return k.trylock(k.file4k_i_rwsem(k.op(t).file), t) ? pc.generic_perform_write : BLOCKED;
    },
  },
  generic_perform_write: {
    fn: "generic_perform_write",
    label: "generic_perform_write:write_begin",
    reads: ["page_cache", "i_size"],
    writes: ["page_cache", "page", "page_lock", "i_size", "i_rwsem"],
    run(k, t) {
      const op = k.op(t);
      const g = write_begin(k, t);
      if (g === BLOCKED) return BLOCKED;
      k.set_page_content(g, t + 1); // copy_folio_from_iter_atomic
      if (op.page >= k.file4k_i_size(op.file)) k.set_file4k_i_size(op.file, op.page + 1); // write_end
      k.unlock(k.folio_lock_word(g), t);
      folio_put(k, g);
      k.unlock(k.file4k_i_rwsem(op.file), t);
      k.set_result(t, Result.OK);
      return DONE;
    },
  },
}));
