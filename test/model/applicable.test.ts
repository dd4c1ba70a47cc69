/**
 * Not applicable (model/changed.ts): a run that never reaches the code its variant changes from
 * modern — the era code it selects, or a line reading a Variant field whose value differs —
 * passes as `not-applicable`, never as `pass`; modern is always applicable; a violation stays
 * a violation; the steps that reached the variant's code are the same for any number of workers.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readCheckpoint } from "../../explorer/checkpoint.js";
import { explore } from "../../explorer/explore.js";
import { changedFields, era, markedVariant } from "../../model/changed.js";
import { Machine } from "../../model/machine.js";
import { findVariant, VARIANTS } from "../../model/variant.js";
import { mmModel } from "../../models/mm.js";
import { loadScenario } from "../../scenarios/load.js";
import { exploreRef } from "../helpers/search.js";

const dir = mkdtempSync(join(tmpdir(), "mmcheck-applicable-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (scenario: string, variant: string) => explore(mmModel(loadScenario(scenario).config, findVariant(variant)!));

describe("a variant's one-line toggles", () => {
  it("a fix whose line the run never reads is not applicable; where the run reads it, it passes", async () => {
    // fix-dontneed-noreserve changes one field, read by a fault in a VMA with no hugetlb VMA lock.
    const owner = await run("dontneed-fault", "fix-dontneed-noreserve");
    expect(owner.verdict).toBe("not-applicable");
    expect(owner.changed).toEqual([]);
    const noreserve = await run("dontneed-fault-noreserve", "fix-dontneed-noreserve");
    expect(noreserve.verdict).toBe("pass");
    expect(noreserve.changed).toEqual(["hugetlb_fault:fault_mutex"]);
  });

  it("only the steps that read a differing field are marked", async () => {
    const r = await run("split-unmap", "fix-unmap-restore-reserve");
    expect(changedFields(findVariant("fix-unmap-restore-reserve")!)).toEqual(["restoreReserveOnUnmap"]);
    // __unmap_hugepage_range's fix-up, reached by the split's unmap and by exit; not the faults.
    expect(r.changed).toEqual(["exit_mmap", "unmap_region"]);
    expect(r.coverage).toContain("hugetlb_no_page:pte_same");
  });

  it("modern reads plain fields, and is applicable even where nothing is marked", async () => {
    const modern = new Machine(loadScenario("fork-fault").config, VARIANTS[0]!);
    for (const f of Object.keys(VARIANTS[0]!)) expect(Object.getOwnPropertyDescriptor(modern.k.variant, f)?.get, f).toBeUndefined();
    const r = await run("fork-fault", "modern");
    expect([r.verdict, r.changed]).toEqual(["pass", []]);
    let reads = 0;
    const marked = markedVariant(findVariant("seed-003")!, () => reads++);
    expect([marked.name, marked.privateResv, reads]).toEqual(["seed-003", "map", 0]);
    expect([marked.faultMutex, reads]).toEqual(["global", 1]);
  });

  it("a violation is a violation, reached or not", async () => {
    // fix-dontneed-noreserve never reaches its line in split-unmap, where finding 001 shows.
    const r = await run("split-unmap", "fix-dontneed-noreserve");
    expect([r.verdict, r.violation?.invariant, r.changed]).toEqual(["violation", "reservation-conservation", []]);
  });
});

describe("a variant's eras", () => {
  it("era functions mark the step that calls them (seed 000's hugetlb_prefault, called by mmap in setup)", async () => {
    const r = await run("split-unmap", "seed-000");
    expect(r.changed).toContain("hugetlbfs_file_mmap");
  });

  it("the steps an era defines mark themselves (seed 004's do_dax_fault)", async () => {
    const r = await run("dax-cow-truncate", "seed-004");
    expect(r.changed).toEqual(expect.arrayContaining(["do_dax_fault:find_get_page", "do_dax_fault:i_mmap_mutex"]));
  });

  it("an era that is today's is not wrapped; another is a marked copy", () => {
    const today = { f: () => 1 };
    expect(era(today, today)).toBe(today);
    const other = { f: () => 2, n: 3, nested: { g: () => 4 } };
    const m = era(other, today as unknown as typeof other);
    expect(m).not.toBe(other);
    expect([m.f(), m.n, m.nested.g()]).toEqual([2, 3, 4]);
  });

  it("a seed whose era code a scenario never reaches is not applicable there (shmem under seed 001)", async () => {
    const r = await run("shared-anon", "seed-001");
    expect([r.verdict, r.changed]).toEqual(["not-applicable", []]);
  });
});

it("the steps that reached the variant's code are the same with 1 and 2 workers", async () => {
  const ref = { name: "mm", args: { scenario: "mlock-populate-read", variant: "seed-001" } };
  const one = await exploreRef(ref, 1);
  const two = await exploreRef(ref, 2, { chunkSize: 16, spreadFrom: 1 });
  expect(one.changed.length).toBeGreaterThan(0);
  expect([two.verdict, two.coverage, two.changed]).toEqual([one.verdict, one.coverage, one.changed]);
});

it("a checkpoint carries them: a resumed search has the setup's, which it never runs again", async () => {
  const path = join(dir, "seed-000.ckpt");
  const ref = { name: "mm", args: { scenario: "split-unmap", variant: "seed-000" } };
  const whole = await exploreRef(ref, 1);
  // Seed 000's prefault runs in the setup's mmap only.
  expect(whole.changed).toContain("hugetlbfs_file_mmap");
  expect((await exploreRef(ref, 1, { maxDepth: 2, checkpoint: { path, everyMs: 0 } })).bound).toBe("max-depth");
  const resumed = await exploreRef(ref, 1, { resume: readCheckpoint(path) });
  expect([resumed.verdict, resumed.coverage, resumed.changed]).toEqual([whole.verdict, whole.coverage, whole.changed]);
});
