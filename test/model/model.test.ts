/**
 * Behaviour of the hugetlb model against the kernel (kernel-notes §1–§3) and the counter values
 * libhugetlbfs tests/counters.c expects: operations run one after another (no interleaving), and
 * the counters (HugePages_Total/Free/Rsvd/Surp), results, ptes and VMA flags read at the end of
 * each operation. Kernel functions followed are named in the comments (mm/hugetlb.c,
 * fs/hugetlbfs/inode.c, v6.x).
 */
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { search } from "../helpers/search.js";
import { replay, reproduce } from "../../explorer/trace.js";
import { INVARIANTS } from "../../invariants/index.js";
import type { ModelConfig } from "../../model/config.js";
import { decode } from "../../model/decode.js";
import type { Kernel } from "../../model/kernel.js";
import { HPAGE_RESV_OWNER, HPAGE_RESV_UNMAPPED, PAGE_IN_USE, PG_ANON, VM_WRITE } from "../../model/layout.js";
import { Machine } from "../../model/machine.js";
import { huge_pte_write, pte_page } from "../../model/mm/pte.js";
import { vmas_of } from "../../model/mm/vma.js";
import { range } from "../../model/region.js";
import { RESULT_NAMES } from "../../model/types.js";
import { findVariant, type Variant } from "../../model/variant.js";
import { resolveScenario } from "../../scenarios/load.js";
import { ScenarioSchema } from "../../scenarios/schema.js";

const modern = findVariant("modern")!;

/** The exhaustive search of `c` under modern passes; a violation is shown with its trace. */
async function expectPass(c: ModelConfig): Promise<void> {
  const r = await search(new Machine(c, modern), INVARIANTS);
  expect(r.violation, r.violation && `${r.violation.invariant}: ${r.violation.message} after ${r.violation.threads}`).toBeUndefined();
  expect(r.verdict).toBe("pass");
}

type ScenarioInput = z.input<typeof ScenarioSchema>;
type Op = ScenarioInput["threads"][number]["ops"][number];

function config(s: Omit<ScenarioInput, "name" | "summary">): ModelConfig {
  return resolveScenario(ScenarioSchema.parse({ name: "model-test", summary: "model test", ...s })).config;
}

/** /proc/meminfo's four counters. */
interface Counters {
  Total: number;
  Free: number;
  Rsvd: number;
  Surp: number;
}
function counters(k: Kernel): Counters {
  const h = decode(k).hstate;
  return { Total: h.nr_huge_pages, Free: h.free_huge_pages, Rsvd: h.resv_huge_pages, Surp: h.surplus_huge_pages };
}
const C = (Total: number, Free: number, Rsvd: number, Surp = 0): Counters => ({ Total, Free, Rsvd, Surp });

interface OpRun {
  thread: number;
  text: string;
  result: string;
  counters: Counters;
  k: Kernel;
}

/**
 * Runs the scenario's operations one at a time: `order` lists threads; each entry runs that
 * thread's next operation to its end before the next entry starts. The list of threads that
 * moved is then replayed (explorer/trace.ts) and every state is checked against every
 * invariant on the way. Returns, per operation, its result and the counters after it.
 */
function run(cfg: ModelConfig, order: readonly number[], variant: Variant = modern) {
  const m = new Machine(cfg, variant);
  const trace: number[] = [];
  const ends: { index: number; thread: number }[] = [];
  let cur = m.initial().slice();
  for (const t of order) {
    const k = m.k.view(cur);
    const op = k.thread_op(t);
    if (m.done(cur, t)) throw new Error(`thread ${t} has no operation left`);
    for (let guard = 0; m.k.view(cur).thread_op(t) === op; guard++) {
      if (guard > 1000) throw new Error(`thread ${t} does not finish its operation`);
      const next = new Int32Array(m.stateWords);
      if (!m.step(cur, t, next)) throw new Error(`thread ${t} is blocked running alone`);
      trace.push(t);
      cur = next;
      if (m.done(cur, t)) break;
    }
    ends.push({ index: trace.length, thread: t });
  }
  const { states } = replay(m, trace);
  expect(states[states.length - 1]).toEqual(cur);
  // Every invariant (state and step) holds on the way, as in a search.
  const v = reproduce(m, INVARIANTS, trace);
  expect(v, v ? `${v.invariant} at step ${v.depth}: ${v.message}` : "").toBeNull();
  const ops: OpRun[] = ends.map(({ index, thread }, i) => {
    const k = m.k.view(states[index]!);
    const text = cfg.threads[thread]!.ops[ends.slice(0, i).filter((e) => e.thread === thread).length]!.text;
    return { thread, text, result: RESULT_NAMES[k.thread_result(thread)]!, counters: counters(k), k };
  });
  const initial = m.k.view(states[0]!);
  const final = m.k.view(states[states.length - 1]!);
  return { m, initial, final, ops, op: (i: number) => ops[i]! };
}

/** A single-process, single-thread scenario of `ops` over file `f` (`pages` huge pages). */
function single(ops: Op[], pool: { pages: number; overcommit?: number }, file: { pages: number; isize?: number } = { pages: 2 }) {
  return config({
    pool,
    files: [{ name: "f", ...file }],
    processes: ["p"],
    addressSpace: file.pages,
    threads: [{ name: "t", proc: "p", ops }],
  });
}
const all = (cfg: ModelConfig, t = 0) => Array.from(cfg.threads[t]!.ops, () => t);

function vmaFlags(k: Kernel, p: number): number[] {
  return vmas_of(k, p).map((v) => k.vm_flags(v));
}

describe("single-thread scenarios have a single path", () => {
  it("explore of one thread: every level has one state, and every invariant holds", async () => {
    const cfg = single(
      [{ mmap: { addr: 0, len: 2, file: "f" } }, { fault: { addr: 0, write: true } }, { munmap: { addr: 0, len: 2 } }],
      { pages: 3 },
    );
    const r = await search(new Machine(cfg, modern), INVARIANTS);
    expect(r.verdict).toBe("pass");
    expect(r.stats.distinctStates).toBe(r.stats.maxDepth + 1);
    expect(r.stats.statesGenerated).toBe(r.stats.maxDepth);
  });
});

describe("MAP_PRIVATE (counters.c: map, touch, unmap)", () => {
  const cfg = single(
    [
      { mmap: { addr: 0, len: 2, file: "f" } },
      { fault: { addr: 0, write: true } },
      { fault: { addr: 1 } },
      { fault: { addr: 1, write: true } },
      { munmap: { addr: 0, len: 2 } },
    ],
    { pages: 3 },
  );
  const r = run(cfg, all(cfg));

  it("mmap of 2 pages reserves 2 (hugetlb_reserve_pages: the whole length)", () => {
    expect(r.initial.resv_huge_pages).toBe(0);
    expect(r.op(0).result).toBe("ok");
    expect(r.op(0).counters).toEqual(C(3, 3, 2));
    const [flags] = vmaFlags(r.op(0).k, 0);
    expect(flags! & HPAGE_RESV_OWNER).toBeTruthy();
  });

  it("a write fault consumes one reservation: Free−1, Rsvd−1; the page is anonymous and mapped writable", () => {
    expect(r.op(1).result).toBe("ok");
    expect(r.op(1).counters).toEqual(C(3, 2, 1));
    const k = r.op(1).k;
    const pte = k.pte(0, 0);
    expect(huge_pte_write(pte)).toBe(true);
    const g = pte_page(pte);
    expect(k.page_test(g, PG_ANON)).toBe(true);
    expect([k.page_ref(g), k.page_mapcount(g)]).toEqual([1, 1]);
  });

  it("a read fault allocates a real page too (hugetlb has no zero page), mapped read-only", () => {
    expect(r.op(2).result).toBe("ok");
    expect(r.op(2).counters).toEqual(C(3, 1, 0));
    const pte = r.op(2).k.pte(0, 1);
    expect(pte).not.toBe(0);
    expect(huge_pte_write(pte)).toBe(false);
  });

  it("a write after the read reuses the only-mapped anonymous page in place (hugetlb_wp)", () => {
    expect(r.op(3).result).toBe("ok");
    expect(r.op(3).counters).toEqual(C(3, 1, 0));
    const before = r.op(2).k.pte(0, 1);
    const after = r.op(3).k.pte(0, 1);
    expect(pte_page(after)).toBe(pte_page(before));
    expect(huge_pte_write(after)).toBe(true);
  });

  it("munmap frees the pages and returns what is left of the reservation", () => {
    expect(r.op(4).result).toBe("ok");
    expect(r.op(4).counters).toEqual(C(3, 3, 0));
  });

  it("munmap of an untouched mapping returns the whole reservation", () => {
    const c = single([{ mmap: { addr: 0, len: 2, file: "f" } }, { munmap: { addr: 0, len: 2 } }], { pages: 2 });
    const x = run(c, all(c));
    expect(x.op(0).counters).toEqual(C(2, 2, 2));
    expect(x.op(1).counters).toEqual(C(2, 2, 0));
  });

  it("a read-only private mapping reserves its whole length too; a write fault there is SIGSEGV and changes nothing", () => {
    const c = single(
      [{ mmap: { addr: 0, len: 2, file: "f", write: false } }, { fault: { addr: 0, write: true } }, { fault: { addr: 0 } }],
      { pages: 2 },
    );
    const x = run(c, all(c));
    expect(x.op(0).counters).toEqual(C(2, 2, 2));
    expect(x.op(1).result).toBe("SIGSEGV");
    expect(x.op(1).counters).toEqual(C(2, 2, 2));
    expect(x.op(2).result).toBe("ok");
    expect(x.op(2).counters).toEqual(C(2, 1, 1));
  });

  it("munmap of the middle of a mapping splits it; each part returns only its own reservation", () => {
    const c = single(
      [
        { mmap: { addr: 0, len: 4, file: "f" } },
        { fault: { addr: 0, write: true } },
        { munmap: { addr: 1, len: 1 } },
        { munmap: { addr: 2, len: 2 } },
        { munmap: { addr: 0, len: 1 } },
      ],
      { pages: 4 },
      { pages: 4 },
    );
    const x = run(c, all(c));
    expect(x.op(1).counters).toEqual(C(4, 3, 3));
    expect(x.op(2).counters).toEqual(C(4, 3, 2));
    const k = x.op(2).k;
    const vmas = vmas_of(k, 0);
    expect(vmas.map((v) => [k.vm_start(v), k.vm_end(v)])).toEqual([
      [0, 1],
      [2, 4],
    ]);
    // Both halves share the one resv_map (hugetlb_vm_op_open took a reference).
    expect(k.vma_resv_map(vmas[0]!)).toBe(k.vma_resv_map(vmas[1]!));
    expect(k.resv_refs(k.vma_resv_map(vmas[0]!))).toBe(2);
    expect(x.op(3).counters).toEqual(C(4, 3, 0));
    expect(x.op(4).counters).toEqual(C(4, 4, 0));
  });

  it("exit unmaps and returns everything", () => {
    const c = single([{ mmap: { addr: 0, len: 2, file: "f" } }, { fault: { addr: 1, write: true } }, "exit"], { pages: 2 });
    const x = run(c, all(c));
    expect(x.op(1).counters).toEqual(C(2, 1, 1));
    expect(x.op(2).counters).toEqual(C(2, 2, 0));
  });
});

describe("MAP_SHARED (the reservation belongs to the inode)", () => {
  const cfg = config({
    pool: { pages: 3 },
    files: [{ name: "f", pages: 3 }],
    processes: ["a", "b"],
    threads: [
      {
        name: "a",
        proc: "a",
        ops: [
          { mmap: { addr: 0, len: 2, file: "f", shared: true } },
          { fault: { addr: 0, write: true } },
          { munmap: { addr: 0, len: 2 } },
        ],
      },
      {
        name: "b",
        proc: "b",
        ops: [
          { mmap: { addr: 0, len: 2, file: "f", shared: true, pgoff: 1 } },
          { mmap: { addr: 2, len: 1, file: "f", shared: true, pgoff: 0 } },
          { fault: { addr: 2 } },
          { ftruncate: { file: "f", size: 0 } },
        ],
      },
    ],
  });
  // a: mmap [0,2); b: mmap [1,3), mmap [0,1); a: fault 0; b: fault (index 0); a: munmap; b: truncate.
  const r = run(cfg, [0, 1, 1, 0, 1, 0, 1]);

  it("mmap reserves the indices the inode's map does not cover yet (region_chg)", () => {
    expect(r.op(0).counters).toEqual(C(3, 3, 2));
    expect(r.op(1).counters).toEqual(C(3, 3, 3)); // [1,3): only index 2 is new
    expect(r.op(2).counters).toEqual(C(3, 3, 3)); // [0,1): nothing new
    expect(r.op(2).k.inode_resv_map(0)).toBe(range(0, 3));
    expect(vmaFlags(r.op(0).k, 0)[0]! & HPAGE_RESV_OWNER).toBe(0);
  });

  it("a write fault consumes the index's reservation and puts the page in the page cache", () => {
    expect(r.op(3).result).toBe("ok");
    expect(r.op(3).counters).toEqual(C(3, 2, 2));
    const k = r.op(3).k;
    const g = k.page_cache(0, 0);
    expect(g).not.toBe(0);
    expect(pte_page(k.pte(0, 0))).toBe(g);
    expect(huge_pte_write(k.pte(0, 0))).toBe(true); // shared writable: mapped writable at once
    expect([k.page_ref(g), k.page_mapcount(g)]).toEqual([2, 1]); // page cache + pte
  });

  it("a second process's fault of the same index maps the page-cache page: no allocation", () => {
    expect(r.op(4).result).toBe("ok");
    expect(r.op(4).counters).toEqual(C(3, 2, 2));
    const k = r.op(4).k;
    const g = k.page_cache(0, 0);
    expect(pte_page(k.pte(1, 2))).toBe(g);
    expect([k.page_ref(g), k.page_mapcount(g)]).toEqual([3, 2]);
  });

  it("munmap returns nothing: the reservation and the page stay with the inode", () => {
    expect(r.op(5).counters).toEqual(C(3, 2, 2));
    const k = r.op(5).k;
    expect(k.inode_resv_map(0)).toBe(range(0, 3));
    expect(k.page_ref(k.page_cache(0, 0))).toBe(2);
  });

  it("truncate to 0 unmaps, frees the page-cache page and returns the reservations", () => {
    expect(r.op(6).result).toBe("ok");
    expect(r.op(6).counters).toEqual(C(3, 3, 0));
    const k = r.op(6).k;
    expect(k.inode_resv_map(0)).toBe(0);
    expect(k.page_cache(0, 0)).toBe(0);
    expect(k.pte(1, 2)).toBe(0);
    expect(k.i_size(0)).toBe(0);
  });

  it("truncate to 1 page: pages beyond are freed, reservations beyond returned; a fault there is SIGBUS and changes nothing", () => {
    const c = single(
      [
        { mmap: { addr: 0, len: 3, file: "f", shared: true } },
        { fault: { addr: 0, write: true } },
        { fault: { addr: 2, write: true } },
        { ftruncate: { file: "f", size: 1 } },
        { fault: { addr: 2, write: true } },
        { fault: { addr: 1 } },
      ],
      { pages: 3 },
      { pages: 3 },
    );
    const x = run(c, all(c));
    expect(x.op(2).counters).toEqual(C(3, 1, 1));
    // hugetlb_unreserve_pages: Rsvd −= (regions deleted 2 − pages freed 1).
    expect(x.op(3).counters).toEqual(C(3, 2, 0));
    const k = x.op(3).k;
    expect(k.page_cache(0, 0)).not.toBe(0);
    expect(k.page_cache(0, 2)).toBe(0);
    expect(k.pte(0, 2)).toBe(0);
    expect(k.pte(0, 0)).not.toBe(0);
    expect(k.inode_resv_map(0)).toBe(range(0, 1));
    expect(x.op(4).result).toBe("SIGBUS");
    expect(x.op(4).counters).toEqual(C(3, 2, 0));
    expect(x.op(5).result).toBe("SIGBUS");
    expect(x.op(5).counters).toEqual(C(3, 2, 0));
  });

  it("a writable mapping past EOF extends i_size; a read-only one does not, and a fault past EOF is SIGBUS", () => {
    const c = config({
      pool: { pages: 3 },
      files: [{ name: "f", pages: 3, isize: 1 }],
      processes: ["p"],
      threads: [
        {
          name: "t",
          proc: "p",
          ops: [
            { mmap: { addr: 0, len: 3, file: "f", shared: true, write: false } },
            { fault: { addr: 2 } },
            { mmap: { addr: 3, len: 3, file: "f", shared: true } },
            { fault: { addr: 2 } },
          ],
        },
      ],
    });
    const x = run(c, all(c));
    expect(x.op(0).k.i_size(0)).toBe(1);
    expect(x.op(0).counters).toEqual(C(3, 3, 3));
    expect(x.op(1).result).toBe("SIGBUS");
    expect(x.op(1).counters).toEqual(C(3, 3, 3));
    expect(x.op(2).k.i_size(0)).toBe(3);
    expect(x.op(3).result).toBe("ok");
    expect(x.op(3).counters).toEqual(C(3, 2, 2));
  });
});

describe("MAP_NORESERVE", () => {
  it("private: mmap reserves nothing; a fault takes an unreserved page; munmap gives it back", () => {
    const c = single(
      [{ mmap: { addr: 0, len: 2, file: "f", noreserve: true } }, { fault: { addr: 1, write: true } }, { munmap: { addr: 0, len: 2 } }],
      { pages: 2 },
    );
    const x = run(c, all(c));
    expect(x.op(0).counters).toEqual(C(2, 2, 0));
    expect(vmaFlags(x.op(0).k, 0)[0]! & HPAGE_RESV_OWNER).toBe(0);
    expect(x.op(1).result).toBe("ok");
    expect(x.op(1).counters).toEqual(C(2, 1, 0));
    expect(x.op(2).counters).toEqual(C(2, 2, 0));
  });

  it("a NORESERVE fault gets SIGBUS when every free page is reserved (noresv-preserve-resv-page)", () => {
    const c = config({
      pool: { pages: 1 },
      files: [
        { name: "r", pages: 1 },
        { name: "n", pages: 1 },
      ],
      processes: ["a", "b"],
      threads: [
        { name: "a", proc: "a", ops: [{ mmap: { addr: 0, len: 1, file: "r" } }, { fault: { addr: 0, write: true } }] },
        { name: "b", proc: "b", ops: [{ mmap: { addr: 0, len: 1, file: "n", noreserve: true } }, { fault: { addr: 0, write: true } }] },
      ],
    });
    const x = run(c, [0, 1, 1, 0]);
    expect(x.op(1).counters).toEqual(C(1, 1, 1));
    expect(x.op(2).result).toBe("SIGBUS");
    expect(x.op(2).counters).toEqual(C(1, 1, 1));
    expect(x.op(3).result).toBe("ok");
    expect(x.op(3).counters).toEqual(C(1, 0, 0));
  });

  it("shared NORESERVE on an index another mapping reserved uses that reservation (noresv-regarded-as-resv)", () => {
    const c = config({
      pool: { pages: 1 },
      files: [{ name: "f", pages: 1 }],
      processes: ["a", "b"],
      threads: [
        { name: "a", proc: "a", ops: [{ mmap: { addr: 0, len: 1, file: "f", shared: true } }, { fault: { addr: 0 } }] },
        {
          name: "b",
          proc: "b",
          ops: [{ mmap: { addr: 0, len: 1, file: "f", shared: true, noreserve: true } }, { fault: { addr: 0, write: true } }],
        },
      ],
    });
    const x = run(c, [0, 1, 1, 0]);
    expect(x.op(1).counters).toEqual(C(1, 1, 1));
    expect(x.op(2).result).toBe("ok");
    expect(x.op(2).counters).toEqual(C(1, 0, 0));
    expect(x.op(3).result).toBe("ok");
    expect(x.op(3).counters).toEqual(C(1, 0, 0));
  });

  it("shared NORESERVE on an unreserved index: the page is unreserved, and truncate returns no reservation for it", () => {
    const c = single(
      [
        { mmap: { addr: 0, len: 1, file: "f", shared: true, noreserve: true } },
        { fault: { addr: 0, write: true } },
        { ftruncate: { file: "f", size: 0 } },
      ],
      { pages: 1 },
      { pages: 1 },
    );
    const x = run(c, all(c));
    expect(x.op(0).counters).toEqual(C(1, 1, 0));
    expect(x.op(1).counters).toEqual(C(1, 0, 0));
    expect(x.op(2).counters).toEqual(C(1, 1, 0));
  });
});

describe("mmap without enough free pages", () => {
  it("private: ENOMEM, no VMA, no counter changed; a fault there is SIGSEGV", () => {
    const c = single([{ mmap: { addr: 0, len: 2, file: "f" } }, { fault: { addr: 0 } }], { pages: 1 });
    const x = run(c, all(c));
    expect(x.op(0).result).toBe("ENOMEM");
    expect(x.op(0).counters).toEqual(C(1, 1, 0));
    expect(vmas_of(x.op(0).k, 0)).toEqual([]);
    expect(x.op(1).result).toBe("SIGSEGV");
    expect(x.op(1).counters).toEqual(C(1, 1, 0));
  });

  it("shared: ENOMEM leaves the inode's map and i_size alone", () => {
    const c = single([{ mmap: { addr: 0, len: 2, file: "f", shared: true } }], { pages: 1 }, { pages: 2, isize: 0 });
    const x = run(c, all(c));
    expect(x.op(0).result).toBe("ENOMEM");
    expect(x.op(0).counters).toEqual(C(1, 1, 0));
    expect(x.op(0).k.inode_resv_map(0)).toBe(0);
    expect(x.op(0).k.i_size(0)).toBe(0);
  });

  it("shared: a second mapping of indices already reserved needs no free page", () => {
    const c = config({
      pool: { pages: 2 },
      files: [{ name: "f", pages: 2 }],
      processes: ["a", "b"],
      threads: [
        { name: "a", proc: "a", ops: [{ mmap: { addr: 0, len: 2, file: "f", shared: true } }] },
        { name: "b", proc: "b", ops: [{ mmap: { addr: 0, len: 2, file: "f", shared: true } }] },
      ],
    });
    const x = run(c, [0, 1]);
    expect(x.op(1).result).toBe("ok");
    expect(x.op(1).counters).toEqual(C(2, 2, 2));
  });
});

describe("overcommit (surplus pages)", () => {
  it("mmap gathers surplus pages; they go back to the buddy allocator at unmap (counters.c)", () => {
    const c = single(
      [
        { mmap: { addr: 0, len: 2, file: "f" } },
        { fault: { addr: 0, write: true } },
        { fault: { addr: 1, write: true } },
        { munmap: { addr: 0, len: 2 } },
      ],
      { pages: 1, overcommit: 1 },
    );
    const x = run(c, all(c));
    expect(x.op(0).counters).toEqual(C(2, 2, 2, 1));
    expect(x.op(1).counters).toEqual(C(2, 1, 1, 1));
    expect(x.op(2).counters).toEqual(C(2, 0, 0, 1));
    expect(x.op(3).counters).toEqual(C(1, 1, 0, 0));
  });

  it("an empty pool: the surplus of an untouched mapping is released by munmap (return_unused_surplus_pages)", () => {
    const c = single([{ mmap: { addr: 0, len: 1, file: "f" } }, { munmap: { addr: 0, len: 1 } }], { pages: 0, overcommit: 2 });
    const x = run(c, all(c));
    expect(x.op(0).counters).toEqual(C(1, 1, 1, 1));
    expect(x.op(1).counters).toEqual(C(0, 0, 0, 0));
  });

  it("past the overcommit limit: ENOMEM and no counter changed", () => {
    const c = single([{ mmap: { addr: 0, len: 3, file: "f" } }], { pages: 1, overcommit: 1 }, { pages: 3 });
    const x = run(c, all(c));
    expect(x.op(0).result).toBe("ENOMEM");
    expect(x.op(0).counters).toEqual(C(1, 1, 0, 0));
  });

  it("a shared mapping's surplus page stays in the page cache after munmap; truncate returns it to the buddy allocator", () => {
    const c = single(
      [
        { mmap: { addr: 0, len: 1, file: "f", shared: true } },
        { fault: { addr: 0, write: true } },
        { munmap: { addr: 0, len: 1 } },
        { ftruncate: { file: "f", size: 0 } },
      ],
      { pages: 0, overcommit: 1 },
      { pages: 1 },
    );
    const x = run(c, all(c));
    expect(x.op(0).counters).toEqual(C(1, 1, 1, 1));
    expect(x.op(1).counters).toEqual(C(1, 0, 0, 1));
    expect(x.op(2).counters).toEqual(C(1, 0, 0, 1));
    expect(x.op(3).counters).toEqual(C(0, 0, 0, 0));
  });

  it("a NORESERVE fault on an empty pool takes a surplus page, which munmap frees", () => {
    const c = single(
      [{ mmap: { addr: 0, len: 1, file: "f", noreserve: true } }, { fault: { addr: 0, write: true } }, { munmap: { addr: 0, len: 1 } }],
      { pages: 0, overcommit: 1 },
    );
    const x = run(c, all(c));
    expect(x.op(1).result).toBe("ok");
    expect(x.op(1).counters).toEqual(C(1, 0, 0, 1));
    expect(x.op(2).counters).toEqual(C(0, 0, 0, 0));
  });
});

describe("fork of a private mapping", () => {
  /** Parent maps `len` private pages, write-faults index 0, forks; the child and parent then run `child`/`parent`. */
  function forked(pool: number, len: number, child: Op[], parent: Op[] = []) {
    return config({
      pool: { pages: pool },
      files: [{ name: "f", pages: len }],
      processes: ["parent", "child"],
      setup: [
        {
          proc: "parent",
          ops: [{ mmap: { addr: 0, len, file: "f" } }, { fault: { addr: 0, write: true } }, { fork: { child: "child" } }],
        },
      ],
      threads: [
        { name: "child", proc: "child", ops: child },
        ...(parent.length ? [{ name: "parent", proc: "parent", ops: parent }] : []),
      ],
    });
  }

  it("the child holds no reservation: no owner flag, no map, Rsvd unchanged; both ptes read-only", () => {
    const c = forked(3, 2, [{ fault: { addr: 1 } }]);
    const x = run(c, []);
    const k = x.final;
    expect(counters(k)).toEqual(C(3, 2, 1));
    const [childVma] = vmas_of(k, 1);
    expect(k.vm_flags(childVma!) & (HPAGE_RESV_OWNER | HPAGE_RESV_UNMAPPED)).toBe(0);
    expect(k.vma_resv_map(childVma!)).toBe(0);
    expect(huge_pte_write(k.pte(0, 0))).toBe(false);
    expect(huge_pte_write(k.pte(1, 0))).toBe(false);
    const g = pte_page(k.pte(0, 0));
    expect(pte_page(k.pte(1, 0))).toBe(g);
    expect([k.page_ref(g), k.page_mapcount(g)]).toEqual([2, 2]);
  });

  it("child write with Free − Rsvd > 0: the child gets a copy; then the parent reuses its page in place", () => {
    const c = forked(2, 1, [{ fault: { addr: 0, write: true } }], [{ fault: { addr: 0, write: true } }]);
    const x = run(c, [0, 1]);
    expect(x.op(0).result).toBe("ok");
    expect(x.op(0).counters).toEqual(C(2, 0, 0));
    const k = x.op(0).k;
    const parentPage = pte_page(k.pte(0, 0));
    const childPage = pte_page(k.pte(1, 0));
    expect(childPage).not.toBe(parentPage);
    expect(huge_pte_write(k.pte(1, 0))).toBe(true);
    expect([k.page_ref(parentPage), k.page_mapcount(parentPage)]).toEqual([1, 1]);
    expect(x.op(1).result).toBe("ok");
    expect(x.op(1).counters).toEqual(C(2, 0, 0));
    expect(pte_page(x.op(1).k.pte(0, 0))).toBe(parentPage);
    expect(huge_pte_write(x.op(1).k.pte(0, 0))).toBe(true);
  });

  it("child write with Free − Rsvd = 0: SIGBUS, nothing changed; a child fault of an untouched index is SIGBUS too", () => {
    const c = forked(2, 2, [{ fault: { addr: 0, write: true } }, { fault: { addr: 1 } }], [{ fault: { addr: 1, write: true } }]);
    const x = run(c, [0, 0, 1]);
    expect(x.initial.free_huge_pages - x.initial.resv_huge_pages).toBe(0);
    expect(x.op(0).result).toBe("SIGBUS");
    expect(x.op(0).counters).toEqual(C(2, 1, 1));
    expect(x.op(1).result).toBe("SIGBUS");
    expect(x.op(1).counters).toEqual(C(2, 1, 1));
    // The owner still faults index 1 on its own reservation.
    expect(x.op(2).result).toBe("ok");
    expect(x.op(2).counters).toEqual(C(2, 0, 0));
  });

  it("owner write with a page to spare: the owner copies without touching its reservations", () => {
    const c = forked(3, 2, [{ fault: { addr: 0 } }, "exit"], [{ fault: { addr: 0, write: true } }, { munmap: { addr: 0, len: 2 } }]);
    const x = run(c, [1, 1, 0, 0]);
    expect(x.initial.resv_huge_pages).toBe(1);
    expect(x.op(0).result).toBe("ok");
    expect(x.op(0).counters).toEqual(C(3, 1, 1)); // Free − 1 for the copy; Rsvd 1 still backs index 1
    const k = x.op(0).k;
    expect(pte_page(k.pte(0, 0))).not.toBe(pte_page(k.pte(1, 0)));
    expect(x.op(1).counters).toEqual(C(3, 2, 0)); // the copy freed, index 1's reservation returned
    expect(x.op(3).counters).toEqual(C(3, 3, 0)); // the child's exit frees the original
  });

  it("owner write with an empty pool: unmap_ref_private takes the page from the child (HPAGE_RESV_UNMAPPED; its next fault is SIGBUS)", () => {
    const c = forked(1, 1, [{ fault: { addr: 0 } }], [{ fault: { addr: 0, write: true } }]);
    const x = run(c, [1, 0]);
    expect(x.initial.free_huge_pages).toBe(0);
    expect(x.op(0).result).toBe("ok");
    expect(x.op(0).counters).toEqual(C(1, 0, 0));
    const k = x.op(0).k;
    const g = pte_page(k.pte(0, 0));
    expect(huge_pte_write(k.pte(0, 0))).toBe(true);
    expect(k.pte(1, 0)).toBe(0);
    expect([k.page_ref(g), k.page_mapcount(g)]).toEqual([1, 1]);
    const [childVma] = vmas_of(k, 1);
    expect(k.vm_flags(childVma!) & HPAGE_RESV_UNMAPPED).toBeTruthy();
    expect(decode(k).mms[1]!.vmas[0]!.flags).toContain("HPAGE_RESV_UNMAPPED");
    expect(x.op(1).result).toBe("SIGBUS");
    expect(x.op(1).counters).toEqual(C(1, 0, 0));
  });
});

/** A private page faulted, truncated away, the file grown back, and the page faulted again. */
const REFAULT_AFTER_GROWTH = [
  { mmap: { addr: 0, len: 2, file: "f" } },
  { fault: { addr: 1, write: true } },
  { ftruncate: { file: "f", size: 1 } },
  { ftruncate: { file: "f", size: 2 } },
  { fault: { addr: 1, write: true } },
  { munmap: { addr: 0, len: 2 } },
];

/** Today's kernel before df7a6d1f6405 (v6.10): the owner's unmap restores no reservation. */
const v69: Variant = { ...modern, name: "v6.9", restoreReserveOnUnmap: "none" };

describe("truncate of a privately mapped file", () => {
  it("unmaps the private COW pages beyond the new size; today the unmap restores the index's reservation (df7a6d1f6405), before v6.10 it stayed consumed", () => {
    const c = single(
      [
        { mmap: { addr: 0, len: 2, file: "f" } },
        { fault: { addr: 0, write: true } },
        { fault: { addr: 1, write: true } },
        { ftruncate: { file: "f", size: 1 } },
        { fault: { addr: 1 } },
        { munmap: { addr: 0, len: 2 } },
      ],
      { pages: 3 },
    );
    const x = run(c, all(c));
    expect(x.op(2).counters).toEqual(C(3, 1, 0));
    expect(x.op(3).counters).toEqual(C(3, 2, 1)); // as measured on 6.18 (conform/scenarios/truncate-private)
    expect(x.op(3).k.pte(0, 1)).toBe(0);
    expect(x.op(3).k.pte(0, 0)).not.toBe(0);
    expect(x.op(4).result).toBe("SIGBUS");
    expect(x.op(4).counters).toEqual(C(3, 2, 1));
    expect(x.op(5).counters).toEqual(C(3, 3, 0));
    const old = run(c, all(c), v69);
    expect(old.op(3).counters).toEqual(C(3, 2, 0));
    expect(old.op(4).result).toBe("SIGBUS");
    expect(old.op(5).counters).toEqual(C(3, 3, 0));
  });

  it("a refault after the file grows again takes an unreserved page (vma_needs_reservation) before v6.10; today it uses the reservation the unmap restored", () => {
    const c = single(REFAULT_AFTER_GROWTH, { pages: 3 });
    const now = run(c, all(c));
    expect(now.op(2).counters).toEqual(C(3, 3, 2));
    expect(now.op(4).result).toBe("ok");
    expect(now.op(4).counters).toEqual(C(3, 2, 1));
    expect(now.op(5).counters).toEqual(C(3, 3, 0));
    const x = run(c, all(c), v69);
    expect(x.op(2).counters).toEqual(C(3, 3, 1));
    expect(x.op(4).result).toBe("ok");
    expect(x.op(4).counters).toEqual(C(3, 2, 1)); // Rsvd still 1: index 0's reservation is untouched
    expect(x.op(5).counters).toEqual(C(3, 3, 0));
  });
});

describe("variants restore the old behaviour on the same operations", () => {
  const refault = single(REFAULT_AFTER_GROWTH, { pages: 3 });
  const split = single([{ mmap: { addr: 0, len: 4, file: "f" } }, { munmap: { addr: 1, len: 1 } }, { munmap: { addr: 0, len: 4 } }], { pages: 4 }, { pages: 4 });

  it("modern: both sequences keep every invariant", async () => {
    expect((await search(new Machine(refault, modern), INVARIANTS)).verdict).toBe("pass");
    expect((await search(new Machine(split, modern), INVARIANTS)).verdict).toBe("pass");
  });

  it("seed-003: the owner's refault after truncate consumes its reservation a second time", async () => {
    const r = await search(new Machine(refault, findVariant("seed-003")!), INVARIANTS);
    expect(r.verdict).toBe("violation");
    expect(r.violation!.invariant).toBe("reservation-conservation");
  });

  it("bug-split-double-credit: both halves of a split return the copied count; Rsvd falls short", async () => {
    const r = await search(new Machine(split, findVariant("bug-split-double-credit")!), INVARIANTS);
    expect(r.verdict).toBe("violation");
    expect(r.violation!.invariant).toBe("reservation-conservation");
    expect(r.violation!.message).toMatch(/HugePages_Rsvd = 0 but 3 reservations are outstanding/);
  });
});

describe("faults beyond i_size", () => {
  it("private read-only mapping past EOF: SIGBUS, no reservation consumed (the 2006 absurd-Rsvd fix)", () => {
    const c = single([{ mmap: { addr: 0, len: 2, file: "f", write: false } }, { fault: { addr: 1 } }, { munmap: { addr: 0, len: 2 } }], { pages: 2 }, { pages: 2, isize: 1 });
    const x = run(c, all(c));
    expect(x.op(0).counters).toEqual(C(2, 2, 2));
    expect(x.op(1).result).toBe("SIGBUS");
    expect(x.op(1).counters).toEqual(C(2, 2, 2));
    expect(x.op(2).counters).toEqual(C(2, 2, 0));
  });
});

describe("every page in use is accounted for at the end", () => {
  it("after a mixed run, pages in use = Total − Free and each is referenced", () => {
    const c = single(
      [
        { mmap: { addr: 0, len: 1, file: "f", shared: true } },
        { fault: { addr: 0, write: true } },
        { mmap: { addr: 1, len: 1, file: "f", pgoff: 1 } },
        { fault: { addr: 1, write: true } },
      ],
      { pages: 3 },
    );
    const x = run(c, all(c));
    const k = x.final;
    let inUse = 0;
    for (let g = 1; g <= k.L.pages; g++) if (k.page_state(g) === PAGE_IN_USE) inUse++;
    expect(inUse).toBe(k.nr_huge_pages - k.free_huge_pages);
    expect(counters(k)).toEqual(C(3, 1, 0));
    for (let g = 1; g <= k.L.pages; g++) if (k.page_state(g) === PAGE_IN_USE) expect(k.page_ref(g)).toBeGreaterThan(0);
  });
});

describe("mprotect (mm/mprotect.c do_mprotect_pkey)", () => {
  it("read-only then writable again: a write in between is SIGSEGV, after it the page is reused in place", () => {
    const c = single(
      [
        { mmap: { addr: 0, len: 2, file: "f" } },
        { fault: { addr: 0, write: true } },
        { mprotect: { addr: 0, len: 2, write: false } },
        { fault: { addr: 0, write: true } },
        { mprotect: { addr: 0, len: 2, write: true } },
        { fault: { addr: 0, write: true } },
      ],
      { pages: 2 },
    );
    const x = run(c, all(c));
    expect(x.op(2).result).toBe("ok");
    expect(huge_pte_write(x.op(2).k.pte(0, 0))).toBe(false);
    expect(x.op(3).result).toBe("SIGSEGV");
    expect(x.op(5).result).toBe("ok");
    expect(pte_page(x.op(5).k.pte(0, 0))).toBe(pte_page(x.op(1).k.pte(0, 0)));
    expect(x.op(5).counters).toEqual(C(2, 1, 1));
  });

  it("mprotect of the middle of a private mapping splits it; the halves still return the right reservations", () => {
    const c = single(
      [
        { mmap: { addr: 0, len: 3, file: "f" } },
        { mprotect: { addr: 1, len: 1, write: false } },
        { fault: { addr: 1 } },
        { munmap: { addr: 0, len: 3 } },
      ],
      { pages: 3 },
      { pages: 3 },
    );
    const x = run(c, all(c));
    expect(vmas_of(x.op(1).k, 0)).toHaveLength(3);
    expect(x.op(1).counters).toEqual(C(3, 3, 3));
    expect(x.op(2).counters).toEqual(C(3, 2, 2));
    expect(x.op(3).counters).toEqual(C(3, 3, 0));
  });

  it("a range starting in a hole: ENOMEM", () => {
    const c = single([{ mmap: { addr: 1, len: 2, file: "f" } }, { mprotect: { addr: 0, len: 3, write: false } }], { pages: 2 }, { pages: 3 });
    const x = run(c, all(c));
    expect(x.op(1).result).toBe("ENOMEM");
  });

  /*
   * do_mprotect_pkey returns -ENOMEM before changing anything when `start` is not mapped
   * (`if (vma->vm_start > start) goto out;`), and stops with -ENOMEM at the first hole
   * (`if (vma->vm_start != tmp) { error = -ENOMEM; break; }`) or when the range runs past the
   * last VMA (`if (!error && tmp < end) error = -ENOMEM;`).
   */
  it("a range starting in a hole changes nothing (the VMA stays writable)", () => {
    const c = single(
      [{ mmap: { addr: 1, len: 2, file: "f" } }, { mprotect: { addr: 0, len: 3, write: false } }, { fault: { addr: 1, write: true } }],
      { pages: 2 },
      { pages: 3 },
    );
    const x = run(c, all(c));
    expect(x.op(1).result).toBe("ENOMEM");
    const k = x.op(1).k;
    expect(vmas_of(k, 0).map((v) => k.vm_flags(v) & VM_WRITE)).toEqual([VM_WRITE]);
    expect(x.op(2).result).toBe("ok");
  });

  it("a hole inside the range is ENOMEM, and the VMA after the hole keeps VM_WRITE", () => {
    const c = single(
      [
        { mmap: { addr: 0, len: 1, file: "f" } },
        { mmap: { addr: 2, len: 1, file: "f", pgoff: 2 } },
        { mprotect: { addr: 0, len: 3, write: false } },
        { fault: { addr: 2, write: true } },
      ],
      { pages: 2 },
      { pages: 3 },
    );
    const x = run(c, all(c));
    expect(x.op(2).result).toBe("ENOMEM");
    const k = x.op(2).k;
    expect(vmas_of(k, 0).map((v) => k.vm_flags(v) & VM_WRITE)).toEqual([0, VM_WRITE]);
    expect(x.op(3).result).toBe("ok");
  });

  it("a range running past the last VMA is ENOMEM", () => {
    const c = single([{ mmap: { addr: 0, len: 2, file: "f" } }, { mprotect: { addr: 1, len: 2, write: false } }], { pages: 2 }, { pages: 3 });
    const x = run(c, all(c));
    expect(x.op(1).result).toBe("ENOMEM");
  });
});

describe("MADV_DONTNEED of huge pages (madvise_dontneed; selftest hugetlb-madvise.c)", () => {
  const dontneed = { madvise_dontneed: { addr: 0, len: 2 } };

  it("private: the page goes back to the pool with its reservation (today, df7a6d1f6405), and the next touch consumes it again", () => {
    const c = single([{ mmap: { addr: 0, len: 2, file: "f" } }, { fault: { addr: 0, write: true } }, dontneed, { fault: { addr: 0, write: true } }], { pages: 3 });
    const x = run(c, all(c));
    expect(x.op(1).counters).toEqual(C(3, 2, 1));
    expect(x.op(2).counters).toEqual(C(3, 3, 2));
    expect(x.op(3).counters).toEqual(C(3, 2, 1));
  });

  it("private before v6.10: the page goes back to the pool, its index stays consumed, and the next touch takes an unreserved page", () => {
    const c = single([{ mmap: { addr: 0, len: 2, file: "f" } }, { fault: { addr: 0, write: true } }, dontneed, { fault: { addr: 0, write: true } }], { pages: 3 });
    const x = run(c, all(c), v69);
    expect(x.op(1).counters).toEqual(C(3, 2, 1));
    expect(x.op(2).result).toBe("ok");
    expect(x.op(2).counters).toEqual(C(3, 3, 1));
    expect(x.op(2).k.pte(0, 0)).toBe(0);
    expect(x.op(3).counters).toEqual(C(3, 2, 1));
  });

  it("shared: only the pte goes; the page stays in the page cache, and the next fault maps it again", () => {
    const c = single(
      [{ mmap: { addr: 0, len: 2, file: "f", shared: true } }, { fault: { addr: 0, write: true } }, dontneed, { fault: { addr: 0 } }],
      { pages: 3 },
    );
    const x = run(c, all(c));
    const g = x.op(1).k.page_cache(0, 0);
    expect(x.op(2).counters).toEqual(C(3, 2, 1));
    expect(x.op(2).k.pte(0, 0)).toBe(0);
    expect(x.op(2).k.page_cache(0, 0)).toBe(g);
    expect([x.op(2).k.page_ref(g), x.op(2).k.page_mapcount(g)]).toEqual([1, 0]);
    expect(pte_page(x.op(3).k.pte(0, 0))).toBe(g);
    expect(x.op(3).counters).toEqual(C(3, 2, 1));
  });

  it("over two VMAs with a hole between them: both are zapped, then ENOMEM (madvise_walk_vmas)", () => {
    const c = single(
      [
        { mmap: { addr: 0, len: 1, file: "f" } },
        { mmap: { addr: 2, len: 1, file: "f", pgoff: 2 } },
        { fault: { addr: 0, write: true } },
        { fault: { addr: 2, write: true } },
        { madvise_dontneed: { addr: 0, len: 3 } },
      ],
      { pages: 3 },
      { pages: 3 },
    );
    const x = run(c, all(c));
    expect(x.op(3).counters).toEqual(C(3, 1, 0));
    expect(x.op(4).result).toBe("ENOMEM");
    expect([x.op(4).k.pte(0, 0), x.op(4).k.pte(0, 2)]).toEqual([0, 0]);
    expect(x.op(4).counters).toEqual(C(3, 3, 2)); // both owners get their reservation back (df7a6d1f6405)
  });

  it("before v5.18 (seed-003): EINVAL, and the page stays mapped", () => {
    const c = single([{ mmap: { addr: 0, len: 2, file: "f" } }, { fault: { addr: 0, write: true } }, dontneed], { pages: 3 });
    const x = run(c, all(c), findVariant("seed-003")!);
    expect(x.op(2).result).toBe("EINVAL");
    expect(x.op(2).k.pte(0, 0)).not.toBe(0);
  });

  /** A faulted page of one mapping; thread 0 drops it, thread 1 touches it again. */
  const race = (mapping: Record<string, unknown>) =>
    config({
      pool: { pages: 1 },
      files: [{ name: "f", pages: 1 }],
      processes: ["p"],
      setup: [{ proc: "p", ops: [{ mmap: { addr: 0, len: 1, file: "f", ...mapping } }, { fault: { addr: 0, write: true } }] }],
      threads: [
        { name: "madv", proc: "p", ops: [{ madvise_dontneed: { addr: 0, len: 1 } }] },
        { name: "touch", proc: "p", ops: [{ fault: { addr: 0, write: true } }] },
      ],
    });

  /** Can touch's fault get past hugetlb_fault's locks once madv has zapped the pte (the page not yet freed)? */
  function faultRunsDuringZap(cfg: ModelConfig, variant: Variant): boolean {
    const m = new Machine(cfg, variant);
    let cur = m.initial().slice();
    const step = (t: number) => {
      const next = new Int32Array(m.stateWords);
      const moved = m.step(cur, t, next) !== null;
      if (moved) cur = next;
      return moved;
    };
    for (let i = 0; i < 4; i++) expect(step(0)).toBe(true); // madvise … __unmap_hugepage_range
    expect(m.nextStep(cur, 0)!.label).toBe("tlb_finish_mmu");
    expect(step(1)).toBe(true); // lock_mm_and_find_vma
    return step(1); // hugetlb_fault: the fault mutex, then hugetlb_vma_lock_read
  }

  it("the fault waits for hugetlb_zap_end: today a private owner's VMA lock is resv_map->rw_sema, a shared VMA has its own", () => {
    expect(faultRunsDuringZap(race({}), modern)).toBe(false);
    expect(faultRunsDuringZap(race({ shared: true }), modern)).toBe(false);
  });

  it("before v6.7 the zap dropped the VMA lock before freeing, and a private VMA had none: the fault runs", () => {
    const v66 = findVariant("bug-dontneed-frees-after-unlock")!;
    expect(faultRunsDuringZap(race({}), v66)).toBe(true);
    expect(faultRunsDuringZap(race({ shared: true }), v66)).toBe(true);
  });

  it("today's kernel still races for a private mapping without a reserve map (MAP_NORESERVE): it has no VMA lock", async () => {
    // Measured on 6.18 with the selftest's loop (1-page pool, 100 MADV_DONTNEEDs against 100
    // writes, per mmap): 0 SIGBUS in 80,000 reserved mappings, SIGBUS in 152 of 400 runs of 200
    // MAP_NORESERVE ones. A fork child's copy of a private VMA has no reserve map either.
    expect(faultRunsDuringZap(race({ noreserve: true }), modern)).toBe(true);
    const r = await search(new Machine(race({ noreserve: true }), modern), INVARIANTS);
    expect(r.violation?.invariant).toBe("zap-fault-serializable");
  });
});

describe("locking (kernel-notes §3)", () => {
  it("truncate races faults on the file and every invariant holds (exhaustive)", async () => {
    const c = config({
      pool: { pages: 2 },
      files: [{ name: "f", pages: 2 }],
      processes: ["a"],
      setup: [{ proc: "a", ops: [{ mmap: { addr: 0, len: 2, file: "f", shared: true } }] }],
      threads: [
        { name: "faulter", proc: "a", ops: [{ fault: { addr: 0, write: true } }, { fault: { addr: 1 } }] },
        { name: "truncater", proc: "a", ops: [{ ftruncate: { file: "f", size: 1 } }] },
      ],
    });
    const r = await search(new Machine(c, modern), INVARIANTS);
    expect(r.violation, r.violation && `${r.violation.invariant}: ${r.violation.message}`).toBeUndefined();
    expect(r.verdict).toBe("pass");
  });

  /*
   * Truncate runs under the inode's i_rwsem (do_truncate: inode_lock(); notify_change() →
   * hugetlbfs_setattr → hugetlb_vmtruncate; inode_unlock()), so two truncates of one file never
   * interleave: without it a second truncate's hugetlb_unreserve_pages, run between the first
   * one's remove_inode_hugepages and hugetlb_unreserve_pages, wraps HugePages_Rsvd to -1.
   */
  it("two truncates of one file are serialised by i_rwsem (no violation)", async () => {
    const c = config({
      pool: { pages: 1 },
      files: [{ name: "f", pages: 1 }],
      processes: ["a"],
      setup: [{ proc: "a", ops: [{ mmap: { addr: 0, len: 1, file: "f", shared: true } }, { fault: { addr: 0, write: true } }] }],
      threads: [
        { name: "t0", proc: "a", ops: [{ ftruncate: { file: "f", size: 0 } }] },
        { name: "t1", proc: "a", ops: [{ ftruncate: { file: "f", size: 0 } }] },
      ],
    });
    await expectPass(c);
  });

  /*
   * hugetlbfs_file_mmap takes inode_lock (i_rwsem) around hugetlb_reserve_pages and the i_size
   * extension of a writable mapping, so it cannot run inside a truncate. Without it: truncate
   * sets i_size 0, the mmap extends it back to 1, truncate's remove_inode_hugepages passes index
   * 0, a fault instantiates index 0 (consuming its reservation), and hugetlb_unreserve_pages
   * deletes both map entries with freed = 0: HugePages_Rsvd = -1.
   */
  it("mmap of a file is serialised with its truncate by i_rwsem (no violation)", async () => {
    const c = config({
      pool: { pages: 2 },
      files: [{ name: "f", pages: 2 }],
      processes: ["a", "b", "c"],
      setup: [{ proc: "a", ops: [{ mmap: { addr: 0, len: 2, file: "f", shared: true } }] }],
      threads: [
        { name: "mapper", proc: "c", ops: [{ mmap: { addr: 2, len: 1, file: "f", shared: true } }] },
        { name: "truncater", proc: "b", ops: [{ ftruncate: { file: "f", size: 0 } }] },
        { name: "faulter", proc: "a", ops: [{ fault: { addr: 0, write: true } }] },
      ],
    });
    await expectPass(c);
  });

  it("without the mapper, the same truncate and fault keep every invariant", async () => {
    const c = config({
      pool: { pages: 2 },
      files: [{ name: "f", pages: 2 }],
      processes: ["a", "b"],
      setup: [{ proc: "a", ops: [{ mmap: { addr: 0, len: 2, file: "f", shared: true } }] }],
      threads: [
        { name: "truncater", proc: "b", ops: [{ ftruncate: { file: "f", size: 0 } }] },
        { name: "faulter", proc: "a", ops: [{ fault: { addr: 0, write: true } }] },
      ],
    });
    expect((await search(new Machine(c, modern), INVARIANTS)).verdict).toBe("pass");
  });
});

describe("processes that never start", () => {
  it("a child forked before its parent exits runs, and nothing is stuck", async () => {
    const c = config({
      pool: { pages: 1 },
      files: [{ name: "f", pages: 1 }],
      processes: ["parent", "child"],
      setup: [{ proc: "parent", ops: [{ mmap: { addr: 0, len: 1, file: "f" } }] }],
      threads: [
        { name: "forker", proc: "parent", ops: [{ fork: { child: "child" } }, "exit"] },
        { name: "child", proc: "child", ops: [{ fault: { addr: 0 } }] },
      ],
    });
    await expectPass(c);
  });

  /*
   * When another thread of the parent exits the process before the fork runs, the fork never
   * happens and the child is never born: in the kernel nothing waits, so the child's thread
   * counts as done (Machine.done), not as a deadlock.
   */
  it("a child whose fork never happens (the parent exited first) is not a deadlock", async () => {
    const c = config({
      pool: { pages: 1 },
      files: [{ name: "f", pages: 1 }],
      processes: ["parent", "child"],
      setup: [{ proc: "parent", ops: [{ mmap: { addr: 0, len: 1, file: "f" } }] }],
      threads: [
        { name: "forker", proc: "parent", ops: [{ fork: { child: "child" } }] },
        { name: "child", proc: "child", ops: [{ fault: { addr: 0 } }] },
        { name: "exiter", proc: "parent", ops: ["exit"] },
      ],
    });
    await expectPass(c);
  });
});
