/** Process exit: exit_mmap unmaps and closes every VMA; the mm's other threads are gone. */
import { MM_EXITED } from "../layout.js";
import { DONE, procedure, Result } from "../types.js";
import { mmapWriteLockStep, unmapRegionStep, wholeMm } from "./munmap.js";

export const exitMmap = procedure<"mmap_write_lock" | "exit_mmap">(
  "exit",
  ["mmap_write_lock", "exit_mmap"],
  (pc) => ({
    mmap_write_lock: mmapWriteLockStep(() => pc.exit_mmap),
    exit_mmap: {
      ...unmapRegionStep(
        wholeMm,
        () => pc.exit_mmap,
        (k, t) => {
          k.set_mm_state(k.op(t).proc, MM_EXITED);
          k.up_write(k.mmap_lock(k.op(t).proc), t);
          k.set_result(t, Result.OK);
          return DONE;
        },
      ),
      fn: "exit_mmap",
    },
  }),
);
