/**
 * mlock and munlock of a whole 4 KiB VMA (mlock4k, munlock4k): do_mlock → mlock_fixup sets or
 * clears VM_LOCKED under mmap_lock for write; mlock then populates the VMA (model/mm/populate.ts)
 * and turns a -EFAULT into ENOMEM (__mlock_posix_error_return). PG_mlocked and the unevictable
 * LRU are not modelled. Locking part of a VMA would split it, which the model does not do for
 * 4 KiB VMAs: the scenario loader only accepts whole VMAs.
 */
import type { Kernel } from "../kernel.js";
import { VM_LOCKED } from "../layout.js";
import type { Pc } from "../mm/memory.js";
import type { PopulateEra } from "../mm/populate.js";
import { mmap_write_unlock_done, populateStepNames, populateSteps, type Populate } from "../mm/populate.js";
import { find_vma, set_vm_flags } from "../mm/vma.js";
import { BLOCKED, DONE, procedure, Result } from "../types.js";

/** mmap_write_lock and the VMA to change, or DONE (ENOMEM: nothing mapped there). */
function lock_and_find(k: Kernel, t: number): number {
  const op = k.op(t);
  if (!k.down_write_trylock(k.mmap_lock(op.proc), t)) return BLOCKED;
  const vma = find_vma(k, op.proc, op.addr);
  if (vma) return vma;
  k.up_write(k.mmap_lock(op.proc), t);
  k.set_result(t, Result.ENOMEM);
  return DONE;
}

/**
 * do_mlock for mlock and munlock alike: mmap_lock for write and the VMA, then `fixup` (the
 * VM_LOCKED change and what follows it), then the populate steps, which end with `end`.
 */
function mlockProcedure(
  name: string,
  fixup: (era: PopulateEra, k: Kernel, t: number, vma: number, flags: number, pc: Pc) => number,
  end: (k: Kernel, t: number, failed: boolean) => number,
) {
  return (pop: Populate) =>
    procedure<string>(name, ["mlock_fixup", ...populateStepNames(pop)], (pc) => ({
      mlock_fixup: {
        fn: "mlock_fixup",
        label: "do_mlock:mlock_fixup",
        reads: ["vma"],
        writes: ["mmap_lock", "vma"],
        run(k, t) {
          const vma = lock_and_find(k, t);
          if (vma < 0) return vma;
          return fixup(pop.era, k, t, vma, k.vm_flags(vma), pc);
        },
      },
      ...populateSteps(pop, pc, end),
    }));
}

export const mlock4k = mlockProcedure(
  "mlock4k",
  (era, k, t, vma, flags, pc) => era.mlock(k, t, vma, flags, pc),
  (k, t, failed) => {
    k.set_result(t, failed ? Result.ENOMEM : Result.OK);
    return DONE;
  },
);

export const munlock4k = mlockProcedure(
  "munlock4k",
  (era, k, t, vma, flags, pc) => {
    if (!(flags & VM_LOCKED)) return mmap_write_unlock_done(k, t);
    set_vm_flags(k, vma, flags & ~VM_LOCKED);
    return era.munlock(k, t, vma, pc);
  },
  // mlock_fixup ignores what munlock's __mlock_vma_pages_range returns.
  (k, t) => {
    k.set_result(t, Result.OK);
    return DONE;
  },
);
