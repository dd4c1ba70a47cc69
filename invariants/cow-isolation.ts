/**
 * A write through a private mapping is never seen through another mapping, nor reaches the file
 * (kernel-notes §3, §5, §6): when a write access through a MAP_PRIVATE VMA completes, the page it
 * wrote is mapped by no other pte, in any process, and is neither in the page cache nor a file's
 * block (a DAX mapping maps blocks by pfn); a get_user_pages write there never wrote a page-cache
 * page, nor, for a huge page, an anonymous page another process maps.
 */
import type { OpCall } from "../model/config.js";
import type { Kernel } from "../model/kernel.js";
import { L_FAULT_PTE, L_GUP, L_VMA } from "../model/kernel.js";
import { PG_ANON } from "../model/layout.js";
import { find_vma, small_addr } from "../model/mm/vma.js";
import { huge_pte_write, pmd_page, pmd_trans_huge, pte_page, pte_present } from "../model/mm/pte.js";
import { Result } from "../model/types.js";
import type { Invariant } from "./types.js";

/** A store through a private 4 KiB mapping (access4k) completed: the page it wrote (a THP's through its pmd). */
function smallWrite(k: Kernel, op: OpCall): string | null {
  const vma = find_vma(k, op.proc, small_addr(op.addr, op.page));
  if (!vma || k.vma_is_shared(vma)) return null;
  const pmd = k.pte(op.proc, op.addr);
  if (pmd_trans_huge(pmd)) return thpWrite(k, op, pmd_page(pmd));
  const g = pte_page(k.small_pte(op.proc, op.addr, op.page));
  if (k.page_mapping(g)) return `${op.text} wrote page${g}, which is in the page cache: a private write reached the file`;
  if (g > k.L.lastPage) return `${op.text} wrote block ${g} of a DAX file through a private mapping: the write reached the file`;
  let ptes = 0;
  for (let p = 0; p < k.L.procs; p++) {
    const [from, to] = k.L.smallPteRange(p);
    for (let off = from; off < to; off++) if (k.a[off] && pte_page(k.a[off]!) === g) ptes++;
  }
  if (ptes > 1) return `${op.text} wrote page${g}, which ${ptes - 1} other pte(s) map: the write is seen through another mapping`;
  return null;
}

/** A store through a private THP mapping wrote THP g: no other pmd maps it. */
function thpWrite(k: Kernel, op: OpCall, g: number): string | null {
  let pmds = 0;
  for (let p = 0; p < k.L.procs; p++) for (let a = 0; a < k.L.addrPages; a++) if (pmd_trans_huge(k.pte(p, a)) && pmd_page(k.pte(p, a)) === g) pmds++;
  if (pmds > 1) return `${op.text} wrote THP page${g}, which ${pmds - 1} other pmd(s) map: the write is seen through another mapping`;
  return null;
}

/**
 * A get_user_pages write (gup4k: ptrace or /proc/pid/mem, FOLL_FORCE or not) through a private
 * mapping completed: the page it wrote (L_GUP until the step that ends it) must not be the
 * file's page-cache page (Dirty COW). A pin's write comes after mmap_lock was dropped, when no
 * VMA is held (L_VMA 0) and the mapping may be gone: it is not judged.
 */
function gupWrite(before: Kernel, thread: number, op: OpCall): string | null {
  const vma = before.local(thread, L_VMA);
  if (!vma || before.vma_is_shared(vma)) return null;
  for (let j = 0; j < before.L.gupPages; j++) {
    const g = before.gup_page(thread, j);
    if (g && before.page_mapping(g))
      return `${op.text} wrote page${g}, which is in the page cache: a get_user_pages write through a private mapping reached the file`;
  }
  return null;
}

/**
 * A get_user_pages write to a huge page (gup) completed: through a private mapping it must not
 * have written a page-cache page (judged while the VMA is held, as for gup4k); and the page,
 * pinned or not, must not be an anonymous page another process maps: a pinned page that fork
 * shared and the parent's COW then left to the child shows the device's write in the child.
 */
function hugeGupWrite(before: Kernel, after: Kernel, thread: number, op: OpCall): string | null {
  const g = before.local(thread, L_GUP);
  if (!g) return null;
  const vma = before.local(thread, L_VMA);
  if (vma && !before.vma_is_shared(vma) && before.page_mapping(g))
    return `${op.text} wrote page${g}, which is in the page cache: a get_user_pages write through a private mapping reached the file`;
  if (!before.page_test(g, PG_ANON)) return null;
  for (let p = 0; p < after.L.procs; p++) {
    if (p === op.proc) continue;
    for (let a = 0; a < after.L.addrPages; a++) {
      const pte = after.pte(p, a);
      if (pte_present(pte) && pte_page(pte) === g)
        return `${op.text} wrote page${g}, which process ${p} maps: a write through a private mapping is seen in another process`;
    }
  }
  return null;
}

export const cowIsolation: Invariant = {
  name: "cow-isolation",
  summary: "a write through one private mapping is never seen through another mapping, nor reaches the file",
  onOpEnd: true,
  step({ before, after, thread, opEnded }) {
    // A get_user_pages of several pages that got some (partial) wrote those.
    if (!opEnded || (after.thread_result(thread) !== Result.OK && after.thread_result(thread) !== Result.PARTIAL)) return null;
    const op = before.op(thread);
    if (op.op === "access4k") return op.write ? smallWrite(after, op) : null;
    if (op.op === "gup4k") return op.write ? gupWrite(before, thread, op) : null;
    if (op.op === "gup") return op.write ? hugeGupWrite(before, after, thread, op) : null;
    const vma = before.local(thread, L_VMA);
    if (op.op !== "fault" || !op.write || !vma || before.vma_is_shared(vma)) return null;
    const pte = after.a[before.local(thread, L_FAULT_PTE) - 1]!;
    // A fault that lost its pte to a migration entry ends without writing (the access retries).
    if (!pte_present(pte) || !huge_pte_write(pte)) return null;
    const g = pte_page(pte);
    if (after.page_mapping(g)) return `${op.text} wrote page${g}, which is in the page cache: a private write reached the file`;
    let ptes = 0;
    for (let p = 0; p < after.L.procs; p++)
      for (let a = 0; a < after.L.addrPages; a++) if (after.pte(p, a) && pte_page(after.pte(p, a)) === g) ptes++;
    if (ptes > 1) return `${op.text} wrote page${g}, which ${ptes - 1} other pte(s) map: the write is seen through another mapping`;
    return null;
  },
};
