/**
 * A kernel access to one page of a process through get_user_pages: gup4k for a 4 KiB page, gup
 * for a huge page of a hugetlb mapping (its lookup and fault in model/hugetlb/gup.ts, fault.ts):
 * - get_user_pages (FOLL_GET), as access_remote_vm does for ptrace and /proc/pid/mem: under
 *   mmap_lock for read, take the page, copy to it (a write: the thread's number + 1, then
 *   set_page_dirty_lock) or from it, put_page.
 * - pin_user_pages (FOLL_PIN, today), as direct I/O does: take the pin, drop mmap_lock, let the
 *   device read or write the page, then unpin_user_pages_dirty_lock. Seed 001's kernel has no
 *   FOLL_PIN: there it is get_user_pages held across the I/O.
 * - vmsplice (huge pages only): get_user_pages (FOLL_GET, a read) of the page into a pipe buffer,
 *   which holds the reference after mmap_lock is dropped until the pipe lets go of the buffer
 *   (a read that drains it, or the last close): pipe_buf_release → put_page.
 * `force` is FOLL_FORCE (ptrace may write a read-only private mapping); `longterm` FOLL_LONGTERM.
 */
import {
    hugetlb_handle_mm_fault,
  HUGETLB_FAULT_FLAGS,
  hugetlbFaultStepNames,
  hugetlbFaultSteps,
  type HugetlbFaultEra,
  type HugetlbFaultReturn,
  type HugeVmOperations,
} from "../hugetlb/fault.js";
import type { GupHugetlbEra } from "../hugetlb/gup.js";
import { L_FAULT_PTE, L_FLAGS, L_GUP, L_IDX, L_ORIG_PTE, L_VMA } from "../kernel.js";
import type { OpCall } from "../config.js";
import type { Kernel } from "../kernel.js";
import { EFAULT, FOLL_FORCE, FOLL_PIN, gupStepNames, gupSteps, NEED_FAULT, NEED_UNSHARE, type GetUserPages } from "../mm/gup.js";
import { FAULT_FLAG_UNSHARE, type Pc, type StepDef } from "../mm/memory.js";
import { folio_put } from "../mm/page_alloc.js";
import { find_vma, lock_mm_and_find_vma, small_addr } from "../mm/vma.js";
import { BLOCKED, DONE, procedure, Result } from "../types.js";

function finish(k: Kernel, t: number, result: number): number {
  for (let j = 0; j < k.L.gupPages; j++) k.set_gup_page(t, j, 0);
  k.set_local(t, L_VMA, 0);
  k.set_local(t, L_IDX, 0);
  k.set_local(t, L_FLAGS, 0);
  k.set_result(t, result);
  return DONE;
}

/**
 * The n pages __get_user_pages handed over (gup_page(t, 0 … n − 1)): a write needs every one's
 * lock free (set_page_dirty_lock; BLOCKED, nothing written, while one is held); each is written
 * (the thread's number + 1) and put, or unpinned (`pinned`: gup_put_folio, the zero page never
 * pinned). The result is ok, or `partial` when fewer pages came than the call asked for.
 */
function release_pages(k: Kernel, t: number, n: number, pinned: boolean): number {
  const op = k.op(t);
  if (op.write)
    for (let j = 0; j < n; j++) {
      const g = k.gup_page(t, j);
      if (!(pinned && k.is_zero_page(g)) && k.a[k.folio_lock_word(g)] !== 0) return BLOCKED;
    }
  for (let j = 0; j < n; j++) {
    const g = k.gup_page(t, j);
    if (pinned && k.is_zero_page(g)) continue;
    if (op.write) k.set_page_content(g, t + 1);
    if (pinned) k.add_pins(g, -1);
    folio_put(k, g);
  }
  if (!pinned) k.up_read(k.mmap_lock(op.proc), t);
  return finish(k, t, n < Math.max(1, op.pages) ? Result.PARTIAL : Result.OK);
}

/** How many pages __get_user_pages handed over: for gup4k, L_IDX is then the page past the last. */
function got(k: Kernel, t: number): number {
  return k.op(t).op === "gup4k" ? k.local(t, L_IDX) - k.op(t).page : 1;
}

/**
 * What the caller does with the pages once __get_user_pages returned them: get_user_pages'
 * caller copies under mmap_lock (access_remote_vm) and puts them; pin_user_pages' caller has
 * dropped mmap_lock and, once the I/O is done, unpins them.
 */
function gupCallerSteps(pc: Pc): Record<string, StepDef> {
  return {
    access_remote_vm: {
      fn: "access_remote_vm",
      label: "access_remote_vm:copy",
      reads: ["page"],
      writes: ["page", "page_lock", "mmap_lock"],
      run(k, t) {
        return release_pages(k, t, got(k, t), false);
      },
    },
    unpin_user_page: {
      fn: "unpin_user_pages_dirty_lock",
      reads: ["page"],
      writes: ["page", "page_lock"],
      run(k, t) {
        return release_pages(k, t, got(k, t), true);
      },
    },
  };
}

/**
 * vmsplice's pipe buffer (user_page_pipe_buf_ops, v6.18 fs/splice.c), released when the pipe is
 * drained or closed: page_cache_pipe_buf_release puts the reference get_user_pages took.
 */
function pipeBufSteps(): Record<string, StepDef> {
  return {
    pipe_buf_release: {
      fn: "pipe_buf_release",
      label: "pipe_buf_release:put_page",
      reads: ["page"],
      writes: ["page"],
      run(k, t) {
        folio_put(k, k.local(t, L_GUP));
        return finish(k, t, Result.OK);
      },
    },
  };
}

/**
 * __get_user_pages found page g: the caller's copy; or the reference kept across dropping
 * mmap_lock, a pin (pin_user_pages) or vmsplice's (`held`: iov_iter_get_pages2 →
 * get_user_pages_fast, whose slow path drops mmap_lock before add_to_pipe).
 */
function gup_page(k: Kernel, t: number, pc: Pc, g: number, held = false): number {
  k.set_local(t, L_GUP, g);
  return gup_done(k, t, pc, held);
}

/**
 * __get_user_pages for gup4k of `pages` pages from L_IDX: page g of the range is taken; the
 * next page (a VMA left behind is looked up again, gup_vma_lookup, and checked: a hole or a VMA
 * check_vma_flags refuses ends the call with the pages so far), or the caller once all are
 * taken. L_IDX ends past the last page taken.
 */
function gup4k_page(k: Kernel, t: number, pc: Pc, gup: GetUserPages, g: number): number {
  const op = k.op(t);
  const idx = k.local(t, L_IDX);
  k.set_gup_page(t, idx - op.page, g);
  k.set_local(t, L_IDX, idx + 1);
  if (idx + 1 === op.page + op.pages) return gup_done(k, t, pc);
  let vma = k.local(t, L_VMA);
  const crossing = idx + 1 >= k.vm_end_page(vma);
  if (crossing) {
    vma = find_vma(k, op.proc, small_addr(op.addr, idx + 1));
    if (!vma || !gup.era.check_vma_flags(k, vma, op.write, op.force, foll_flags(gup, k, vma, op))) return gup_done(k, t, pc);
    k.set_local(t, L_VMA, vma);
  }
  if (crossing || gup.era.foll_flags_per === "page") k.set_local(t, L_FLAGS, foll_flags(gup, k, vma, op));
  return pc.follow_page;
}

/** The call's gup_flags for a VMA, FOLL_FORCE added by the caller. */
function foll_flags(gup: GetUserPages, k: Kernel, vma: number, op: OpCall): number {
  return gup.era.gup_flags(k, vma, op) | (op.force ? FOLL_FORCE : 0);
}

/**
 * __get_user_pages returned its pages: the caller's copy; or the references kept across
 * dropping mmap_lock, the pins or vmsplice's (`held`).
 */
function gup_done(k: Kernel, t: number, pc: Pc, held = false): number {
  if (!held && !(k.local(t, L_FLAGS) & FOLL_PIN)) return pc.access_remote_vm;
  // __get_user_pages_locked drops mmap_lock; the referenced page outlives it, the VMA does
  // not (an exit or munmap may free it, and its slot be reused): no VMA is held.
  k.up_read(k.mmap_lock(k.op(t).proc), t);
  k.set_local(t, L_VMA, 0);
  return held ? pc.pipe_buf_release : pc.unpin_user_page;
}

/** __get_user_pages failed (-EFAULT, or the error of the fault): mmap_lock is dropped. */
function gup_error(k: Kernel, t: number, result: number): number {
  k.up_read(k.mmap_lock(k.op(t).proc), t);
  return finish(k, t, result);
}

export const gup4k = (gup: GetUserPages) => {
  // lock_mm_and_find_vma's test of the VMA found: a 4 KiB VMA that check_vma_flags accepts.
  const usable = (k: Kernel, t: number, v: number): boolean => {
    const op = k.op(t);
    return k.vm_nr_pages(v) > 0 && gup.era.check_vma_flags(k, v, op.write, op.force, gup.era.gup_flags(k, v, op));
  };
  return procedure<string>(
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
          const vma = lock_mm_and_find_vma(k, t, usable);
          if (vma === BLOCKED) return BLOCKED;
          if (!vma) return finish(k, t, Result.EFAULT);
          k.set_local(t, L_VMA, vma);
          k.set_local(t, L_IDX, op.page);
          k.set_local(t, L_FLAGS, foll_flags(gup, k, vma, op));
          return pc.follow_page;
        },
      },
      ...gupSteps(gup, pc, {
        page: (k, t, g) => gup4k_page(k, t, pc, gup, g),
        // A fault that failed after the first page: __get_user_pages returns the pages it has.
        error: (k, t) => (k.local(t, L_IDX) > k.op(t).page ? gup_done(k, t, pc) : gup_error(k, t, Result.EFAULT)),
      }),
      ...gupCallerSteps(pc),
    }),
  );
};

/**
 * get_user_pages / pin_user_pages of one huge page (gup), as `era` looks it up; a miss is
 * faulted by faultin_page → hugetlb_fault (`fault`, or a driver's ->fault, `dev`), which returns
 * with mmap_lock held, and the lookup is tried again. A fault that failed ends the call:
 * vm_fault_to_errno makes VM_FAULT_OOM -ENOMEM and SIGBUS -EFAULT. `vmsplice`: the same
 * get_user_pages for vmsplice_to_pipe, the page then held by the pipe until pipe_buf_release.
 */
export const gupHugetlb = (era: GupHugetlbEra, fault: HugetlbFaultEra, dev: HugeVmOperations | null, name: "gup" | "vmsplice" = "gup") => {
  const held = name === "vmsplice";
  const callerNames = held ? ["pipe_buf_release"] : ["access_remote_vm", "unpin_user_page"];
  // lock_mm_and_find_vma's test of the VMA found: a hugetlb VMA that check_vma_flags accepts.
  const usable = (k: Kernel, t: number, v: number): boolean => {
    const op = k.op(t);
    return k.is_vm_hugetlb_page(v) && era.check_vma_flags(k, v, op.write, op.force, era.gup_flags(op));
  };
  return procedure<string>(name, ["mmap_read_lock", "follow_page_mask", ...hugetlbFaultStepNames(dev), ...callerNames], (pc) => {
    const faultin_page_return: HugetlbFaultReturn = (k, t, result, retry) => {
      k.set_local(t, L_FAULT_PTE, 0);
      k.set_local(t, L_ORIG_PTE, 0);
      k.set_local(t, L_IDX, 0);
      k.set_local(t, L_FLAGS, k.local(t, L_FLAGS) & ~HUGETLB_FAULT_FLAGS);
      if (retry || result === Result.OK) {
        // __get_user_pages goes on with its VMA, which mmap_lock kept (a fault that waited
        // for a migration entry let go of the fault's reference to it).
        k.set_local(t, L_VMA, find_vma(k, k.op(t).proc, k.op(t).addr));
        return pc.follow_page_mask;
      }
      return gup_error(k, t, result === Result.SIGBUS ? Result.EFAULT : result);
    };
    return {
      mmap_read_lock: {
        fn: "__get_user_pages_locked",
        label: "__get_user_pages_locked:mmap_read_lock",
        reads: ["vma"],
        writes: ["mmap_lock"],
        run(k, t) {
          const op = k.op(t);
          const vma = lock_mm_and_find_vma(k, t, usable);
          if (vma === BLOCKED) return BLOCKED;
          if (!vma) return finish(k, t, Result.EFAULT);
          k.set_local(t, L_VMA, vma);
          k.set_local(t, L_FLAGS, era.gup_flags(op) | (op.force ? FOLL_FORCE : 0));
          return pc.follow_page_mask;
        },
      },
      follow_page_mask: {
        fn: "__get_user_pages",
        label: "__get_user_pages:follow_page_mask",
        reads: ["pte", "page"],
        writes: ["ptl", "page"],
        run(k, t) {
          const op = k.op(t);
          if (!k.spin_lock(k.ptl(op.proc), t)) return BLOCKED;
          const flags = k.local(t, L_FLAGS);
          const page = era.follow(k, k.pte(op.proc, op.addr), k.local(t, L_VMA), flags);
          k.spin_unlock(k.ptl(op.proc), t);
          if (page === EFAULT) return gup_error(k, t, Result.EFAULT);
          if (page === NEED_UNSHARE) return hugetlb_handle_mm_fault(k, t, pc, dev, FAULT_FLAG_UNSHARE);
          if (page === NEED_FAULT) return hugetlb_handle_mm_fault(k, t, pc, dev, era.fault_flags(flags));
          return gup_page(k, t, pc, page, held);
        },
      },
      ...hugetlbFaultSteps(fault, dev, pc, faultin_page_return),
      ...(held ? pipeBufSteps() : gupCallerSteps(pc)),
    };
  });
};
