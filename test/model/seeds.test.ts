import { describe, expect, it } from "vitest";
import { Machine } from "../../model/machine.js";
import { Result } from "../../model/types.js";
import { findVariant } from "../../model/variant.js";
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

describe("seed 000 as posted (2004 hugepage COW)", () => {
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

  it("answers a fault on an empty pte with SIGBUS: the only faults it handles are COWs", () => {
    // Truncate empties the second pte; growing the file back leaves it empty and inside i_size.
    const ops = [
      { mmap: { addr: 0, len: 2, file: "f" } },
      { ftruncate: { file: "f", size: 1 } },
      { ftruncate: { file: "f", size: 2 } },
      { fault: { addr: 1 } },
    ];
    expect(sequence("seed-000", 3, ops).results).toEqual([Result.OK, Result.OK, Result.OK, Result.SIGBUS]);
    expect(sequence("modern", 3, ops).results).toEqual([Result.OK, Result.OK, Result.OK, Result.OK]);
  });

  it("today's kernel instead reserves at mmap and allocates at the fault", () => {
    const { k } = sequence("modern", 3, [{ mmap: { addr: 0, len: 2, file: "f" } }]);
    expect([k.free_huge_pages, k.resv_huge_pages]).toEqual([3, 2]);
    expect(k.pte(0, 0)).toBe(0);
  });
});
