/**
 * A kernel access to one 4 KiB page of a process through get_user_pages (gup4k):
 * - get_user_pages (FOLL_GET), as access_remote_vm does for ptrace and /proc/pid/mem: under
 *   mmap_lock for read, take the page, copy to it (a write: the thread's number + 1, then
 *   set_page_dirty_lock) or from it, put_page.
 * - pin_user_pages (FOLL_PIN, today), as direct I/O does: take the pin, drop mmap_lock, let the
 *   device read or write the page, then unpin_user_pages_dirty_lock. Seed 001's kernel has no
 *   FOLL_PIN: there it is get_user_pages held across the I/O.
 * `force` is FOLL_FORCE (ptrace may write a read-only private mapping); `longterm` FOLL_LONGTERM.
 */
import { L_FLAGS, L_GUP, L_IDX, L_VMA } from "../kernel.js";
import type { Kernel } from "../kernel.js";
import { FOLL_FORCE, FOLL_PIN, gupStepNames, gupSteps, type GetUserPages } from "../mm/gup.js";
import { folio_put } from "../mm/page_alloc.js";
import { lock_mm_and_find_vma } from "../mm/vma.js";
import { BLOCKED, DONE, procedure, Result } from "../types.js";

function finish(k: Kernel, t: number, result: number): number {
  k.set_local(t, L_GUP, 0);
  k.set_local(t, L_VMA, 0);
  k.set_local(t, L_IDX, 0);
  k.set_local(t, L_FLAGS, 0);
  k.set_result(t, result);
  return DONE;
}

/** The caller writes the page: set_page_dirty_lock around it (BLOCKED while someone holds the lock). */
function write_page(k: Kernel, t: number, g: number): boolean {
  if (k.a[k.folio_lock_word(g)] !== 0) return false;
  k.set_page_content(g, t + 1);
  return true;
}

export const gup4k = (gup: GetUserPages) =>
  procedure<string>(
    "gup4k",
    ["mmap_read_lock", ...gupStepNames(gup), "access_remote_vm", "unpin_user_page"],
    (pc) => ({
      mmap_read_lock: {
        fn: "__get_user_pages_locked",
        label: "__get_user_pages_locked:mmap_read_lock",
        reads: ["vma"],
        writes: ["mmap_lock"],
        run(k, t) {
          const op = k.op(t);
          const vma = lock_mm_and_find_vma(k, t, (v) => k.vm_nr_pages(v) > 0 && gup.era.check_vma_flags(k, v, op.write, op.force, gup.era.gup_flags(k, v, op)));
          if (vma === BLOCKED) return BLOCKED;
          if (!vma) return finish(k, t, Result.EFAULT);
          k.set_local(t, L_VMA, vma);
          k.set_local(t, L_IDX, op.page);
          k.set_local(t, L_FLAGS, gup.era.gup_flags(k, vma, op) | (op.force ? FOLL_FORCE : 0));
          return pc.follow_page;
        },
      },
      ...gupSteps(gup, pc, {
        page(k, t, g) {
          k.set_local(t, L_GUP, g);
          if (!(k.local(t, L_FLAGS) & FOLL_PIN)) return pc.access_remote_vm;
          // __get_user_pages_locked drops mmap_lock; the pinned page outlives it, the VMA does
          // not (an exit or munmap may free it, and its slot be reused): no VMA is held.
          k.up_read(k.mmap_lock(k.op(t).proc), t);
          k.set_local(t, L_VMA, 0);
          return pc.unpin_user_page;
        },
        error(k, t) {
          k.up_read(k.mmap_lock(k.op(t).proc), t);
          return finish(k, t, Result.EFAULT);
        },
      }),
      access_remote_vm: {
        fn: "access_remote_vm",
        label: "access_remote_vm:copy",
        reads: ["page"],
        writes: ["page", "page_lock", "mmap_lock"],
        run(k, t) {
          const op = k.op(t);
          const g = k.local(t, L_GUP);
          if (op.write && !write_page(k, t, g)) return BLOCKED;
          folio_put(k, g);
          k.up_read(k.mmap_lock(op.proc), t);
          return finish(k, t, Result.OK);
        },
      },
      unpin_user_page: {
        fn: "unpin_user_pages_dirty_lock",
        reads: ["page"],
        writes: ["page", "page_lock"],
        run(k, t) {
          const op = k.op(t);
          const g = k.local(t, L_GUP);
          // gup_put_folio: the zero page was never pinned.
          if (!k.is_zero_page(g)) {
            if (op.write && !write_page(k, t, g)) return BLOCKED;
            k.add_pins(g, -1);
            folio_put(k, g);
          }
          return finish(k, t, Result.OK);
        },
      },
    }),
  );
