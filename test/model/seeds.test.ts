import { describe, expect, it } from "vitest";
import { Machine } from "../../model/machine.js";
import { huge_pte_write, pte_page } from "../../model/mm/pte.js";
import { operations } from "../../model/ops/index.js";
import { BLOCKED, Result } from "../../model/types.js";
import { findVariant } from "../../model/variant.js";
import { INVARIANTS } from "../../invariants/index.js";
import { search } from "../helpers/search.js";
import { loadScenario } from "../../scenarios/load.js";
import { resolveScenario } from "../../scenarios/load.js";
import { ScenarioSchema } from "../../scenarios/schema.js";

/** Runs one process's operations one after another; returns the kernel view and each result. */
function sequence(variant: string, pool: number, ops: unknown[]) {
  const s = ScenarioSchema.parse({
    name: "seq",
    summary: "sequential",
    pool: { pages: pool },
    files: [{ name: "f", pages: 3 }],
    processes: ["p"],
    threads: [{ name: "t", proc: "p", ops }],
  });
  const { config } = resolveScenario(s);
  const m = new Machine(config, findVariant(variant)!);
  const k = m.view(m.initial());
  const results = config.threads[0]!.ops.map((op) => m.runToCompletion(k, op));
  return { k, results };
}

/** Runs setup blocks (each `{ proc, ops }`) one after another; returns the kernel view. */
function setupOnly(variant: string, pool: number, files: unknown[], setup: unknown[]) {
  const s = ScenarioSchema.parse({
    name: "seq",
    summary: "sequential",
    pool: { pages: pool },
    files,
    processes: ["parent", "child"],
    setup,
    threads: [{ name: "t", proc: "parent", ops: [{ fault: { addr: 0 } }] }],
  });
  const { config } = resolveScenario(s);
  const m = new Machine(config, findVariant(variant)!);
  return m.view(m.initial());
}

describe("seed 000 as posted (2004 hugepage COW)", () => {
  it("fork copies every hugetlb pte, and the child's first write reaches hugepage_cow's copy", () => {
    // 2.6.5's dup_mmap copied every hugetlb VMA (no anon_vma, no vma_needs_copy yet).
    const setup = [
      { proc: "parent", ops: [{ mmap: { addr: 0, len: 1, file: "f" } }, { fork: { child: "child" } }] },
      { proc: "child", ops: [{ fault: { addr: 0, write: true } }] },
    ];
    const k = setupOnly("seed-000", 3, [{ name: "f", pages: 1 }], setup);
    const parentPage = pte_page(k.pte(0, 0));
    const childPage = pte_page(k.pte(1, 0));
    expect(childPage).not.toBe(0);
    expect(childPage).not.toBe(parentPage); // the copy, not a reuse
    expect(huge_pte_write(k.pte(1, 0))).toBe(true);
    expect(huge_pte_write(k.pte(0, 0))).toBe(false); // still write-protected by fork
    expect(k.free_huge_pages).toBe(1);
  });

  it("fork-cow-write reaches hugepage_cow's copy (step coverage)", async () => {
    const { config } = loadScenario("fork-cow-write");
    const r = await search(new Machine(config, findVariant("seed-000")!), INVARIANTS);
    expect(r.verdict).toBe("pass");
    expect(r.coverage).toContain("copy_hugetlb_page_range");
    expect(r.coverage).toContain("hugetlb_wp:pte_same"); // the copy is installed after the re-check
  });

  it("prefault looks a private mapping's indices up in the page cache, and maps them writable after a miss", () => {
    // The seed's `writable` is set to VM_WRITE by a private miss and kept for the rest of the loop.
    const shared = { proc: "parent", ops: [{ mmap: { addr: 0, len: 1, pgoff: 1, file: "f", shared: true } }] };
    const priv = { proc: "child", ops: [{ mmap: { addr: 0, len: 2, file: "f" } }] };
    const k = setupOnly("seed-000", 3, [{ name: "f", pages: 2 }], [shared, priv]);
    const cached = pte_page(k.pte(0, 0));
    expect(k.page_cache(0, 1)).toBe(cached);
    expect(pte_page(k.pte(1, 1))).toBe(cached);
    expect(huge_pte_write(k.pte(1, 1))).toBe(true);
    expect(k.page_mapping(pte_page(k.pte(1, 0)))).toBe(0); // index 0: a private page of its own
  });

  it("maps a page-cache page met before any miss read-only", () => {
    const shared = { proc: "parent", ops: [{ mmap: { addr: 0, len: 1, file: "f", shared: true } }] };
    const priv = { proc: "child", ops: [{ mmap: { addr: 0, len: 2, file: "f" } }] };
    const k = setupOnly("seed-000", 3, [{ name: "f", pages: 2 }], [shared, priv]);
    expect(pte_page(k.pte(1, 0))).toBe(k.page_cache(0, 0));
    expect(huge_pte_write(k.pte(1, 0))).toBe(false);
    expect(huge_pte_write(k.pte(1, 1))).toBe(true);
  });

  it("prefaults every page at mmap and reserves nothing", () => {
    const { k, results } = sequence("seed-000", 3, [{ mmap: { addr: 0, len: 2, file: "f" } }]);
    expect(results).toEqual([Result.OK]);
    expect([k.nr_huge_pages, k.free_huge_pages, k.resv_huge_pages]).toEqual([3, 1, 0]);
    expect(k.pte(0, 0)).not.toBe(0);
    expect(k.pte(0, 1)).not.toBe(0);
  });

  it("fails the mmap (ENOMEM) when the pool cannot fill it, and gives back what it took", () => {
    const { k, results } = sequence("seed-000", 1, [{ mmap: { addr: 0, len: 2, file: "f" } }]);
    expect(results).toEqual([Result.ENOMEM]);
    expect([k.free_huge_pages, k.resv_huge_pages]).toEqual([1, 0]);
    expect(k.pte(0, 0)).toBe(0);
  });

  it("answers a fault on an empty pte with SIGBUS, and cannot grow a file back (2.6.5's truncate)", () => {
    // Truncate empties the second pte; 2.6.5 refuses to grow the file again ("Expanding
    // truncates are not allowed"), so the pte stays empty.
    const ops = [
      { mmap: { addr: 0, len: 2, file: "f" } },
      { ftruncate: { file: "f", size: 1 } },
      { ftruncate: { file: "f", size: 2 } },
      { fault: { addr: 1 } },
    ];
    expect(sequence("seed-000", 3, ops).results).toEqual([Result.OK, Result.OK, Result.EINVAL, Result.SIGBUS]);
    expect(sequence("modern", 3, ops).results).toEqual([Result.OK, Result.OK, Result.OK, Result.OK]);
  });

  it("refuses mprotect of a hugetlb VMA (EACCES) and fallocate (EOPNOTSUPP), as 2.6.5 did", () => {
    const ops = [
      { mmap: { addr: 0, len: 2, file: "f" } },
      { mprotect: { addr: 0, len: 1, write: false } },
      { punch_hole: { file: "f", offset: 0, len: 1 } },
    ];
    expect(sequence("seed-000", 3, ops).results).toEqual([Result.OK, Result.EACCES, Result.EOPNOTSUPP]);
    expect(sequence("seed-003", 3, ops).results).toEqual([Result.OK, Result.OK, Result.EOPNOTSUPP]);
    expect(sequence("modern", 3, ops).results).toEqual([Result.OK, Result.OK, Result.OK]);
  });

  it("extends i_size to the end of a read-only mapping too", () => {
    const ops = [{ ftruncate: { file: "f", size: 0 } }, { mmap: { addr: 0, len: 2, file: "f", write: false } }];
    expect(sequence("seed-000", 3, ops).k.i_size(0)).toBe(2);
    expect(sequence("modern", 3, ops).k.i_size(0)).toBe(0);
  });

  it("today's kernel instead reserves at mmap and allocates at the fault", () => {
    const { k } = sequence("modern", 3, [{ mmap: { addr: 0, len: 2, file: "f" } }]);
    expect([k.free_huge_pages, k.resv_huge_pages]).toEqual([3, 2]);
    expect(k.pte(0, 0)).toBe(0);
  });
});

describe("fork's copy of hugetlb ptes in each era", () => {
  const files = [{ name: "f", pages: 2 }];
  /** A shared mapping, and a private one that maps a page-cache page read-only (no anon_vma). */
  const setup = () => [
    {
      proc: "parent",
      ops: [
        { mmap: { addr: 0, len: 1, file: "f" } },
        { mmap: { addr: 1, len: 2, file: "f", shared: true } },
        { fault: { addr: 1 } },
        { fault: { addr: 2 } },
        { fault: { addr: 0 } },
        { fork: { child: "child" } },
      ],
    },
  ];

  it("v6.18 copies only a VMA with an anon_vma; 2.6.21 to v5.19 copy every hugetlb VMA", () => {
    const modern = setupOnly("modern", 3, files, setup());
    expect(pte_page(modern.pte(0, 0))).toBe(modern.page_cache(0, 0));
    expect([modern.pte(1, 0), modern.pte(1, 1), modern.pte(1, 2)]).toEqual([0, 0, 0]);
    for (const v of ["seed-002", "seed-003", "bug-fork-child-pte-writable"]) {
      const k = setupOnly(v, 3, files, setup());
      expect([0, 1, 2].map((a) => pte_page(k.pte(1, a)))).toEqual([0, 0, 1].map((i) => k.page_cache(0, i)));
    }
  });

  it("takes one step per present pte under both PTLs, so another process can run between two", () => {
    const variant = findVariant("modern")!;
    const fork = operations(variant).fork!;
    expect(fork.steps.map((s) => s.label)).toContain("copy_hugetlb_page_range");
    const s = ScenarioSchema.parse({
      name: "two-ptes",
      summary: "fork of two anonymous huge pages",
      pool: { pages: 3 },
      files,
      processes: ["parent", "child"],
      setup: [{ proc: "parent", ops: [{ mmap: { addr: 0, len: 2, file: "f" } }, { fault: { addr: 0, write: true } }, { fault: { addr: 1, write: true } }] }],
      threads: [{ name: "forker", proc: "parent", ops: [{ fork: { child: "child" } }] }],
    });
    const { config } = resolveScenario(s);
    const m = new Machine(config, variant);
    const k = m.view(m.initial());
    const seen: number[][] = [];
    for (let guard = 0; guard < 10 && !m.done(k.a, 0); guard++) {
      expect(m.runStep(k, 0)).not.toBe(BLOCKED);
      seen.push([k.pte(1, 0) ? 1 : 0, k.pte(1, 1) ? 1 : 0]);
    }
    // mmap_write_lock + dup_mmap link, then pte 0, then pte 1 (fork_done with it).
    expect(seen).toContainEqual([1, 0]);
    expect(seen.at(-1)).toEqual([1, 1]);
  });
});

describe("seed 003's hugetlb_cow (2.6.27)", () => {
  it("ends a fault whose allocation fails in VM_FAULT_OOM, where today's gives SIGBUS", () => {
    const ops = [{ mmap: { addr: 0, len: 1, file: "f", noreserve: true } }, { fault: { addr: 0 } }];
    expect(sequence("seed-003", 0, ops).results).toEqual([Result.OK, Result.ENOMEM]);
    expect(sequence("modern", 0, ops).results).toEqual([Result.OK, Result.SIGBUS]);
  });

  it("result-guarantee sees a VM_FAULT_OOM on a reserved index, and holds under the instantiation mutex", async () => {
    const { config } = loadScenario("instantiation-race");
    const seed003 = findVariant("seed-003")!;
    expect((await search(new Machine(config, seed003), INVARIANTS)).verdict).toBe("pass");
    // Without the instantiation mutex the loser's allocation fails on a reserved index.
    const r = await search(new Machine(config, { ...seed003, name: "seed-003-no-mutex", faultMutex: "none" }), INVARIANTS);
    expect(r.violation?.invariant).toBe("result-guarantee");
    expect(r.violation?.message).toContain("VM_FAULT_OOM");
  });
});
