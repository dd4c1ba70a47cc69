/**
 * Behaviour of the 4 KiB model against the kernel (kernel-notes §4, §6; mm/memory.c, mm/gup.c,
 * mm/mlock.c, mm/shmem.c of v6.18), and of seed 001 as posted where it differs: operations run
 * one after another (no interleaving), the ptes, pages and results read at the end of each
 * operation, and every invariant checked at every step on the way.
 */
import { describe, expect, it } from "vitest";
import { search } from "../helpers/search.js";
import { config, runSequential, type Op } from "../helpers/sequential.js";
import { INVARIANTS } from "../../invariants/index.js";
import type { ModelConfig } from "../../model/config.js";
import type { Invariant } from "../../invariants/types.js";
import { L_FAULT_PTE, L_ORIG_PTE, type Kernel } from "../../model/kernel.js";
import { PAGE_BUDDY, PAGE_IN_USE, PG_ANON, PG_ANON_EXCLUSIVE, VM_ANON_VMA, VM_LOCKED, VM_WRITE } from "../../model/layout.js";
import { Machine } from "../../model/machine.js";
import { pte_page, pte_special, pte_write } from "../../model/mm/pte.js";
import { vm_normal_page } from "../../model/mm/memory.js";
import { find_vma, vmas_of } from "../../model/mm/vma.js";
import { findVariant } from "../../model/variant.js";

const modern = findVariant("modern")!;
const seed001 = findVariant("seed-001")!;

/** One process, one thread running `ops`. */
function single(ops: Op[]): ModelConfig {
  return config({ processes: ["p"], threads: [{ name: "t", proc: "p", ops }] });
}

/** A parent forking a child: the parent's thread is 0, the child's 1. */
function forked(parent: Op[], child: Op[]): ModelConfig {
  return config({
    processes: ["parent", "child"],
    threads: [
      { name: "parent", proc: "parent", ops: parent },
      { name: "child", proc: "child", ops: child },
    ],
  });
}

const run = runSequential;

/** The 4 KiB pte of process p at slot 0, page i. */
const pte = (k: Kernel, p: number, i: number) => k.small_pte(p, 0, i);
const isZero = (k: Kernel, v: number) => v !== 0 && pte_special(v) && pte_page(v) === k.L.zeroPage;
function smallPagesInUse(k: Kernel): number {
  let n = 0;
  for (let g = k.L.zeroPage + 1; g <= k.L.lastPage; g++) if (k.page_state(g) === PAGE_IN_USE) n++;
  return n;
}
/** The zero page as get_user_pages and the rmap see it: no reference, no mapcount, never written. */
function expectZeroPageUntouched(k: Kernel): void {
  const z = k.L.zeroPage;
  expect([k.page_ref(z), k.page_mapcount(z), k.page_content(z), k.a[k.folio_lock_word(z)]]).toEqual([0, 0, 0, 0]);
}

describe("private anonymous memory: the zero page (do_anonymous_page, wp_page_copy)", () => {
  const ops: Op[] = [
    { mmap4k: { addr: 0, pages: 2 } },
    { access4k: { addr: 0, page: 0 } },
    { access4k: { addr: 0, page: 0, write: true } },
    { access4k: { addr: 0, page: 1, write: true } },
    { munmap: { addr: 0, len: 1 } },
  ];
  const x = run(single(ops));

  it("a read fault maps the zero page with a special, read-only pte: no page allocated, no refcount, no mapcount", () => {
    const { k, result } = x(1);
    expect(result).toBe("ok");
    expect(isZero(k, pte(k, 0, 0))).toBe(true);
    expect(pte_write(pte(k, 0, 0))).toBe(false);
    expect(vm_normal_page(pte(k, 0, 0))).toBe(0);
    expect(smallPagesInUse(k)).toBe(0);
    expectZeroPageUntouched(k);
    // do_anonymous_page's zero-page path prepares no anon_vma.
    expect(k.vm_flags(find_vma(k, 0, 0)) & VM_ANON_VMA).toBe(0);
  });

  it("a write to the zero page copies it into a fresh zeroed page, mapped writable and exclusive; the zero page is untouched", () => {
    const { k } = x(2);
    const g = pte_page(pte(k, 0, 0));
    expect(pte_special(pte(k, 0, 0))).toBe(false);
    expect(pte_write(pte(k, 0, 0))).toBe(true);
    expect([k.page_ref(g), k.page_mapcount(g)]).toEqual([1, 1]);
    expect(k.page_test(g, PG_ANON) && k.page_test(g, PG_ANON_EXCLUSIVE)).toBe(true);
    expect(k.page_content(g)).toBe(1); // the store of thread 0
    expectZeroPageUntouched(k);
  });

  it("a write to an untouched page maps a zeroed page of its own at once", () => {
    const { k } = x(3);
    const g = pte_page(pte(k, 0, 1));
    expect([k.page_ref(g), k.page_mapcount(g), pte_write(pte(k, 0, 1))]).toEqual([1, 1, true]);
    expect(smallPagesInUse(k)).toBe(2);
  });

  it("munmap frees both pages; nothing is left mapped", () => {
    const { k } = x(4);
    expect([pte(k, 0, 0), pte(k, 0, 1)]).toEqual([0, 0]);
    expect(smallPagesInUse(k)).toBe(0);
    expectZeroPageUntouched(k);
  });

  it("a store to a read-only mapping is SIGSEGV; a load maps the zero page there too", () => {
    const y = run(single([{ mmap4k: { addr: 0, pages: 1, write: false } }, { access4k: { addr: 0, page: 0, write: true } }, { access4k: { addr: 0, page: 0 } }]));
    expect(y(1).result).toBe("SIGSEGV");
    expect(pte(y(1).k, 0, 0)).toBe(0);
    expect(isZero(y(2).k, pte(y(2).k, 0, 0))).toBe(true);
  });
});

describe("a kernel that forbids the zero page (kernel: { zeroPage: forbidden }, mm_forbids_zeropage)", () => {
  /** A test-only invariant: no pte of the scenario's 4 KiB slots maps the zero page. */
  const noZeroPte: Invariant = {
    name: "no-zero-pte",
    summary: "the zero page is never mapped",
    state({ k }) {
      for (let p = 0; p < k.cfg.processes.length; p++)
        for (const { slot, pages } of k.cfg.smallSlots)
          for (let i = 0; i < pages; i++) if (isZero(k, k.small_pte(p, slot, i))) return `process ${p} maps the zero page at ${slot}.${i}`;
      return null;
    },
  };
  const forbidden = (ops: Op[]) => config({ kernel: { zeroPage: "forbidden" }, processes: ["p"], threads: [{ name: "t", proc: "p", ops }] });

  it("a read fault allocates a zeroed page of its own: mapped writable where the VMA is, mapcount 1, exclusive; the zero page is untouched", () => {
    const x = run(forbidden([{ mmap4k: { addr: 0, pages: 2 } }, { access4k: { addr: 0, page: 0 } }, { mmap4k: { addr: 1, pages: 1, write: false } }, { access4k: { addr: 1, page: 0 } }]));
    const { k, result } = x(1);
    expect(result).toBe("ok");
    const g = vm_normal_page(pte(k, 0, 0));
    expect(g).not.toBe(0);
    expect(pte_write(pte(k, 0, 0))).toBe(true);
    expect([k.page_mapcount(g), k.page_ref(g), k.page_content(g)]).toEqual([1, 1, 0]);
    expect(k.page_test(g, PG_ANON) && k.page_test(g, PG_ANON_EXCLUSIVE)).toBe(true);
    expect(k.vm_flags(find_vma(k, 0, 0)) & VM_ANON_VMA).not.toBe(0);
    const ro = x(3).k;
    const r = ro.small_pte(0, 1, 0);
    expect(vm_normal_page(r)).not.toBe(0);
    expect(pte_write(r)).toBe(false);
    expectZeroPageUntouched(ro);
  });

  it("the same reads map the zero page where the kernel has it", () => {
    const { k } = run(single([{ mmap4k: { addr: 0, pages: 2 } }, { access4k: { addr: 0, page: 0 } }]))(1);
    expect(isZero(k, pte(k, 0, 0))).toBe(true);
  });

  for (const variant of [modern, seed001]) {
    it(`${variant.name}: no interleaving of reads, writes, mlock, get_user_pages and fork ever maps the zero page`, async () => {
      const cfg = config({
        kernel: { zeroPage: "forbidden" },
        processes: ["parent", "child"],
        setup: [{ proc: "parent", ops: [{ mmap4k: { addr: 0, pages: 2, write: false } }, { mmap4k: { addr: 1, pages: 2 } }] }],
        threads: [
          { name: "parent", proc: "parent", ops: [{ access4k: { addr: 1, page: 0 } }, { fork: { child: "child" } }, { mlock4k: { addr: 0, pages: 2 } }] },
          { name: "other", proc: "parent", ops: [{ gup4k: { addr: 0, page: 1, write: true, force: true } }, { access4k: { addr: 1, page: 1 } }] },
        ],
      });
      const r = await search(new Machine(cfg, variant), [...INVARIANTS, noZeroPte]);
      expect(r.violation?.message).toBeUndefined();
      expect(r.stats.distinctStates).toBeGreaterThan(10);
      // The same scenario on a kernel with the zero page maps it: the check can fail.
      const mapped = await search(new Machine({ ...cfg, kernel: { zeroPage: "mapped" } }, variant), [noZeroPte]);
      expect(mapped.violation?.invariant).toBe("no-zero-pte");
    });
  }
});

describe("shared anonymous memory is shmem: never the zero page", () => {
  it("a read allocates a real page in the shmem page cache, mapped writable in a writable VMA; fork leaves the child to fault the same page in", () => {
    const c = forked(
      [{ mmap4k: { addr: 0, pages: 1, shared: true } }, { access4k: { addr: 0, page: 0 } }, { fork: { child: "child" } }],
      [{ access4k: { addr: 0, page: 0, write: true } }, "exit"],
    );
    const x = run(c, [0, 0, 0, 1, 1]);
    const k = x(1).k;
    const g = pte_page(pte(k, 0, 0));
    expect(pte_special(pte(k, 0, 0))).toBe(false);
    expect(pte_write(pte(k, 0, 0))).toBe(true);
    expect(k.shmem_cache(0, 0)).toBe(g);
    expect([k.page_ref(g), k.page_mapcount(g), k.page_test(g, PG_ANON)]).toEqual([2, 1, false]);
    expect(pte(x(2).k, 1, 0)).toBe(0); // no anon_vma: copy_page_range skips the VMA
    const after = x(3).k;
    expect(pte_page(pte(after, 1, 0))).toBe(g);
    expect([after.page_ref(g), after.page_mapcount(g), after.page_content(g)]).toEqual([3, 2, 2]);
    expect(after.page_content(pte_page(pte(after, 0, 0)))).toBe(2); // the parent sees the child's store
    expectZeroPageUntouched(after);
  });

  it("the last munmap evicts the shmem inode and frees its pages", () => {
    const x = run(single([{ mmap4k: { addr: 0, pages: 2, shared: true } }, { access4k: { addr: 0, page: 1 } }, { munmap: { addr: 0, len: 1 } }]));
    expect(smallPagesInUse(x(1).k)).toBe(1);
    expect(x(2).k.shmem_cache(0, 1)).toBe(0);
    expect(smallPagesInUse(x(2).k)).toBe(0);
  });
});

describe("fork of private anonymous memory (copy_present_pte, kernel-notes §6)", () => {
  const c = forked(
    [
      { mmap4k: { addr: 0, pages: 2 } },
      { access4k: { addr: 0, page: 0 } },
      { access4k: { addr: 0, page: 1, write: true } },
      { fork: { child: "child" } },
      { access4k: { addr: 0, page: 1, write: true } },
    ],
    [{ access4k: { addr: 0, page: 1, write: true } }, { access4k: { addr: 0, page: 0, write: true } }, "exit"],
  );
  const x = run(c, [0, 0, 0, 0, 1, 0, 1, 1]);

  it("the zero pte is copied as it is, with no reference; the anonymous page gets one, and both its ptes become read-only", () => {
    const { k } = x(3);
    expect(isZero(k, pte(k, 1, 0))).toBe(true);
    expectZeroPageUntouched(k);
    const g = pte_page(pte(k, 0, 1));
    expect(pte_page(pte(k, 1, 1))).toBe(g);
    expect([pte_write(pte(k, 0, 1)), pte_write(pte(k, 1, 1))]).toEqual([false, false]);
    expect([k.page_ref(g), k.page_mapcount(g), k.page_test(g, PG_ANON_EXCLUSIVE)]).toEqual([2, 2, false]);
  });

  it("the child's write copies the page (with what the parent wrote before fork); then the parent's write reuses its page in place", () => {
    const before = x(3).k;
    const g = pte_page(pte(before, 0, 1));
    const child = x(4).k;
    const copy = pte_page(pte(child, 1, 1));
    expect(copy).not.toBe(g);
    expect(child.page_content(copy)).toBe(2);
    expect(child.page_content(g)).toBe(1);
    const parent = x(5).k;
    expect(pte_page(pte(parent, 0, 1))).toBe(g);
    expect(pte_write(pte(parent, 0, 1))).toBe(true);
    expect(parent.page_ref(g)).toBe(1);
  });

  it("the child's write to its zero pte maps a zeroed page; the parent keeps the zero page; exit releases the child's pages", () => {
    const { k } = x(6);
    expect(k.page_content(pte_page(pte(k, 1, 0)))).toBe(2);
    expect(isZero(k, pte(k, 0, 0))).toBe(true);
    const end = x(7).k;
    expect(smallPagesInUse(end)).toBe(1);
    expectZeroPageUntouched(end);
  });

  it("a VMA with only zero ptes has no anon_vma: the child gets no ptes and faults its own (vma_needs_copy)", () => {
    const y = run(
      forked([{ mmap4k: { addr: 0, pages: 1 } }, { access4k: { addr: 0, page: 0 } }, { fork: { child: "child" } }], [{ access4k: { addr: 0, page: 0 } }]),
      [0, 0, 0, 1],
    );
    expect(pte(y(2).k, 1, 0)).toBe(0);
    expect(isZero(y(3).k, pte(y(3).k, 1, 0))).toBe(true);
  });
});

describe("mlock and MAP_POPULATE (__mm_populate)", () => {
  it("mlock of a writable region write-faults every page: the zero page becomes a real page; a read-only region keeps zero pages and gets more", () => {
    const x = run(
      single([
        { mmap4k: { addr: 0, pages: 2 } },
        { access4k: { addr: 0, page: 0 } },
        { mlock4k: { addr: 0, pages: 2 } },
        { mmap4k: { addr: 1, pages: 2, write: false } },
        { access4k: { addr: 1, page: 0 } },
        { mlock4k: { addr: 1, pages: 2 } },
      ]),
    );
    const k = x(2).k;
    expect(x(2).result).toBe("ok");
    for (const i of [0, 1]) expect(pte_special(pte(k, 0, i)) || pte(k, 0, i) === 0).toBe(false);
    expect(k.vm_flags(find_vma(k, 0, 0)) & VM_LOCKED).toBe(VM_LOCKED);
    const ro = x(5).k;
    expect(x(5).result).toBe("ok");
    expect([isZero(ro, ro.small_pte(0, 1, 0)), isZero(ro, ro.small_pte(0, 1, 1))]).toEqual([true, true]);
    expectZeroPageUntouched(ro);
  });

  it("MAP_POPULATE: a writable private mapping gets real pages, a read-only one zero pages, a shared one shmem pages", () => {
    const x = run(
      single([
        { mmap4k: { addr: 0, pages: 2, populate: true } },
        { mmap4k: { addr: 1, pages: 2, write: false, populate: true } },
        { mmap4k: { addr: 2, pages: 1, shared: true, write: false, populate: true } },
      ]),
    );
    const k = x(2).k;
    expect([0, 1].map((i) => pte_special(k.small_pte(0, 0, i)) || !k.small_pte(0, 0, i))).toEqual([false, false]);
    expect([0, 1].map((i) => isZero(k, k.small_pte(0, 1, i)))).toEqual([true, true]);
    expect(pte_page(k.small_pte(0, 2, 0))).toBe(k.shmem_cache(0, 0));
    expect(pte_write(k.small_pte(0, 2, 0))).toBe(false);
  });

  it("the child of an mlocked process is not mlocked (VM_LOCKED_MASK is cleared)", () => {
    const y = run(forked([{ mmap4k: { addr: 0, pages: 1 } }, { mlock4k: { addr: 0, pages: 1 } }, { fork: { child: "child" } }], ["exit"]), [0, 0, 0]);
    expect(y(2).k.vm_flags(vmas_of(y(2).k, 1)[0]!) & VM_LOCKED).toBe(0);
  });

  it("MADV_DONTNEED drops the ptes (zero page and real pages); on a VM_LOCKED VMA it is EINVAL", () => {
    const x = run(
      single([
        { mmap4k: { addr: 0, pages: 2 } },
        { access4k: { addr: 0, page: 0 } },
        { access4k: { addr: 0, page: 1, write: true } },
        { dontneed4k: { addr: 0, pages: 2 } },
        { mlock4k: { addr: 0, pages: 2 } },
        { dontneed4k: { addr: 0, pages: 2 } },
      ]),
    );
    expect([pte(x(3).k, 0, 0), pte(x(3).k, 0, 1)]).toEqual([0, 0]);
    expect(smallPagesInUse(x(3).k)).toBe(0);
    expect(x(5).result).toBe("EINVAL");
  });
});

describe("get_user_pages never hands out the zero page for writing (today's mm/gup.c)", () => {
  it("FOLL_WRITE on a zero pte write-faults first: the caller gets the fresh copy, the zero page stays clean", () => {
    const x = run(single([{ mmap4k: { addr: 0, pages: 1 } }, { access4k: { addr: 0, page: 0 } }, { gup4k: { addr: 0, page: 0, write: true } }]));
    const k = x(2).k;
    const g = pte_page(pte(k, 0, 0));
    expect(pte_special(pte(k, 0, 0))).toBe(false);
    expect(k.page_content(g)).toBe(1);
    expectZeroPageUntouched(k);
  });

  it("FOLL_FORCE write into a read-only private mapping breaks COW: an exclusive anonymous page, its pte still read-only", () => {
    const x = run(single([{ mmap4k: { addr: 0, pages: 1, write: false } }, { access4k: { addr: 0, page: 0 } }, { gup4k: { addr: 0, page: 0, write: true, force: true } }]));
    const k = x(2).k;
    const g = pte_page(pte(k, 0, 0));
    expect([pte_special(pte(k, 0, 0)), pte_write(pte(k, 0, 0))]).toEqual([false, false]);
    expect(k.page_test(g, PG_ANON_EXCLUSIVE)).toBe(true);
    expect(k.page_content(g)).toBe(1);
    expectZeroPageUntouched(k);
  });

  it("a write without FOLL_FORCE to a read-only mapping, or with it to a shared one, is EFAULT (check_vma_flags)", () => {
    const x = run(
      single([
        { mmap4k: { addr: 0, pages: 1, write: false } },
        { gup4k: { addr: 0, page: 0, write: true } },
        { mmap4k: { addr: 1, pages: 1, shared: true, write: false } },
        { gup4k: { addr: 1, page: 0, write: true, force: true } },
      ]),
    );
    expect([x(1).result, x(3).result]).toEqual(["EFAULT", "EFAULT"]);
  });

  it("a R/O pin of the zero page takes no pin; a long-term one unshares it into an exclusive anonymous page first (gup_must_unshare)", () => {
    const c = config({
      processes: ["p"],
      setup: [{ proc: "p", ops: [{ mmap4k: { addr: 0, pages: 2 } }, { access4k: { addr: 0, page: 0 } }, { access4k: { addr: 0, page: 1 } }] }],
      threads: [
        {
          name: "t",
          proc: "p",
          ops: [
            { gup4k: { addr: 0, page: 0, pin: true } },
            { gup4k: { addr: 0, page: 1, pin: true, longterm: true } },
          ],
        },
      ],
    });
    const x = run(c);
    expect(isZero(x(0).k, pte(x(0).k, 0, 0))).toBe(true);
    const k = x(1).k;
    const g = pte_page(pte(k, 0, 1));
    expect([pte_special(pte(k, 0, 1)), pte_write(pte(k, 0, 1)), k.page_test(g, PG_ANON_EXCLUSIVE)]).toEqual([false, false, true]);
    expect([k.page_ref(g), k.page_pins(g)]).toEqual([1, 0]);
    expectZeroPageUntouched(k);
  });

  it("fork while a page is pinned for DMA copies it for the child at once; the parent keeps the pinned page writable", () => {
    const c = config({
      processes: ["parent", "child"],
      setup: [{ proc: "parent", ops: [{ mmap4k: { addr: 0, pages: 1 } }, { access4k: { addr: 0, page: 0, write: true } }] }],
      threads: [
        { name: "dio", proc: "parent", ops: [{ gup4k: { addr: 0, page: 0, write: true, pin: true } }] },
        { name: "forker", proc: "parent", ops: [{ fork: { child: "child" } }] },
      ],
    });
    const m = new Machine(c, modern);
    let s = m.initial().slice();
    const stepTo = (t: number, label: string) => {
      for (;;) {
        const next = new Int32Array(m.stateWords);
        const tr = m.step(s, t, next)!;
        s = next;
        if (tr.step.label === label) return;
      }
    };
    stepTo(0, "__get_user_pages:follow_page"); // pinned, mmap_lock dropped
    stepTo(1, "dup_mmap");
    const k = m.k.view(s);
    const g = pte_page(pte(k, 0, 0));
    expect(k.page_pins(g)).toBe(1);
    expect(pte_write(pte(k, 0, 0))).toBe(true);
    expect(k.page_test(g, PG_ANON_EXCLUSIVE)).toBe(true);
    const copy = pte_page(pte(k, 1, 0));
    expect(copy).not.toBe(g);
    expect([k.page_content(copy), k.page_mapcount(g), k.page_mapcount(copy)]).toEqual([k.page_content(g), 1, 1]);
  });
});

describe("get_user_pages of a private 4 KiB file mapping (filemap_fault, do_cow_fault; /proc/pid/mem)", () => {
  /** One process mapping the 1-page file `data` in slot 0 (privately and read-only unless `how` says), running `ops` after. */
  const filed = (ops: Op[], how: { shared?: boolean; write?: boolean } = { write: false }) =>
    config({
      files4k: [{ name: "data", pages: 1 }],
      processes: ["p"],
      threads: [{ name: "t", proc: "p", ops: [{ mmap4k: { addr: 0, pages: 1, file: "data", ...how } }, ...ops] }],
    });
  const fileData = (k: Kernel) => k.page_content(k.block(0, 0));

  it("a FOLL_FORCE write breaks COW: the write lands in an exclusive anonymous copy, mapped read-only; the page cache keeps the file's data", () => {
    for (const variant of [modern, findVariant("bug-gup-drops-foll-write")!]) {
      const x = run(filed([{ gup4k: { addr: 0, page: 0, write: true, force: true } }, { access4k: { addr: 0, page: 0 } }]), undefined, variant);
      const k = x(1).k;
      const g = pte_page(pte(k, 0, 0));
      expect(x(1).result).toBe("ok");
      expect([pte_write(pte(k, 0, 0)), k.page_test(g, PG_ANON), k.page_content(g)]).toEqual([false, true, 1]);
      expect(k.page_content(k.file4k_cache(0, 0))).toBe(fileData(k));
      expect(fileData(k)).not.toBe(1);
    }
  });

  it("a read returns the page-cache page itself, and gives its reference back", () => {
    const x = run(filed([{ gup4k: { addr: 0, page: 0 } }]));
    const k = x(1).k;
    const g = k.file4k_cache(0, 0);
    expect(pte_page(pte(k, 0, 0))).toBe(g);
    expect([k.page_ref(g), k.page_mapcount(g)]).toEqual([2, 1]); // the page cache's and the pte's
  });

  it("MAP_SHARED: a write pin writes the page-cache page itself; a long-term one is EFAULT (writable_file_mapping_allowed)", () => {
    const pins: Op[] = [{ gup4k: { addr: 0, page: 0, write: true, pin: true } }, { gup4k: { addr: 0, page: 0, write: true, pin: true, longterm: true } }];
    const x = run(filed(pins, { shared: true }));
    const k = x(1).k;
    const g = k.file4k_cache(0, 0);
    expect(x(1).result).toBe("ok");
    expect([pte_page(pte(k, 0, 0)), pte_write(pte(k, 0, 0)), k.page_content(g), k.page_pins(g)]).toEqual([g, true, 1, 0]);
    expect(x(2).result).toBe("EFAULT");
  });

  it("past i_size the fault's SIGBUS is EFAULT (vm_fault_to_errno), not a lookup retried forever", () => {
    const x = run(filed([{ ftruncate4k: { file: "data", size: 0 } }, { gup4k: { addr: 0, page: 0, write: true, force: true } }, { gup4k: { addr: 0, page: 0 } }]));
    expect([x(2).result, x(3).result]).toEqual(["EFAULT", "EFAULT"]);
    expect(smallPagesInUse(x(3).k)).toBe(0);
  });
});

describe("seed 001 as posted", () => {
  it("a read fault in a VM_LOCKED VMA allocates a real page (use_zero_page); today it maps the zero page", () => {
    const ops: Op[] = [{ mmap4k: { addr: 0, pages: 2, write: false } }, { mlock4k: { addr: 0, pages: 2 } }, { access4k: { addr: 0, page: 0 } }];
    const today = run(single(ops));
    const seed = run(single(ops), undefined, seed001);
    expect(isZero(today(2).k, pte(today(2).k, 0, 0))).toBe(true);
    expect(pte_special(pte(seed(2).k, 0, 0))).toBe(false);
  });

  it("mlock of a read-only mapping that already maps the zero page fails with ENOMEM and stops there (vm_normal_page's print_bad_pte, follow_page's -EFAULT)", () => {
    const ops: Op[] = [{ mmap4k: { addr: 0, pages: 2, write: false } }, { access4k: { addr: 0, page: 0 } }, { mlock4k: { addr: 0, pages: 2 } }];
    const seed = run(single(ops), undefined, seed001)(2);
    expect(seed.result).toBe("ENOMEM");
    expect(isZero(seed.k, pte(seed.k, 0, 0))).toBe(true);
    expect(pte(seed.k, 0, 1)).toBe(0);
    expect(run(single(ops))(2).result).toBe("ok");
  });

  it("MAP_POPULATE of a read-only mapping leaves the ptes empty: FOLL_ANON hands back ZERO_PAGE without faulting", () => {
    const seed = run(single([{ mmap4k: { addr: 0, pages: 2, write: false, populate: true } }]), undefined, seed001)(0).k;
    expect([pte(seed, 0, 0), pte(seed, 0, 1)]).toEqual([0, 0]);
    expectZeroPageUntouched(seed);
  });

  it("get_user_pages (FOLL_GET) of a zero pte takes a reference on the zero page for its reader, and drops it", () => {
    const c = config({
      processes: ["p"],
      setup: [{ proc: "p", ops: [{ mmap4k: { addr: 0, pages: 1 } }, { access4k: { addr: 0, page: 0 } }] }],
      threads: [{ name: "t", proc: "p", ops: [{ gup4k: { addr: 0, page: 0 } }] }],
    });
    const m = new Machine(c, seed001);
    let s = m.initial().slice();
    const refs: number[] = [];
    while (!m.done(s, 0)) {
      const next = new Int32Array(m.stateWords);
      m.step(s, 0, next);
      s = next;
      refs.push(m.k.view(s).page_ref(m.k.L.zeroPage));
    }
    expect(Math.max(...refs)).toBe(1);
    expect(refs[refs.length - 1]).toBe(0);
    expect(m.k.view(s).thread_result(0)).toBe(0);
  });

  it("the write COW of a zero pte copies from the user address (cow_user_page): the same zeroes when nothing raced it", () => {
    const seed = run(single([{ mmap4k: { addr: 0, pages: 1 } }, { access4k: { addr: 0, page: 0 } }, { access4k: { addr: 0, page: 0, write: true } }]), undefined, seed001)(2).k;
    const g = pte_page(pte(seed, 0, 0));
    expect(seed.page_state(g)).toBe(PAGE_IN_USE);
    expect(seed.page_content(g)).toBe(1);
    expect(seed.page_test(g, PG_ANON_EXCLUSIVE)).toBe(false); // no PageAnonExclusive in 2009
  });
});

describe("seed 001: the copy of a zero pte comes from the user address", () => {
  /**
   * A content check no contract invariant makes: when a write fault replaces a zero pte, the
   * new page holds zeroes (the faulting thread's store comes after).
   */
  const copyOfZeroIsZero: Invariant = {
    name: "copy-of-zero-is-zero",
    summary: "a page that replaces a zero pte starts zeroed",
    step({ before, after, thread }) {
      const slot = before.local(thread, L_FAULT_PTE);
      if (!slot || !isZero(before, before.local(thread, L_ORIG_PTE))) return null;
      const was = before.a[slot - 1]!;
      const now = after.a[slot - 1]!;
      if (!isZero(before, was) || !now || pte_special(now)) return null;
      const content = after.page_content(pte_page(now));
      return content ? `the copy of the zero page installed by thread ${thread} holds ${content}` : null;
    },
  };
  /** A write fault on a zero pte races another thread's write, MADV_DONTNEED and a read refault. */
  const c = config({
    processes: ["p"],
    setup: [{ proc: "p", ops: [{ mmap4k: { addr: 0, pages: 1 } }, { access4k: { addr: 0, page: 0 } }] }],
    threads: [
      { name: "writer", proc: "p", ops: [{ access4k: { addr: 0, page: 0, write: true } }] },
      {
        name: "other",
        proc: "p",
        ops: [{ access4k: { addr: 0, page: 0, write: true } }, { dontneed4k: { addr: 0, page: 0 } }, { access4k: { addr: 0, page: 0 } }],
      },
    ],
  });

  it("today the copy is a zeroed page (wp_page_copy, is_zero_pfn)", async () => {
    expect((await search(new Machine(c, modern), [...INVARIANTS, copyOfZeroIsZero])).verdict).toBe("pass");
  });

  it("as posted, cow_user_page reads the address after the PTL is dropped: with MADV_DONTNEED and a refault of the zero pte in between, pte_same passes and the new page carries the other thread's discarded store", async () => {
    const r = await search(new Machine(c, seed001), [...INVARIANTS, copyOfZeroIsZero]);
    expect(r.violation?.invariant).toBe("copy-of-zero-is-zero");
    expect(r.violation?.message).toMatch(/the copy of the zero page installed by thread 0 holds 2/);
  });
});

describe("4 KiB pages are freed to the buddy allocator, their slots zeroed", () => {
  it("exit frees every page and leaves the zero page as it was", () => {
    const x = run(single([{ mmap4k: { addr: 0, pages: 2 } }, { access4k: { addr: 0, page: 0, write: true } }, { access4k: { addr: 0, page: 1 } }, "exit"]));
    const k = x(3).k;
    for (let g = k.L.zeroPage + 1; g <= k.L.lastPage; g++) expect(k.page_state(g)).toBe(PAGE_BUDDY);
    expectZeroPageUntouched(k);
  });
});

describe("4 KiB VMAs split (__split_vma) by mlock, munlock, mprotect and munmap of a part (v6.18)", () => {
  /** Each VMA of process p as [first page, end page, VM_LOCKED, VM_WRITE]. */
  const vmas = (k: Kernel, p = 0) => vmas_of(k, p).map((v) => [k.vm_first_page(v), k.vm_end_page(v), (k.vm_flags(v) & VM_LOCKED) !== 0, (k.vm_flags(v) & VM_WRITE) !== 0]);

  it("mlock of the middle page splits the VMA in three and populates that page only; munlock merges them back (vma_merge_existing_range)", () => {
    const x = run(single([{ mmap4k: { addr: 0, pages: 4 } }, { mlock4k: { addr: 0, page: 1, pages: 1 } }, { munlock4k: { addr: 0, page: 1, pages: 1 } }]));
    expect(x(1).result).toBe("ok");
    expect(vmas(x(1).k)).toEqual([
      [0, 1, false, true],
      [1, 2, true, true],
      [2, 4, false, true],
    ]);
    expect([0, 1, 2, 3].map((i) => pte(x(1).k, 0, i) !== 0)).toEqual([false, true, false, false]);
    expect(x(2).result).toBe("ok");
    expect(vmas(x(2).k)).toEqual([[0, 4, false, true]]);
  });

  it("mlock of a range an mlocked VMA covers in part leaves that VMA (mlock_fixup: newflags == oldflags) and merges the part it locks into it", () => {
    const x = run(single([{ mmap4k: { addr: 0, pages: 4 } }, { mlock4k: { addr: 0, page: 0, pages: 2 } }, { mlock4k: { addr: 0, page: 1, pages: 2 } }]));
    expect(vmas(x(2).k)).toEqual([
      [0, 3, true, true],
      [3, 4, false, true],
    ]);
    expect([0, 1, 2, 3].map((i) => pte(x(2).k, 0, i) !== 0)).toEqual([true, true, true, false]);
  });

  it("munmap of one page leaves a hole: the VMAs around it stay, its page is freed, an access there is SIGSEGV and a get_user_pages EFAULT", () => {
    const x = run(
      single([
        { mmap4k: { addr: 0, pages: 3 } },
        { access4k: { addr: 0, page: 1, write: true } },
        { munmap: { addr: 1, len: 1, unit: "4k" } },
        { access4k: { addr: 0, page: 1 } },
        { gup4k: { addr: 0, page: 1 } },
        { access4k: { addr: 0, page: 2, write: true } },
      ]),
    );
    expect(vmas(x(2).k)).toEqual([
      [0, 1, false, true],
      [2, 3, false, true],
    ]);
    expect([pte(x(2).k, 0, 1), smallPagesInUse(x(2).k)]).toEqual([0, 0]);
    expect([x(3).result, x(4).result, x(5).result]).toEqual(["SIGSEGV", "EFAULT", "ok"]);
  });

  it("mlock and munlock across a hole are ENOMEM: the VMAs before it changed (apply_vma_lock_flags), nothing populated", () => {
    const x = run(
      single([
        { mmap4k: { addr: 0, pages: 3 } },
        { munmap: { addr: 1, len: 1, unit: "4k" } },
        { mlock4k: { addr: 0, page: 0, pages: 3 } },
        { munlock4k: { addr: 0, page: 0, pages: 3 } },
        { mlock4k: { addr: 0, page: 1, pages: 1 } },
      ]),
    );
    expect(x(2).result).toBe("ENOMEM");
    expect(vmas(x(2).k).map((v) => v[2])).toEqual([true, false]);
    expect([0, 2].map((i) => pte(x(2).k, 0, i))).toEqual([0, 0]);
    expect([x(3).result, x(4).result]).toEqual(["ENOMEM", "ENOMEM"]);
    expect(vmas(x(3).k).map((v) => v[2])).toEqual([false, false]);
  });

  it("mprotect of one page read-only splits it off and write-protects its pte (change_pte_range); a store there is SIGSEGV; mprotect that changes nothing splits nothing", () => {
    const x = run(
      single([
        { mmap4k: { addr: 0, pages: 3 } },
        { access4k: { addr: 0, page: 1, write: true } },
        { mprotect: { addr: 1, len: 1, unit: "4k", write: false } },
        { access4k: { addr: 0, page: 1, write: true } },
        { mprotect: { addr: 0, len: 1, unit: "4k", write: true } },
        { mprotect: { addr: 1, len: 1, unit: "4k", write: true } },
        { access4k: { addr: 0, page: 1, write: true } },
      ]),
    );
    expect(vmas(x(2).k).map((v) => v[3])).toEqual([true, false, true]);
    expect(pte_write(pte(x(2).k, 0, 1))).toBe(false);
    expect(x(3).result).toBe("SIGSEGV");
    expect(vmas(x(4).k).length).toBe(3);
    // Writable again, the pte is made writable by the store's fault (do_wp_page reuses the exclusive page).
    const g = pte_page(pte(x(2).k, 0, 1));
    expect([x(6).result, pte_page(pte(x(6).k, 0, 1)), pte_write(pte(x(6).k, 0, 1))]).toEqual(["ok", g, true]);
  });

  it("MADV_DONTNEED walks the VMAs of the range: a hole is ENOMEM after the rest is zapped; a VM_LOCKED VMA is EINVAL after the ones before it", () => {
    const x = run(
      single([
        { mmap4k: { addr: 0, pages: 4, populate: true } },
        { munmap: { addr: 1, len: 1, unit: "4k" } },
        { dontneed4k: { addr: 0, page: 0, pages: 3 } },
        { access4k: { addr: 0, page: 0, write: true } },
        { access4k: { addr: 0, page: 2, write: true } },
        { mlock4k: { addr: 0, page: 3, pages: 1 } },
        { dontneed4k: { addr: 0, page: 2, pages: 2 } },
      ]),
    );
    expect(x(2).result).toBe("ENOMEM");
    expect([0, 2, 3].map((i) => pte(x(2).k, 0, i) !== 0)).toEqual([false, false, true]);
    expect(x(6).result).toBe("EINVAL");
    expect([2, 3].map((i) => pte(x(6).k, 0, i) !== 0)).toEqual([false, true]);
  });

  it("a split shmem VMA takes a reference on its file (get_file): unmapping one part keeps the inode, the last part evicts it", () => {
    const x = run(
      single([
        { mmap4k: { addr: 0, pages: 2, shared: true } },
        { access4k: { addr: 0, page: 1 } },
        { munmap: { addr: 0, len: 1, unit: "4k" } },
        { access4k: { addr: 0, page: 1 } },
        { munmap: { addr: 1, len: 1, unit: "4k" } },
      ]),
    );
    expect([x(2).k.shmem_vmas(0), x(2).k.shmem_cache(0, 1) !== 0, x(3).result]).toEqual([1, true, "ok"]);
    expect([x(4).k.shmem_vmas(0), smallPagesInUse(x(4).k)]).toEqual([0, 0]);
  });

  it("fork copies each VMA of a split mapping and the ptes of its own pages", () => {
    const y = run(
      forked([{ mmap4k: { addr: 0, pages: 3 } }, { access4k: { addr: 0, page: 2, write: true } }, { mlock4k: { addr: 0, page: 1, pages: 1 } }, { fork: { child: "child" } }], ["exit"]),
      [0, 0, 0, 0, 1],
    );
    const k = y(3).k;
    expect(vmas(k, 1)).toEqual([
      [0, 1, false, true],
      [1, 2, false, true],
      [2, 3, false, true],
    ]);
    expect([1, 2].map((i) => pte_page(pte(k, 1, i)))).toEqual([1, 2].map((i) => pte_page(pte(k, 0, i))));
    expect(pte(k, 1, 0)).toBe(0);
  });

  it("mlock of part of a private or shared 4 KiB file mapping faults the file's pages in through its ->fault (filemap_fault)", () => {
    const cfg = (shared: boolean) =>
      config({
        files4k: [{ name: "data", pages: 3 }],
        processes: ["p"],
        threads: [{ name: "t", proc: "p", ops: [{ mmap4k: { addr: 0, pages: 3, file: "data", shared, write: false } }, { mlock4k: { addr: 0, page: 1, pages: 2 } }] }],
      });
    for (const shared of [false, true]) {
      const k = run(cfg(shared))(1).k;
      expect(vmas(k).map((v) => v[2])).toEqual([false, true]);
      expect([0, 1, 2].map((i) => (pte(k, 0, i) ? pte_page(pte(k, 0, i)) : 0))).toEqual([0, k.file4k_cache(0, 1), k.file4k_cache(0, 2)]);
    }
  });

  it("seed 001's do_mlock populates each VMA mlock_fixup changes, under mmap_sem for write, and skips one already locked", () => {
    const x = run(single([{ mmap4k: { addr: 0, pages: 3 } }, { mlock4k: { addr: 0, page: 1, pages: 1 } }, { dontneed4k: { addr: 0, page: 0, pages: 1 } }, { mlock4k: { addr: 0, page: 0, pages: 3 } }]), undefined, seed001);
    expect(vmas(x(1).k)).toEqual([
      [0, 1, false, true],
      [1, 2, true, true],
      [2, 3, false, true],
    ]);
    expect([0, 1, 2].map((i) => pte(x(1).k, 0, i) !== 0)).toEqual([false, true, false]);
    expect(x(3).result).toBe("ok");
    expect(vmas(x(3).k)).toEqual([[0, 3, true, true]]);
    expect([0, 1, 2].map((i) => pte(x(3).k, 0, i) !== 0)).toEqual([true, true, true]);
  });
});
