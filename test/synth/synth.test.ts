/** mmcheck sweep, fuzz and merge as functions (synth/): shards merge into the unsharded run, a seed gives the same run, findings shrink and replay. */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { reproduce } from "../../explorer/trace.js";
import { threadsFromItf } from "../../reports/itf.js";
import { readReport } from "../../reports/read.js";
import { modelSteps } from "../../model/ops/index.js";
import { findVariant } from "../../model/variant.js";
import { buildMm } from "../../models/mm.js";
import type { SynthSummary } from "../../reports/synth-schema.js";
import { fuzz } from "../../synth/fuzz.js";
import { mergeSweeps, MergeError } from "../../synth/merge.js";
import { sweep } from "../../synth/sweep.js";

const root = mkdtempSync(join(tmpdir(), "mmcheck-synth-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const tmp = () => mkdtempSync(join(root, "run-"));
const variant = findVariant("bug-fork-child-pte-writable")!;
const against = findVariant("modern")!;
const never = () => false;
/** A summary without what varies from run to run (durations), and its finding files' contents. */
function comparable(dir: string, s: SynthSummary) {
  const files = readdirSync(join(dir, "findings"))
    .sort()
    .map((f) => [f, readFileSync(join(dir, "findings", f), "utf8").replaceAll(dir, "DIR").replace(/"durationMs": \d+/, "")]);
  return { ...s, stats: { ...s.stats, durationMs: 0 }, findings: s.findings.map((f) => ({ ...f, foundMs: 0 })), files };
}

describe("sweep", () => {
  const bound = { threads: 2, ops: 1, pages: 1 };

  it("shards 1/2 and 2/2 merged equal the unsharded run; a shard missing is refused", { timeout: 400_000 }, async () => {
    const [whole, one, two, merged] = [tmp(), tmp(), tmp(), tmp()];
    const all = await sweep({ variant, against, bound, shard: { k: 1, n: 1 }, outDir: whole, interrupted: never });
    const s1 = await sweep({ variant, against, bound, shard: { k: 1, n: 2 }, outDir: one, interrupted: never });
    const s2 = await sweep({ variant, against, bound, shard: { k: 2, n: 2 }, outDir: two, interrupted: never });
    expect(s1.stats.scenarios + s2.stats.scenarios).toBe(all.stats.scenarios);
    expect(Math.abs(s1.stats.scenarios - s2.stats.scenarios)).toBeLessThanOrEqual(1);
    expect(all.outcome).toBe("found");
    expect(all.findings.map((f) => f.invariant)).toContain("cow-isolation");
    const m = mergeSweeps([two, one], merged);
    expect(comparable(merged, m)).toEqual(comparable(whole, all));
    // Coverage: the union of the steps the searches took, of the variant's steps; the shards' union is the whole's.
    const variantSteps = modelSteps().filter((s) => s.variants.includes(variant.name)).map((s) => s.label);
    expect(all.coverage).toMatchObject({ covered: all.coverage.steps.length, of: variantSteps.length });
    expect(all.coverage.covered).toBeGreaterThan(10);
    expect(variantSteps).toEqual(expect.arrayContaining(all.coverage.steps));
    expect([...new Set([...s1.coverage.steps, ...s2.coverage.steps])].sort()).toEqual(all.coverage.steps);
    expect(() => mergeSweeps([one], tmp())).toThrow(MergeError);
    // Every finding's report replays on its scenario file.
    for (const f of all.findings) {
      const report = readReport(join(whole, f.report));
      const model = buildMm({ scenario: report.scenario, variant: report.variant });
      const threads = threadsFromItf(report.violation!.trace, model.describe.threads);
      expect(reproduce(model.system, model.invariants, threads)).toMatchObject({ invariant: f.invariant, depth: f.depth });
    }
  });

  it("gives the same summary (apart from durations) and findings on two threads as on one", { timeout: 300_000 }, async () => {
    const [one, two] = [tmp(), tmp()];
    // A quarter of the bound: two distinct failures, each met again in many later blocks.
    const s1 = await sweep({ variant, against, bound, shard: { k: 1, n: 4 }, outDir: one, interrupted: never, workers: 1 });
    const s2 = await sweep({ variant, against, bound, shard: { k: 1, n: 4 }, outDir: two, interrupted: never, workers: 2 });
    expect(s1.findings.length).toBeGreaterThan(1);
    const summary = (dir: string) => readFileSync(join(dir, "summary.json"), "utf8").replaceAll(/"(durationMs|foundMs)": \d+/g, "");
    expect(summary(two)).toEqual(summary(one));
    expect(comparable(two, s2).files).toEqual(comparable(one, s1).files);
  });
});

describe("fuzz", () => {
  it("is the same run on two threads as on one: the draws merged in order, shrunk on the main thread", { timeout: 300_000 }, async () => {
    const [one, two] = [tmp(), tmp()];
    const o = { variant: findVariant("bug-split-double-credit")!, against, seed: 3, runs: 300, interrupted: never };
    const s1 = await fuzz({ ...o, outDir: one, workers: 1 });
    const s2 = await fuzz({ ...o, outDir: two, workers: 2 });
    expect(s1.findings.length).toBeGreaterThan(0);
    expect(comparable(two, s2)).toEqual(comparable(one, s1));
  });

  it("finds, shrinks and reports the bug against modern; the same seed gives the same run; the path regenerates the finding", { timeout: 300_000 }, async () => {
    const [a, b, c] = [tmp(), tmp(), tmp()];
    // Until the first cow-isolation finding: fuzz may find the world's other bugs first.
    const o = { variant, against, seed: 4, runs: 1000, untilFound: true, untilInvariant: "cow-isolation", interrupted: never };
    const first = await fuzz({ ...o, outDir: a });
    const again = await fuzz({ ...o, outDir: b });
    expect(comparable(b, again)).toEqual(comparable(a, first));
    expect(first.outcome).toBe("found");
    const f = first.findings.find((x) => x.invariant === "cow-isolation")!;
    expect(f).toBeDefined();
    expect(f.shortest).toBe(true);
    // No larger than the shipped fork-cow-write (2 threads, 4 operations).
    expect(f.size.threads).toBeLessThanOrEqual(2);
    expect(f.size.ops).toBeLessThanOrEqual(4);
    const report = readReport(join(a, f.report));
    const model = buildMm({ scenario: report.scenario, variant: report.variant });
    expect(reproduce(model.system, model.invariants, threadsFromItf(report.violation!.trace, model.describe.threads))).toMatchObject({ invariant: "cow-isolation", depth: f.depth });
    const regenerated = await fuzz({ ...o, path: f.path, outDir: c });
    expect(readFileSync(join(c, regenerated.findings[0]!.scenario), "utf8").replace(/name: .*/, "")).toEqual(readFileSync(join(a, f.scenario), "utf8").replace(/name: .*/, ""));
  });

  it("shrinks to no larger than the shipped scenario: threads removed and merged past fast-check's two", { timeout: 120_000 }, async () => {
    // Until the underflow's first finding (fuzz may find the world's other bugs first).
    const dir = tmp();
    const s = await fuzz({
      variant: findVariant("bug-restore-reserve-on-error-underflow")!,
      against,
      seed: 1,
      runs: 1000,
      untilFound: true,
      untilInvariant: "reservation-conservation",
      outDir: dir,
      interrupted: never,
    });
    const f = s.findings.find((x) => x.invariant === "reservation-conservation")!;
    expect(f).toBeDefined();
    // The shipped punch-refault-enomem: 2 threads, 3 operations.
    expect(f.size.threads).toBeLessThanOrEqual(2);
    expect(f.size.ops).toBeLessThanOrEqual(3);
    const report = readReport(join(dir, f.report));
    const model = buildMm({ scenario: report.scenario, variant: report.variant });
    expect(reproduce(model.system, model.invariants, threadsFromItf(report.violation!.trace, model.describe.threads))).toMatchObject({ invariant: f.invariant, depth: f.depth });
  });

  // Bugs a world's sweep reaches (a race of two particular operations in a particular shape of
  // world), each at a seed where a sweep finds it first; no larger than the shipped scenario
  // (threads, operations), and it replays; the path regenerates it.
  it.each([
    { name: "bug-region-tracking-race", invariant: "reservation-conservation", seed: 10, shipped: { threads: 2, ops: 3 } },
    { name: "bug-wp-pagecache-folio-deadlock", invariant: "deadlock", seed: 14, shipped: { threads: 2, ops: 2 } },
    { name: "bug-touch-pmd-dirties-huge-zero", invariant: "zero-page", seed: 14, shipped: { threads: 3, ops: 3 } },
  ])("finds $name by a world's sweep, shrunk no larger than the shipped scenario", { timeout: 300_000 }, async ({ name, invariant, seed, shipped }) => {
    const [dir, again] = [tmp(), tmp()];
    const o = { variant: findVariant(name)!, against, seed, runs: 2000, untilFound: true, untilInvariant: invariant, interrupted: never };
    const s = await fuzz({ ...o, outDir: dir });
    const f = s.findings.find((x) => x.invariant === invariant)!;
    expect(f).toBeDefined();
    expect(f.path).toMatch(/@/);
    expect(f.size.threads).toBeLessThanOrEqual(shipped.threads);
    expect(f.size.ops).toBeLessThanOrEqual(shipped.ops);
    const report = readReport(join(dir, f.report));
    const model = buildMm({ scenario: report.scenario, variant: report.variant });
    expect(reproduce(model.system, model.invariants, threadsFromItf(report.violation!.trace, model.describe.threads))).toMatchObject({ invariant, depth: f.depth });
    const regenerated = await fuzz({ ...o, path: f.path, outDir: again });
    expect(readFileSync(join(again, regenerated.findings[0]!.scenario), "utf8").replace(/name: .*/, "")).toEqual(readFileSync(join(dir, f.scenario), "utf8").replace(/name: .*/, ""));
  });

  // The two bugs random draws seldom reach: the instantiation race (two faults of one index, the
  // last free page: shape lastPage) and Dirty COW (a FOLL_FORCE write and MADV_DONTNEED in a
  // read-only private file mapping: shape readOnlyFile); found in seconds, no larger than the
  // shipped instantiation-race and dirty-cow (2 threads of 1 operation), and it replays.
  it.each([
    { name: "bug-instantiation-race", invariant: "reserved-fault-succeeds", seed: 1 },
    { name: "bug-gup-drops-foll-write", invariant: "cow-isolation", seed: 1 },
  ])("finds $name within seconds, shrunk no larger than the shipped scenario", { timeout: 120_000 }, async ({ name, invariant, seed }) => {
    const dir = tmp();
    const s = await fuzz({ variant: findVariant(name)!, against, seed, runs: 1000, untilFound: true, untilInvariant: invariant, outDir: dir, interrupted: never });
    const f = s.findings.find((x) => x.invariant === invariant)!;
    expect(f).toBeDefined();
    expect(s.stats.scenarios).toBeLessThan(100);
    expect(f.size).toEqual({ threads: 2, ops: 2 });
    const report = readReport(join(dir, f.report));
    const model = buildMm({ scenario: report.scenario, variant: report.variant });
    expect(reproduce(model.system, model.invariants, threadsFromItf(report.violation!.trace, model.describe.threads))).toMatchObject({ invariant, depth: f.depth });
  });

  it("stops at a signal with a valid summary and nothing found", async () => {
    const dir = tmp();
    const s = await fuzz({ variant: against, seed: 1, runs: 1000, outDir: dir, interrupted: () => true });
    expect([s.outcome, s.bound, s.stats.scenarios, s.coverage.covered]).toEqual(["stopped", "interrupted", 0, 0]);
    expect(JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")).format).toBe("mmcheck-fuzz/1");
  });
});
