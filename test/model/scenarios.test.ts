/**
 * Every shipped scenario (scenarios/*.yaml, found at run time so that new files are covered),
 * for every variant its `expect` map names: an exhaustive search gives the expected verdict (and
 * invariant); each counterexample replays to the same violation at the same depth; the search
 * is deterministic; `modern` is always listed, and passes or shows an open finding (its id
 * named in the expectation); and each open finding's fix-* variant passes them. No entry claims
 * `pass` for a run that never reaches the code its variant changes: that one says
 * `not-applicable` (model/changed.ts).
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ExploreResult } from "../../explorer/options.js";
import { explore } from "../../explorer/explore.js";
import { mmModel } from "../../models/mm.js";
import { reproduce } from "../../explorer/trace.js";
import { FINDINGS, findFinding } from "../../findings/index.js";
import { INVARIANTS } from "../../invariants/index.js";
import { Machine } from "../../model/machine.js";
import { findVariant, VARIANTS } from "../../model/variant.js";
import { loadScenario, scenarioDir, shippedScenarios } from "../../scenarios/load.js";

const names = shippedScenarios();

function machine(name: string, variant: string): Machine {
  const v = findVariant(variant);
  if (!v) throw new Error(`scenario ${name}: expect names variant "${variant}", which model/variant.ts does not define`);
  return new Machine(loadScenario(name).config, v);
}

/** One exhaustive search per (scenario, variant), shared by the tests below. */
const results = new Map<string, ExploreResult>();
async function run(name: string, variant: string): Promise<ExploreResult> {
  const key = `${name}/${variant}`;
  let r = results.get(key);
  if (!r) {
    // The model as the CLI builds it: it knows what the variant changes, and so when a run is not applicable.
    r = await explore(mmModel(loadScenario(name).config, findVariant(variant)!));
    results.set(key, r);
  }
  return r;
}

it("scenarios are shipped (the folder is found)", () => {
  expect(names.length).toBeGreaterThan(0);
  expect(names).toContain("split-unmap");
});

describe.each(names)("scenario %s", (name) => {
  const scenario = loadScenario(name);
  const variants = Object.keys(scenario.expect);

  it("lists modern in expect, as pass or as a violation of an open finding's invariant", () => {
    expect(variants).toContain("modern");
    const m = scenario.expect["modern"]!;
    if (m === "pass") return;
    const f = m.finding === undefined ? undefined : findFinding(m.finding);
    expect(f, "a modern violation names its finding").toBeDefined();
    expect(f!.status, `finding ${f!.id} is closed: modern must pass ${name} now`).toBe("open");
    expect(m.invariant).toBe(f!.invariant);
  });

  it("names a finding only for modern", () => {
    for (const [v, e] of Object.entries(scenario.expect)) if (v !== "modern") expect(typeof e === "string" || e.finding === undefined, v).toBe(true);
  });

  it("names only variants that exist", () => {
    for (const v of variants) expect(findVariant(v), `variant ${v}`).toBeDefined();
  });

  it("loads by name and by path to the same configuration", () => {
    expect(scenario.name).toBe(name);
    expect(scenario.summary.length).toBeGreaterThan(0);
    expect(scenario.config.threads.length).toBeGreaterThan(0);
    const byPath = loadScenario(join(scenarioDir(), `${name}.yaml`));
    expect(byPath.config).toEqual(scenario.config);
    expect(byPath.expect).toEqual(scenario.expect);
  });

  describe.each(variants)("variant %s", (variant) => {
    const expected = scenario.expect[variant]!;

    it(`is exhaustive and gives ${typeof expected === "string" ? expected : `a ${expected.invariant} violation`}`, async () => {
      const r = await run(name, variant);
      if (typeof expected === "string") {
        expect(r.violation, r.violation && `${r.violation.invariant}: ${r.violation.message}`).toBeUndefined();
        // A pass claimed where the run never reaches the variant's code would be vacuous.
        expect(r.verdict, `${variant}'s changed code reached at: ${r.changed.join(", ") || "none"}`).toBe(expected);
        expect(r.bound).toBeUndefined();
        expect(r.stats.distinctStates).toBeGreaterThan(1);
      } else {
        expect(r.verdict).toBe(expected.verdict);
        expect(r.violation?.invariant).toBe(expected.invariant);
        expect(r.violation!.message.length).toBeGreaterThan(0);
        expect(r.violation!.message).not.toContain("\n");
        // The trace is the list of threads that moved: one per step, each a thread of the scenario.
        expect(r.violation!.threads.length).toBe(r.violation!.depth);
        for (const t of r.violation!.threads) expect(t >= 0 && t < scenario.config.threads.length).toBe(true);
      }
    });

    if (typeof expected === "object") {
      it("its counterexample replays to the same invariant at the same depth", async () => {
        const r = await run(name, variant);
        const v = r.violation!;
        const again = reproduce(machine(name, variant), INVARIANTS, v.threads);
        expect(again).not.toBeNull();
        expect(again!.invariant).toBe(v.invariant);
        expect(again!.depth).toBe(v.depth);
        expect(again!.message).toBe(v.message);
      });

      it("its counterexample is the shortest: the trace one step short runs clean", async () => {
        const v = (await run(name, variant)).violation!;
        const m = machine(name, variant);
        if (v.invariant === "deadlock") {
          // A deadlock's trace ends in the stuck state itself.
          expect(reproduce(m, INVARIANTS, v.threads)?.invariant).toBe("deadlock");
          return;
        }
        expect(reproduce(m, INVARIANTS, v.threads.slice(0, -1))).toBeNull();
      });
    }

    it("is deterministic: a second search gives the same stats and the same counterexample", async () => {
      const a = await run(name, variant);
      const b = await explore(mmModel(loadScenario(name).config, findVariant(variant)!));
      expect(b.verdict).toBe(a.verdict);
      expect({
        distinctStates: b.stats.distinctStates,
        statesGenerated: b.stats.statesGenerated,
        maxDepth: b.stats.maxDepth,
      }).toEqual({
        distinctStates: a.stats.distinctStates,
        statesGenerated: a.stats.statesGenerated,
        maxDepth: a.stats.maxDepth,
      });
      expect(b.violation?.threads).toEqual(a.violation?.threads);
      expect(b.violation?.invariant).toBe(a.violation?.invariant);
      expect(b.violation?.depth).toBe(a.violation?.depth);
    });
  });
});

/**
 * A proposed fix (`fix-*`) passes every shipped scenario but those of the other open findings,
 * where it may still show their violation; on its own finding's scenarios it must pass.
 */
describe.each(FINDINGS.filter((f) => f.status === "open").map((f) => [f.fix, f] as const))("fix variant %s", (fix, finding) => {
  it.each(names)("%s: passes, or shows only another open finding", async (name) => {
    const modern = loadScenario(name).expect["modern"]!;
    const r = await run(name, fix);
    const other = typeof modern === "object" && modern.finding !== finding.id;
    if (other && r.violation) {
      expect(r.violation.invariant).toBe(modern.invariant);
      return;
    }
    expect(r.violation, r.violation && `${r.violation.invariant}: ${r.violation.message}`).toBeUndefined();
    // A fix is compared against modern too: where its change is never reached, it checks nothing.
    expect(["pass", "not-applicable"]).toContain(r.verdict);
  });
});

describe("every variant is checked by a shipped scenario", () => {
  const expectations = names.map((name) => loadScenario(name).expect);

  it.each(VARIANTS.filter((v) => v.name.startsWith("seed-")).map((v) => v.name))("%s is listed by a scenario", (variant) => {
    expect(expectations.some((e) => variant in e)).toBe(true);
  });

  it.each(FINDINGS.filter((f) => f.status === "open").map((f) => [f.id, f.fix] as const))(
    "open finding %s is shown by a scenario where modern violates, and %s is a variant",
    (id, fix) => {
      expect(findVariant(fix)).toBeDefined();
      expect(expectations.some((e) => typeof e["modern"] === "object" && e["modern"].finding === id)).toBe(true);
    },
  );

  it("every fix-* variant is the fix of a finding", () => {
    for (const v of VARIANTS.filter((x) => x.name.startsWith("fix-"))) expect(FINDINGS.some((f) => f.fix === v.name), v.name).toBe(true);
  });

  it.each(VARIANTS.filter((v) => v.name.startsWith("bug-")).map((v) => [v.name, v.summary]))(
    "%s fails a scenario on the invariant its summary names",
    (variant, summary) => {
      const named = INVARIANTS.map((i) => i.name).filter((n) => summary.includes(`(${n}`));
      expect(named).toHaveLength(1);
      const fails = (e: (typeof expectations)[number]) => {
        const x = e[variant];
        return typeof x === "object" && x.invariant === named[0];
      };
      expect(expectations.some(fails)).toBe(true);
    },
  );
});
