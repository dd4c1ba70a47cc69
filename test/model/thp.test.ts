/**
 * Anonymous transparent huge pages mapped by pmd (mm/huge_memory.c, mm/gup.c of v6.18; v4.14's
 * touch_pmd and follow_trans_huge_pmd for Huge Dirty COW): operations run one after another,
 * every invariant checked at every step, the pmd and pages read after each operation.
 */
import { describe, expect, it } from "vitest";
import { config, runSequential, type Op, type ScenarioInput } from "../helpers/sequential.js";
import { exploreRef } from "../helpers/search.js";
import type { Kernel } from "../../model/kernel.js";
import { PAGE_IN_USE, PG_ANON_EXCLUSIVE, PG_HEAD } from "../../model/layout.js";
import { PMD_TABLE, pmd_dirty, pmd_page, pmd_trans_huge, pmd_write, pte_page, pte_special, pte_write } from "../../model/mm/pte.js";
import { findVariant } from "../../model/variant.js";

const touchPmdBug = findVariant("bug-touch-pmd-dirties-huge-zero")!;

/** One process with a THP mapping of `write` in slot 0 (4 KiB pages kept: 2), then `ops`. */
function thp(ops: Op[], kernel: ScenarioInput["kernel"] = {}, write = true, extra: Partial<ScenarioInput> = {}) {
  return config({
    kernel,
    processes: ["p"],
    threads: [{ name: "t", proc: "p", ops: [{ mmap4k: { addr: 0, pages: 2, write, thp: true } }, ...ops] }],
    ...extra,
  });
}
const pmd = (k: Kernel) => k.pte(0, 0);
const isHugeZero = (k: Kernel, v: number) => pmd_trans_huge(v) && pmd_page(v) === k.L.hugeZeroPage;
function thpsInUse(k: Kernel): number {
  let n = 0;
  for (let g = k.L.firstSmallPage; g <= k.L.lastPage; g++) if (k.page_state(g) === PAGE_IN_USE && k.page_test(g, PG_HEAD)) n++;
  return n;
}

describe("do_huge_pmd_anonymous_page (transparent_hugepage/enabled, use_zero_page, mm_forbids_zeropage)", () => {
  it("a read maps the huge zero page by a clean read-only pmd, with no reference; a write then COWs it into a THP (do_huge_zero_wp_pmd)", () => {
    const at = runSequential(thp([{ access4k: { addr: 0, page: 1 } }, { access4k: { addr: 0, page: 0, write: true } }]));
    const read = at(1).k;
    expect([isHugeZero(read, pmd(read)), pmd_write(pmd(read)), pmd_dirty(pmd(read)), read.page_ref(read.L.hugeZeroPage), thpsInUse(read)]).toEqual([true, false, false, 0, 0]);
    const { k } = at(2);
    const g = pmd_page(pmd(k));
    expect([pmd_trans_huge(pmd(k)), pmd_write(pmd(k)), pmd_dirty(pmd(k)), k.page_test(g, PG_HEAD), k.page_test(g, PG_ANON_EXCLUSIVE)]).toEqual([true, true, true, true, true]);
    expect([k.page_ref(g), k.page_mapcount(g), k.page_content(g), k.page_content(k.L.hugeZeroPage)]).toEqual([1, 1, 1, 0]);
  });

  it("with use_zero_page 0, or the zero page forbidden (this host: pvm_no_zero_page=1), a read allocates a THP: the huge zero page is never mapped", () => {
    for (const kernel of [{ thpZeroPage: false }, { zeroPage: "forbidden" as const }]) {
      const { k } = runSequential(thp([{ access4k: { addr: 0, page: 0 } }], kernel))(1);
      expect([pmd_trans_huge(pmd(k)), isHugeZero(k, pmd(k)), thpsInUse(k)]).toEqual([true, false, 1]);
    }
  });

  it("transparent_hugepage/enabled never: the 4 KiB path, under a page table (the 4 KiB zero page)", () => {
    const { k } = runSequential(thp([{ access4k: { addr: 0, page: 0 } }], { thp: "never" }))(1);
    expect([pmd(k), pte_special(k.small_pte(0, 0, 0)) && pte_page(k.small_pte(0, 0, 0)) === k.L.zeroPage]).toEqual([PMD_TABLE, true]);
  });

  it("no THP to allocate (thpPages 0): a write falls back to 4 KiB pages; a write to the huge zero page splits its pmd into zero ptes first", () => {
    const at = runSequential(thp([{ access4k: { addr: 0, page: 0 } }, { access4k: { addr: 0, page: 1, write: true } }], {}, true, { thpPages: 0 }));
    const { k } = at(2);
    expect([pmd(k), thpsInUse(k), pte_write(k.small_pte(0, 0, 1)), pte_special(k.small_pte(0, 0, 0)) && pte_page(k.small_pte(0, 0, 0)) === k.L.zeroPage]).toEqual([
      PMD_TABLE,
      0,
      true,
      true,
    ]);
  });
});

describe("zap_huge_pmd and follow_huge_pmd", () => {
  it("MADV_DONTNEED of the whole mapping, and munmap, free the THP and clear the pmd", () => {
    const at = runSequential(thp([{ access4k: { addr: 0, page: 0, write: true } }, { dontneed4k: { addr: 0, page: 0, pages: 2 } }, { access4k: { addr: 0, page: 0, write: true } }, { munmap: { addr: 0, len: 1 } }]));
    expect([pmd(at(2).k), thpsInUse(at(2).k), thpsInUse(at(3).k), pmd(at(4).k), thpsInUse(at(4).k)]).toEqual([0, 0, 1, 0, 0]);
  });

  it("a FOLL_FORCE write into a read-only mapping of the huge zero page COWs it into an exclusive THP, its pmd dirty and read-only; the huge zero page stays clean", () => {
    const { k, result } = runSequential(thp([{ access4k: { addr: 0, page: 0 } }, { gup4k: { addr: 0, page: 0, write: true, force: true } }], {}, false))(2);
    const g = pmd_page(pmd(k));
    expect([result, isHugeZero(k, pmd(k)), pmd_write(pmd(k)), pmd_dirty(pmd(k)), k.page_test(g, PG_ANON_EXCLUSIVE), k.page_content(g)]).toEqual(["ok", false, false, true, true, 1]);
    expect([k.page_content(k.L.hugeZeroPage), k.page_ref(k.L.hugeZeroPage)]).toEqual([0, 0]);
  });

  it("a get_user_pages read touches the pmd: today it stays clean (touch_pmd dirties for FOLL_WRITE only); v4.14 dirties the huge zero page's pmd", () => {
    const ops: Op[] = [{ access4k: { addr: 0, page: 0 } }, { gup4k: { addr: 0, page: 0 } }];
    const today = runSequential(thp(ops, {}, false))(2).k;
    const v4_14 = runSequential(thp(ops, {}, false), undefined, touchPmdBug)(2).k;
    expect([isHugeZero(today, pmd(today)), pmd_dirty(pmd(today)), isHugeZero(v4_14, pmd(v4_14)), pmd_dirty(pmd(v4_14))]).toEqual([true, false, true, true]);
  });
});

describe("Huge Dirty COW (a8f97366452e)", () => {
  it("v4.14's touch_pmd and can_follow_write_pmd hand the huge zero page to the forced write (zero-page); today's kernel passes", async () => {
    const run = (variant: string) => exploreRef({ name: "mm", args: { scenario: "huge-dirty-cow", variant } }, 1);
    const bug = await run(touchPmdBug.name);
    expect([bug.verdict, bug.violation?.invariant, bug.violation?.message]).toEqual(["violation", "zero-page", expect.stringContaining("the huge zero page")]);
    expect((await run("modern")).verdict).toBe("pass");
  });
});

describe("the loader refuses what would split a PMD-mapped THP", () => {
  const refused = (ops: Op[], extra: Partial<ScenarioInput> = {}) => () => thp(ops, {}, true, extra);
  it("fork (copy_huge_pmd), a part of it to MADV_DONTNEED, mlock, migrate, and THP of shmem", () => {
    expect(refused([{ fork: { child: "c" } }], { processes: ["p", "c"] })).toThrow(/copy_huge_pmd is not modelled/);
    expect(refused([{ dontneed4k: { addr: 0, page: 1, pages: 1 } }])).toThrow(/would split the pmd/);
    expect(refused([{ mlock4k: { addr: 0, pages: 2 } }])).toThrow(/mlock4k there is not modelled/);
    expect(refused([{ migrate: { addr: 0, page: 0 } }])).toThrow(/migrate of a THP is not modelled/);
    expect(() => config({ processes: ["p"], threads: [{ name: "t", proc: "p", ops: [{ mmap4k: { addr: 0, pages: 1, shared: true, thp: true } }] }] })).toThrow(/THP of shmem/);
  });
});
