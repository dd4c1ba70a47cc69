/**
 * mlock and munlock of 4 KiB pages [page, page + pages) of a slot (mlock4k, munlock4k): do_mlock
 * takes mmap_lock for write and, when a VMA maps the range's start (else ENOMEM), changes
 * VM_LOCKED VMA after VMA with mlock_fixup, splitting a VMA the range covers in part
 * (model/mm/populate.ts); a hole is ENOMEM. mlock then populates the range (model/mm/populate.ts)
 * and turns a -EFAULT into ENOMEM (__mlock_posix_error_return); munlock ignores it.
 * PG_mlocked and the unevictable LRU are not modelled.
 */
import type { Kernel } from "../kernel.js";
import { populateStepNames, populateSteps, type Populate, type PopulateEnd } from "../mm/populate.js";
import { find_vma, small_addr } from "../mm/vma.js";
import { BLOCKED, DONE, procedure, Result } from "../types.js";

/**
 * do_mlock for mlock (`on`) and munlock alike: mmap_lock for write and a VMA at the range's
 * start, then the era's mlock_fixup loop and the populate steps, which end with `end`.
 */
function mlockProcedure(name: string, on: boolean, end: PopulateEnd) {
  return (pop: Populate) =>
    procedure<string>(name, ["mlock_fixup", ...populateStepNames(pop)], (pc) => ({
      mlock_fixup: {
        fn: "mlock_fixup",
        label: "do_mlock:mlock_fixup",
        reads: ["vma"],
        writes: ["mmap_lock", "vma"],
        run(k: Kernel, t: number) {
          const op = k.op(t);
          if (!k.down_write_trylock(k.mmap_lock(op.proc), t)) return BLOCKED;
          if (find_vma(k, op.proc, small_addr(op.addr, op.page))) return pop.era.mlock(k, t, on, pc, end);
          k.up_write(k.mmap_lock(op.proc), t);
          k.set_result(t, Result.ENOMEM);
          return DONE;
        },
      },
      ...populateSteps(pop, pc, end, on),
    }));
}

export const mlock4k = mlockProcedure("mlock4k", true, (k, t, error) => {
  k.set_result(t, error ? Result.ENOMEM : Result.OK);
  return DONE;
});

// mlock_fixup ignores what munlock's __mlock_vma_pages_range returns; a hole is still ENOMEM.
export const munlock4k = mlockProcedure("munlock4k", false, (k, t, error) => {
  k.set_result(t, error === Result.ENOMEM ? Result.ENOMEM : Result.OK);
  return DONE;
});
