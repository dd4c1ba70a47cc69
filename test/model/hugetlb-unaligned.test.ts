/**
 * munmap and mprotect of a hugetlb range in 4 KiB units (`unit: 4k`), held to what v6.18 did
 * on the live kernel here (a MAP_HUGETLB|MAP_NORESERVE mapping of 4 huge pages, /proc/self/maps
 * read after each call): hugetlb_vm_op_split refuses a cut inside a huge page with EINVAL, and
 * the splits (and for mprotect the changes) made before it stay.
 */
import { describe, expect, it } from "vitest";
import { Machine } from "../../model/machine.js";
import { VM_WRITE } from "../../model/layout.js";
import { vmas_of } from "../../model/mm/vma.js";
import { Result } from "../../model/types.js";
import { findVariant } from "../../model/variant.js";
import { ScenarioError, resolveScenario } from "../../scenarios/load.js";
import { ScenarioSchema } from "../../scenarios/schema.js";

const H = 512;

function run(ops: unknown[]) {
  const s = ScenarioSchema.parse({
    name: "unaligned",
    summary: "unaligned hugetlb ranges",
    pool: { pages: 4 },
    files: [{ name: "f", pages: 4 }],
    processes: ["p"],
    threads: [{ name: "t", proc: "p", ops: [{ mmap: { addr: 0, len: 4, file: "f" } }, ...ops] }],
  });
  const { config } = resolveScenario(s);
  const m = new Machine(config, findVariant("modern")!);
  const k = m.view(m.initial());
  const results = config.threads[0]!.ops.map((op) => m.runToCompletion(k, op)).slice(1);
  const vmas = vmas_of(k, 0).map((v) => `[${k.vm_start(v)},${k.vm_end(v)})${k.vm_flags(v) & VM_WRITE ? "w" : "r"}`);
  return { k, results, vmas };
}

describe("hugetlb ranges in 4 KiB units (v6.18: EINVAL, the split made before it stays)", () => {
  it("munmap [1, 1.5): the split at 1 stays, EINVAL, nothing unmapped", () => {
    const { results, vmas, k } = run([{ munmap: { addr: H, len: H / 2, unit: "4k" } }]);
    expect(results).toEqual([Result.EINVAL]);
    expect(vmas).toEqual(["[0,1)w", "[1,4)w"]);
    expect(k.resv_huge_pages).toBe(4);
  });

  it("munmap [1.5, 2.5): the first cut is refused, nothing changes", () => {
    const { results, vmas } = run([{ munmap: { addr: H + H / 2, len: H, unit: "4k" } }]);
    expect(results).toEqual([Result.EINVAL]);
    expect(vmas).toEqual(["[0,4)w"]);
  });

  it("munmap [0, 0.5): EINVAL, no split", () => {
    const { results, vmas } = run([{ munmap: { addr: 0, len: H / 2, unit: "4k" } }]);
    expect(results).toEqual([Result.EINVAL]);
    expect(vmas).toEqual(["[0,4)w"]);
  });

  it("munmap [1, 2.5) over two VMAs: the start split stays, the end is refused", () => {
    const { results, vmas } = run([{ mprotect: { addr: 2, len: 2, write: false } }, { munmap: { addr: H, len: H + H / 2, unit: "4k" } }]);
    expect(results).toEqual([Result.OK, Result.EINVAL]);
    expect(vmas).toEqual(["[0,1)w", "[1,2)w", "[2,4)r"]);
  });

  it("munmap [1, 2.5) whose end is in a hole: unmaps [1, 2)", () => {
    const { results, vmas } = run([{ munmap: { addr: 2, len: 2 } }, { munmap: { addr: H, len: H + H / 2, unit: "4k" } }]);
    expect(results).toEqual([Result.OK, Result.OK]);
    expect(vmas).toEqual(["[0,1)w"]);
  });

  it("mprotect [1, 1.5): the split at 1 stays, EINVAL, protection unchanged", () => {
    const { results, vmas } = run([{ mprotect: { addr: H, len: H / 2, write: false, unit: "4k" } }]);
    expect(results).toEqual([Result.EINVAL]);
    expect(vmas).toEqual(["[0,1)w", "[1,4)w"]);
  });

  it("mprotect [1, 2.5) over two VMAs: [1, 2) is changed, then EINVAL at the second", () => {
    const { results, vmas } = run([
      { mprotect: { addr: 2, len: 2, write: false } },
      { mprotect: { addr: 2, len: 2, write: true } },
      { mprotect: { addr: H, len: H + H / 2, write: false, unit: "4k" } },
    ]);
    expect(results).toEqual([Result.OK, Result.OK, Result.EINVAL]);
    expect(vmas).toEqual(["[0,1)w", "[1,2)r", "[2,4)w"]);
  });

  it("mprotect [1, 2.5) whose end is in a hole: [1, 2) is changed, then ENOMEM", () => {
    const { results, vmas } = run([{ munmap: { addr: 2, len: 2 } }, { mprotect: { addr: H, len: H + H / 2, write: false, unit: "4k" } }]);
    expect(results).toEqual([Result.OK, Result.ENOMEM]);
    expect(vmas).toEqual(["[0,1)w", "[1,2)r"]);
  });

  it("a range in 4 KiB units that is aligned behaves as the same range in huge pages", () => {
    expect(run([{ munmap: { addr: H, len: 2 * H, unit: "4k" } }]).vmas).toEqual(run([{ munmap: { addr: 1, len: 2 } }]).vmas);
  });

  it("the loader checks each unit's bounds, naming the field", () => {
    expect(() => ScenarioSchema.parse({ name: "x", summary: "x", pool: { pages: 1 }, processes: ["p"], threads: [{ name: "t", proc: "p", ops: [{ munmap: { addr: 100, len: 1 } }] }] })).toThrow(
      /at most 63 huge pages/,
    );
    const s = ScenarioSchema.parse({
      name: "x",
      summary: "x",
      pool: { pages: 1 },
      files: [{ name: "f", pages: 1 }],
      processes: ["p"],
      threads: [{ name: "t", proc: "p", ops: [{ mmap: { addr: 0, len: 1, file: "f" } }, { munmap: { addr: 0, len: 3 * H, unit: "4k" } }] }],
    });
    expect(() => resolveScenario(s)).toThrow(ScenarioError);
    expect(() => resolveScenario(s)).toThrow(/munmap\.addr: outside the address space of 1 pages/);
  });
});
