/**
 * gup4k of several pages (`pages`): __get_user_pages of v6.18 walks them VMA by VMA
 * (gup_vma_lookup, check_vma_flags where a VMA ends) and returns the pages it has when a hole, a
 * refused VMA or a failed fault stops it after the first page (partial), -EFAULT when at the first.
 */
import { describe, expect, it } from "vitest";
import { reproduce } from "../../explorer/trace.js";
import { INVARIANTS } from "../../invariants/index.js";
import { Machine } from "../../model/machine.js";
import { PG_PINS } from "../../model/layout.js";
import { pte_page } from "../../model/mm/pte.js";
import { vmas_of } from "../../model/mm/vma.js";
import { Result } from "../../model/types.js";
import { findVariant } from "../../model/variant.js";
import { config, runSequential } from "../helpers/sequential.js";

const split = {
  processes: ["p"],
  setup: [
    {
      proc: "p",
      ops: [{ mmap4k: { addr: 0, pages: 5 } }, { mprotect: { addr: 1, len: 1, unit: "4k" as const, write: false } }, { munmap: { addr: 4, len: 1, unit: "4k" as const } }],
    },
  ],
};

function results(ops: unknown[]): string[] {
  const cfg = config({ ...split, threads: [{ name: "t", proc: "p", ops: ops as never }] });
  const at = runSequential(cfg);
  return ops.map((_, i) => at(i).result);
}

describe("gup4k of several pages", () => {
  it("the setup made three VMAs and a hole", () => {
    const cfg = config({ ...split, threads: [{ name: "t", proc: "p", ops: [{ gup4k: { addr: 0, page: 0 } }] }] });
    const k = new Machine(cfg, findVariant("modern")!).view(new Machine(cfg, findVariant("modern")!).initial());
    expect(vmas_of(k, 0).map((v) => [k.vm_first_page(v), k.vm_end_page(v)])).toEqual([
      [0, 1],
      [1, 2],
      [2, 4],
    ]);
  });

  it("a read crosses the split and stops at the hole: partial; all before it: ok", () => {
    expect(results([{ gup4k: { addr: 0, page: 0, pages: 5 } }, { gup4k: { addr: 0, page: 0, pages: 4 } }])).toEqual(["partial", "ok"]);
  });

  it("a write stops at the read-only VMA (partial), a forced one goes through it; none at the first page is EFAULT", () => {
    expect(
      results([
        { gup4k: { addr: 0, page: 0, pages: 3, write: true } },
        { gup4k: { addr: 0, page: 1, pages: 2, write: true } },
        { gup4k: { addr: 0, page: 0, pages: 3, write: true, force: true } },
        { gup4k: { addr: 0, page: 4, pages: 1 } },
      ]),
    ).toEqual(["partial", "EFAULT", "ok", "EFAULT"]);
  });

  it("a pin holds every page it got until the I/O is done, and writes each", () => {
    const cfg = config({ ...split, threads: [{ name: "t", proc: "p", ops: [{ gup4k: { addr: 0, page: 2, pages: 3, write: true, pin: true } }] }] });
    const m = new Machine(cfg, findVariant("modern")!);
    let s = m.initial().slice();
    // Step until mmap_lock is dropped with the pins held (the unpin step is next).
    for (;;) {
      const next = new Int32Array(m.stateWords);
      expect(m.step(s, 0, next)).not.toBeNull();
      s = next;
      if (m.k.view(s).gup_page(0, 1)) break;
    }
    const k = m.k.view(s);
    const pinned = [k.gup_page(0, 0), k.gup_page(0, 1)];
    expect(pinned.map((g) => k.a[k.L.page(g) + PG_PINS])).toEqual([1, 1]);
    expect(pinned).toEqual([2, 3].map((i) => pte_page(k.small_pte(0, 0, i))));
    const next = new Int32Array(m.stateWords);
    m.step(s, 0, next);
    const after = m.k.view(next);
    expect(after.thread_result(0)).toBe(Result.PARTIAL);
    expect(pinned.map((g) => [after.a[after.L.page(g) + PG_PINS], after.page_content(g)])).toEqual([
      [0, 1],
      [0, 1],
    ]);
  });

  it("a range past the slot's pages or of several pages of a THP mapping is refused", () => {
    expect(() => config({ ...split, threads: [{ name: "t", proc: "p", ops: [{ gup4k: { addr: 0, page: 3, pages: 3 } }] }] })).toThrow(/gup4k.pages: past the 5 pages/);
    expect(() =>
      config({ processes: ["p"], setup: [{ proc: "p", ops: [{ mmap4k: { addr: 0, pages: 2, thp: true } }] }], threads: [{ name: "t", proc: "p", ops: [{ gup4k: { addr: 0, page: 0, pages: 2 } }] }] }),
    ).toThrow(/THP mapping/);
  });

  it("foll_flags come back per page (v4.8 on) or per VMA (2.6.31): a forced write over two zero pages of a read-only VMA", () => {
    // The read maps the zero page at both (seed 001's kernel and v4.8 map it); the forced write
    // COWs page 0 (VM_FAULT_WRITE drops FOLL_WRITE in both); 2.6.31 then follows page 1 of the
    // same VMA as a read and hands the zero page to the write.
    const cfg = config({
      kernel: { zeroPage: "mapped" },
      processes: ["p"],
      setup: [{ proc: "p", ops: [{ mmap4k: { addr: 0, pages: 2, write: false } }] }],
      threads: [{ name: "t", proc: "p", ops: [{ gup4k: { addr: 0, page: 0, pages: 2 } }, { gup4k: { addr: 0, page: 0, pages: 2, write: true, force: true } }] }],
    });
    const violation = (variant: string) => {
      const m = new Machine(cfg, findVariant(variant)!);
      let s = m.initial().slice();
      const trace: number[] = [];
      while (!m.done(s, 0)) {
        const next = new Int32Array(m.stateWords);
        expect(m.step(s, 0, next)).not.toBeNull();
        trace.push(0);
        s = next;
      }
      return reproduce(m, INVARIANTS, trace)?.invariant ?? null;
    };
    expect(violation("seed-001")).toBe("zero-page");
    expect(violation("bug-gup-drops-foll-write")).toBeNull();
  });
});
