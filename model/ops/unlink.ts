/**
 * unlink of a hugetlbfs file (vfs_unlink under the inode's lock): the name goes; the inode stays
 * while a mapping uses it, and is evicted with the last one (iput_final).
 */
import { iput_final } from "../hugetlb/inode.js";
import { BLOCKED, DONE, procedure, Result } from "../types.js";

export const unlink = procedure<"vfs_unlink">("unlink", ["vfs_unlink"], () => ({
  vfs_unlink: {
    fn: "vfs_unlink",
    reads: ["vma"],
    writes: ["page_cache", "page", "pool", "resv_map", "i_rwsem"],
    run(k, t) {
      const op = k.op(t);
      if (!k.trylock(k.i_rwsem(op.file), t)) return BLOCKED;
      k.set_i_unlinked(op.file);
      iput_final(k, op.file);
      k.unlock(k.i_rwsem(op.file), t);
      k.set_result(t, Result.OK);
      return DONE;
    },
  },
}));
