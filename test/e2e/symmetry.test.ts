/**
 * Symmetry of page names (model/symmetry.ts, ExploreOptions.symmetry): the reduced search gives
 * the verdict, the invariant, the counterexample's depth and threads and the step coverage of the
 * search of every renaming apart, for every shipped scenario × variant and for generated
 * scenarios; its counterexamples replay; and it counts fewer states where pages are allocated.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fingerprint } from "../../core/fingerprint.js";
import type { Symmetry } from "../../core/system.js";
import { explore } from "../../explorer/explore.js";
import type { ExploreOptions, ExploreResult } from "../../explorer/options.js";
import { reproduce } from "../../explorer/trace.js";
import { hugetlbfs_bad_mount_option } from "../../model/hugetlb/inode.js";
import { findVariant, VARIANTS } from "../../model/variant.js";
import { buildMm, mmModel, type MmModel } from "../../models/mm.js";
import { scenarioArbitrary } from "../../scenarios/arbitrary.js";
import { loadScenario, resolveScenario, shippedScenarios } from "../../scenarios/load.js";
import { ScenarioSchema } from "../../scenarios/schema.js";

/** What the reduction must keep: everything of a run but its counts. */
function outcome(r: ExploreResult): string {
  const v = r.violation;
  return `${r.verdict}${v ? ` ${v.invariant}@${v.depth} [${v.threads.join("")}]` : ""}`;
}

/** The same, from a row of test/fixtures/behaviour.json (the reduced runs, pinned by test/e2e/behaviour.test.ts). */
function outcomeOfRow(row: string): string {
  return row.replace(/ \d+\/\d+\/d\d+/, "");
}

const BEHAVIOUR: Record<string, string> = JSON.parse(readFileSync(join(import.meta.dirname, "../fixtures/behaviour.json"), "utf8"));

describe("every shipped scenario × variant: the same outcome without symmetry", () => {
  it("verdict, invariant, counterexample depth and threads as the reduced runs of the behaviour table", async () => {
    const differ: string[] = [];
    let rows = 0;
    for (const name of shippedScenarios()) {
      const config = loadScenario(name).config;
      for (const v of VARIANTS) {
        const key = `${name} ${v.name}`;
        // A kernel that cannot set the scenario up is refused in the table, not searched.
        if (hugetlbfs_bad_mount_option(config, v)) continue;
        const full = outcome(await explore(mmModel(config, v), { symmetry: false }));
        if (full !== outcomeOfRow(BEHAVIOUR[key]!)) differ.push(`${key}: ${full} without, ${BEHAVIOUR[key]} with`);
        rows++;
      }
    }
    expect(rows).toBeGreaterThan(1000);
    expect(differ).toEqual([]);
  }, 900_000);
});

/** Both searches of a model: outcome, coverage and counts. */
async function both(model: MmModel, opts: ExploreOptions = {}) {
  const on = await explore(model, { ...opts, symmetry: true });
  const off = await explore(model, { ...opts, symmetry: false });
  return { on, off };
}

describe("generated scenarios: the same outcome with and without symmetry", () => {
  it("a few hundred small scenarios of the fuzz grammar, under today's kernel and its fix", async () => {
    const variants = [findVariant("modern")!, findVariant("fix-unmap-restore-reserve")!];
    let compared = 0;
    let reduced = 0;
    for (const [i, file] of fc.sample(scenarioArbitrary(), { numRuns: 300, seed: 22 }).entries()) {
      const parsed = ScenarioSchema.safeParse(file);
      if (!parsed.success) continue;
      let model: MmModel;
      try {
        model = mmModel(resolveScenario(parsed.data).config, variants[i % 2]!);
        model.system.initial();
      } catch {
        continue; // the loader's and the setup's refusals are not searched
      }
      const { on, off } = await both(model, { maxStates: 5_000 });
      if (off.verdict === "incomplete") continue;
      expect(on.verdict, JSON.stringify(file)).not.toBe("incomplete");
      expect(outcome(on), JSON.stringify(file)).toBe(outcome(off));
      expect(on.coverage).toEqual(off.coverage);
      expect(on.stats.distinctStates).toBeLessThanOrEqual(off.stats.distinctStates);
      compared++;
      if (on.stats.distinctStates < off.stats.distinctStates) reduced++;
    }
    expect(compared).toBeGreaterThan(150);
    // Most generated scenarios (the grammar's small scope) allocate a page or two at most; some
    // have pages to rename (11 of 286 with this seed).
    expect(reduced).toBeGreaterThan(compared / 30);
  }, 900_000);
});

describe("the reduced search", () => {
  it("keeps a real run: its counterexample replays to the same invariant at the same depth", async () => {
    for (const [scenario, variant] of [
      ["split-unmap", "modern"],
      ["instantiation-race", "bug-instantiation-race"],
      ["dirty-cow", "seed-001"],
    ] as const) {
      const model = buildMm({ scenario, variant });
      const r = await explore(model);
      expect(r.verdict, `${scenario} ${variant}`).toBe("violation");
      const again = reproduce(model.system, model.invariants, r.violation!.threads);
      expect([again?.invariant, again?.depth]).toEqual([r.violation!.invariant, r.violation!.depth]);
    }
  });

  it("counts several times fewer states where three threads allocate (bench/fault-three.yaml), the same with any number of workers", async () => {
    const model = buildMm({ scenario: join(import.meta.dirname, "../../bench/fault-three.yaml"), variant: "modern" });
    const { on, off } = await both(model);
    expect(outcome(on)).toBe(outcome(off));
    expect(off.stats.distinctStates / on.stats.distinctStates).toBeGreaterThan(3);
    const parallel = await explore(model, { workers: 2, spreadFrom: 1 });
    expect([parallel.stats.distinctStates, parallel.stats.statesGenerated]).toEqual([on.stats.distinctStates, on.stats.statesGenerated]);
  }, 120_000);

  it("fails where the merge is no symmetry: one that forgets the kernel's objects misses split-unmap's violation", async () => {
    // States merged by their threads' words alone are no renamings of each other: the
    // comparison above must see the difference.
    const model = buildMm({ scenario: "split-unmap", variant: "modern" });
    const honest = await explore(model, { symmetry: false });
    expect(honest.verdict).toBe("violation");
    const objects = model.system.k.L.threadBase;
    const blind: Symmetry = {
      hi: 0,
      lo: 0,
      canonicalize(s) {
        const [hi, lo] = fingerprint(s);
        const c = s.slice().fill(0, 0, objects);
        const [chi, clo] = fingerprint(c);
        this.hi = (hi ^ chi) >>> 0;
        this.lo = (lo ^ clo) >>> 0;
      },
      canonical(s, out) {
        out.set(s);
        out.fill(0, 0, objects);
      },
    };
    const wrong = await explore({ ...model, system: Object.assign(Object.create(model.system) as MmModel["system"], { symmetry: blind }) });
    expect(outcome(wrong)).not.toBe(outcome(honest));
  });
});

describe("the mm model's canonical renaming (model/symmetry.ts)", () => {
  /** Every state of a small search, concrete. */
  function states(model: MmModel, most = 800): Int32Array[] {
    const sys = model.system;
    const out = [sys.initial().slice()];
    for (let i = 0; i < out.length && out.length < most; i++)
      for (let t = 0; t < sys.threads; t++) {
        const next = new Int32Array(sys.stateWords);
        if (sys.step(out[i]!, t, next)) out.push(next);
      }
    return out;
  }

  /** Equal words (expect's toEqual is slow on thousands of typed arrays). */
  const same = (a: Int32Array, b: Int32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

  it("gives the fingerprint of the canonical form, is idempotent, and leaves the state alone", () => {
    for (const scenario of ["split-unmap", "fork-cow-write", "migrate-fault-4k", "gup-pin-fork", "truncate-fault"]) {
      const model = buildMm({ scenario, variant: "modern" });
      const sym = model.system.symmetry;
      let moved = 0;
      for (const s of states(model)) {
        const before = s.slice();
        const c = new Int32Array(s.length);
        sym.canonical(s, c);
        sym.canonicalize(s);
        expect(same(s, before)).toBe(true);
        const [hi, lo] = fingerprint(s);
        const [chi, clo] = fingerprint(c);
        if (chi !== ((hi ^ sym.hi) >>> 0) || clo !== ((lo ^ sym.lo) >>> 0)) expect.fail(`${scenario}: the canonical form's fingerprint is not the state's with the delta`);
        const cc = new Int32Array(s.length);
        sym.canonical(c, cc);
        expect(same(cc, c)).toBe(true);
        if (sym.hi || sym.lo) moved++;
      }
      expect(moved, scenario).toBeGreaterThan(0);
    }
  });

  it("merges the two orders of two faults: A first and B first end in one canonical state", () => {
    const model = buildMm({ scenario: "split-unmap", variant: "modern" });
    const sys = model.system;
    // Run two threads' first operations to their ends in both orders, and compare.
    const run = (order: number[]) => {
      let s = sys.initial().slice();
      for (const t of order)
        for (;;) {
          const next = new Int32Array(sys.stateWords);
          const tr = sys.step(s, t, next);
          if (!tr) break;
          s = next;
          if (tr.opEnded) break;
        }
      return s;
    };
    // The faulter (thread 0) and the child (thread 2) each fault a page of their own.
    const ab = run([0, 2]);
    const ba = run([2, 0]);
    expect(ab).not.toEqual(ba);
    const [cab, cba] = [new Int32Array(ab.length), new Int32Array(ba.length)];
    sys.symmetry.canonical(ab, cab);
    sys.symmetry.canonical(ba, cba);
    expect(cab).toEqual(cba);
  });
});
