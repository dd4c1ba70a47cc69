/** The scenario grammar (scenarios/arbitrary.ts): every operation has values, generated scenarios are ordinary scenario files, the sweep's symmetries are sound. */
import fc from "fast-check";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { explore } from "../../explorer/explore.js";
import { findVariant } from "../../model/variant.js";
import { buildMm, mmModel } from "../../models/mm.js";
import { alphabet, drawnArbitrary, enumerate, FUZZ_BOUND, OP_VALUES, opsOf, scenarioArbitrary, scenarioOf, sweepWorlds, type Op } from "../../scenarios/arbitrary.js";
import { resolveScenario } from "../../scenarios/load.js";
import { OpSchemas, ScenarioSchema } from "../../scenarios/schema.js";
import { parseGenerated } from "../../synth/check.js";

const modern = findVariant("modern")!;
const opName = (o: Op) => (o === "exit" ? "exit" : Object.keys(o)[0]!);

describe("grammar", () => {
  it("has values for every operation of OpSchemas (a new operation needs its entry in OP_VALUES)", () => {
    expect(Object.keys(OP_VALUES).sort()).toEqual(Object.keys(OpSchemas).sort());
  });

  it("reaches every operation in the sweep's worlds, and every value matches the operation's schema", () => {
    const seen = new Set<string>();
    for (const w of sweepWorlds({ threads: 2, ops: 2, pages: 2 }))
      for (const o of alphabet(w)) {
        seen.add(opName(o));
        const [name, args] = o === "exit" ? ["exit", {}] : Object.entries(o)[0]!;
        expect(OpSchemas[name as keyof typeof OpSchemas].safeParse(args).success, JSON.stringify(o)).toBe(true);
      }
    expect([...seen].sort()).toEqual(Object.keys(OpSchemas).sort());
  });

  it("reaches every operation at random", () => {
    const seen = new Set<string>();
    for (const d of fc.sample(drawnArbitrary(FUZZ_BOUND), { numRuns: 2000, seed: 7 })) for (const t of opsOf(d)) for (const o of t) seen.add(opName(o));
    expect([...seen].sort()).toEqual(Object.keys(OpSchemas).sort());
  });

  it("writes ordinary scenario files: they match the schema, and explore runs one written out", async () => {
    let loaded = 0;
    for (const file of fc.sample(scenarioArbitrary(), { numRuns: 300, seed: 3 })) {
      const parsed = ScenarioSchema.safeParse(file);
      expect(parsed.success, JSON.stringify(parsed.error?.issues[0])).toBe(true);
      try {
        resolveScenario(parsed.data!);
        loaded++;
      } catch {
        // the loader's refusals (a second fork of p2, a file named after its unlink) are counted, not run
      }
    }
    expect(loaded).toBeGreaterThan(200);
    const dir = mkdtempSync(join(tmpdir(), "mmcheck-grammar-"));
    const path = join(dir, "generated.yaml");
    const first = enumerate({ threads: 2, ops: 1, pages: 1 }).next().value!;
    writeFileSync(path, stringify(scenarioOf(first.world, first.threads)));
    try {
      const r = await explore(buildMm({ scenario: path, variant: "modern" }));
      expect(r.verdict).toBe("pass");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a generated scenario's parse in parts (synth/check.ts parseGenerated)", () => {
  it("is ScenarioSchema's parse, keys in its order, for the sweep's scenarios and fuzz's, a world after another", () => {
    const sweepFiles = [...enumerate({ threads: 2, ops: 1, pages: 2 })].filter((e) => e.index % 37 === 0).map((e) => scenarioOf(e.world, e.threads, `sweep-${e.index}`));
    const fuzzFiles = fc.sample(scenarioArbitrary(), { numRuns: 300, seed: 11 });
    // Interleaved: the world part changes from one scenario to the next as well as staying.
    const files = sweepFiles.flatMap((f, i) => [f, fuzzFiles[i % fuzzFiles.length]!, f]);
    for (const file of files) expect(JSON.stringify(parseGenerated(file))).toBe(JSON.stringify(ScenarioSchema.parse(file)));
  });

  it("refuses what the schema refuses, in either part", () => {
    const first = enumerate({ threads: 2, ops: 1, pages: 1 }).next().value!;
    const file = scenarioOf(first.world, first.threads);
    expect(() => parseGenerated({ ...file, threads: [{ name: "t0", proc: "p0", ops: [{ fault: { addr: -1 } }] }] })).toThrow(/does not match the schema: threads.0.ops.0/);
    expect(() => parseGenerated({ ...file, pool: { pages: -1 } })).toThrow(/does not match the schema: pool.pages/);
    expect(() => parseGenerated(file)).not.toThrow();
  });
});

describe("sweep enumeration", () => {
  const bound = { threads: 2, ops: 1, pages: 2 };
  const all = [...enumerate(bound)];

  it("is the same list every time, numbered in order", () => {
    const again = [...enumerate(bound)];
    expect(again.map((e) => JSON.stringify(e))).toEqual(all.map((e) => JSON.stringify(e)));
    expect(all.map((e) => e.index)).toEqual(all.map((_, i) => i));
  });

  it("keeps one order of interchangeable threads (same process)", () => {
    const keys = new Set(all.map((e) => JSON.stringify([e.world, e.threads])));
    const same = all.filter((e) => e.world.placement === "same" && e.threads.length === 2 && JSON.stringify(e.threads[0]) !== JSON.stringify(e.threads[1]));
    expect(same.length).toBeGreaterThan(0);
    for (const e of same) expect(keys.has(JSON.stringify([e.world, [e.threads[1], e.threads[0]]]))).toBe(false);
    // In two processes the threads are not interchangeable: both orders are there.
    const fork = all.filter((e) => e.world.placement === "fork" && JSON.stringify(e.threads[0]) !== JSON.stringify(e.threads[1]));
    expect(fork.some((e) => keys.has(JSON.stringify([e.world, [e.threads[1], e.threads[0]]])))).toBe(true);
  });

  it("keeps one of two scenarios that differ by renaming pages, and the renamed one runs the same", async () => {
    const keys = new Set(all.map((e) => JSON.stringify([e.world, e.threads])));
    const fault = (addr: number, write = true): Op => ({ fault: { addr, write } });
    const w = sweepWorlds(bound)[1]!; // a private mapping of 2 pages, prefaulted, and a fork child
    expect(keys.has(JSON.stringify([w, [[fault(0)], [fault(1)]]]))).toBe(true);
    expect(keys.has(JSON.stringify([w, [[fault(1)], [fault(0)]]]))).toBe(false);
    // Not a symmetry when an operation is not about single pages: both kept.
    const trunc: Op = { munmap: { addr: 0, len: 1 } };
    const other: Op = { munmap: { addr: 1, len: 1 } };
    expect(keys.has(JSON.stringify([w, [[trunc], [fault(1)]]])) && keys.has(JSON.stringify([w, [[other], [fault(0)]]]))).toBe(true);
    for (const threads of [[[fault(0)], [fault(1)]], [[fault(1)], [fault(0)]]]) {
      const r = await explore(mmModel(resolveScenario(ScenarioSchema.parse(scenarioOf(w, threads))).config, modern));
      expect([r.verdict, r.stats.distinctStates, r.stats.statesGenerated]).toEqual(["pass", 28, 45]);
    }
  });
});
