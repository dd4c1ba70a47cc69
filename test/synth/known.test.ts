/** Which open findings a run's failures are (synth/known.ts), and the coarser classes of a summary. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { findVariant } from "../../model/variant.js";
import type { SynthFinding } from "../../reports/synth-schema.js";
import { classesOf, knownFindings } from "../../synth/known.js";

const scenario = (name: string) => parse(readFileSync(`scenarios/${name}.yaml`, "utf8")) as Record<string, unknown>;
const modern = findVariant("modern")!;
/** Finding 002 as a sweep found it: MADV_DONTNEED's pages wait in the mmu_gather while a fault of the same MAP_NORESERVE mapping finds the pool empty. */
const dontneedFault = parse(`
name: dontneed-fault
summary: finding 002 as a sweep found it
pool: { pages: 1, overcommit: 0 }
files: [{ name: f, pages: 1 }]
processes: [p0]
addressSpace: 2
setup: [{ proc: p0, ops: [{ mmap: { addr: 0, len: 1, file: f, shared: false, noreserve: true } }] }]
threads:
  - { name: t0, proc: p0, ops: [{ fault: { addr: 0, write: true } }] }
  - { name: t1, proc: p0, ops: [{ gup: { addr: 0, write: true, pin: true } }, { madvise_dontneed: { addr: 0, len: 1 } }] }
`) as Record<string, unknown>;

describe("knownFindings", () => {
  it("names the open findings whose fix holds on the scenario, and no other", { timeout: 60_000 }, async () => {
    // Finding 004: only 004's fix (unmap restores only an unreferenced page's reservation) holds; 001's does not (the page is not mapped elsewhere).
    expect(await knownFindings(modern, scenario("vmsplice-owner-munmap"), "pool-counters")).toEqual(["004"]);
    // Finding 001: both unmap fixes hold (004's alsoFixes 001).
    expect(await knownFindings(modern, scenario("fork-owner-dontneed"), "reservation-conservation")).toEqual(["001", "004"]);
    expect(await knownFindings(modern, dontneedFault, "zap-fault-serializable")).toEqual(["002"]);
    expect(await knownFindings(modern, scenario("subpool-alloc-failure"), "pool-counters")).toEqual(["003"]);
  });

  it("says nothing of another variant's failures (the fixes are today's kernel)", async () => {
    expect(await knownFindings(findVariant("bug-fork-child-pte-writable")!, scenario("fork-owner-dontneed"), "reservation-conservation")).toEqual([]);
  });
});

describe("classesOf", () => {
  const f = (id: string, invariant: string, steps: string[], known?: string[]): SynthFinding => ({
    id,
    invariant,
    message: "",
    depth: 1,
    shortest: true,
    steps,
    scenario: `findings/${id}.yaml`,
    report: `findings/${id}.json`,
    size: { threads: 2, ops: 2 },
    count: Number(id),
    foundMs: 0,
    ...(known && { known }),
  });

  it("puts an open finding's failures in one class, the others by invariant and operations, in order of first finding", () => {
    const classes = classesOf([
      f("001", "reservation-conservation", ["munmap.unmap_region"], ["001", "004"]),
      f("002", "pool-counters", ["fault.hugetlb_fault:pte_same", "munmap.unmap_region"]),
      f("003", "reservation-conservation", ["exit.exit_mmap", "fork.dup_mmap"], ["001", "004"]),
      f("004", "pool-counters", ["munmap.unmap_region", "fault.hugetlb_no_page:pte_same"]),
      f("005", "pool-counters", ["munmap.unmap_region"]),
      f("006", "reservation-conservation", ["munmap.unmap_region"], ["001"]),
    ]);
    expect(classes).toEqual([
      { invariant: "reservation-conservation", operations: ["exit", "fork", "munmap"], known: ["001", "004"], findings: ["001", "003"], count: 4 },
      { invariant: "pool-counters", operations: ["fault", "munmap"], known: [], findings: ["002", "004"], count: 6 },
      { invariant: "pool-counters", operations: ["munmap"], known: [], findings: ["005"], count: 5 },
      { invariant: "reservation-conservation", operations: ["munmap"], known: ["001"], findings: ["006"], count: 6 },
    ]);
  });
});
