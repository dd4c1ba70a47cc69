/**
 * The checker's behaviour as a table: for every shipped scenario under every variant, and for
 * the peer model, the verdict, the invariant, the state counts and the counterexample's threads.
 * A change that should not change behaviour (a refactor, a faster representation) must leave it
 * as it is; a change that should (a model fix, a new variant) updates it deliberately, and the
 * diff of test/fixtures/behaviour.json shows exactly which runs it changed:
 * `npx vitest run test/e2e/behaviour.test.ts -u` rewrites it. The same runs hold the shipped
 * scenarios to reaching every step of the model (their union of coverage), or saying why not.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { explore } from "../../explorer/explore.js";
import type { ExploreResult } from "../../explorer/options.js";
import { hugetlbfs_bad_mount_option } from "../../model/hugetlb/inode.js";
import { modelSteps } from "../../model/ops/index.js";
import { VARIANTS } from "../../model/variant.js";
import { mmModel } from "../../models/mm.js";
import { build as peerModel } from "../../models/peer/model.js";
import { loadScenario, shippedScenarios } from "../../scenarios/load.js";

/** One run as a line of the table: what a user sees of it, minus timings. */
function row(r: ExploreResult): string {
  const v = r.violation;
  const counts = `${r.stats.distinctStates}/${r.stats.statesGenerated}/d${r.stats.maxDepth}`;
  return v ? `${r.verdict} ${v.invariant}@${v.depth} ${counts} [${v.threads.join("")}]` : `${r.verdict} ${counts}`;
}

/**
 * Steps of the model that no shipped scenario reaches under any variant, each with why no
 * scenario can (an error path needing a failure the model cannot produce yet, …). A step
 * neither reached nor here fails the test below: write a scenario for it, or say why here.
 */
const UNREACHED: Readonly<Record<string, string>> = {
  // bug-wp-pagecache-folio-deadlock: a fault sleeps there, the fault mutex held, only on an owner
  // in hugetlb_wp's failure path, which retakes that mutex before it unlocks: always the deadlock
  // (wp-pagecache-cow-deadlock), never a step taken.
  filemap_lock_hugetlb_folio: "the pre-2025 fault's wait for the page-cache folio lock only ever deadlocks",
};

/** Every shipped scenario under every variant, searched once for both tests; or why that kernel cannot set it up. */
const runs = new Map<string, ExploreResult>();
const refused = new Map<string, string>();
beforeAll(async () => {
  for (const name of shippedScenarios()) {
    const config = loadScenario(name).config;
    for (const v of VARIANTS) {
      const reason = hugetlbfs_bad_mount_option(config, v);
      if (reason) refused.set(`${name} ${v.name}`, `refused: ${reason}`);
      else runs.set(`${name} ${v.name}`, await explore(mmModel(config, v)));
    }
  }
}, 600_000);

describe("step coverage of the shipped scenarios", () => {
  it("every step of the model (every variant's eras) is reached by a scenario under some variant, or explained", () => {
    const reached = new Set([...runs.values()].flatMap((r) => r.coverage));
    const steps = modelSteps().map((s) => s.label);
    expect(steps.length).toBeGreaterThan(50);
    const unexplained = steps.filter((l) => !reached.has(l) && !(l in UNREACHED));
    expect(unexplained, "steps no shipped scenario reaches: add a scenario, or explain them in UNREACHED").toEqual([]);
    const stale = Object.keys(UNREACHED).filter((l) => reached.has(l) || !steps.includes(l));
    expect(stale, "UNREACHED names steps that are reached now, or are no steps of the model").toEqual([]);
  });
});

describe("behaviour table (test/fixtures/behaviour.json)", () => {
  it("every shipped scenario under every variant, and the peer model, as before", async () => {
    const table: Record<string, string> = {};
    for (const [key, r] of runs) table[key] = row(r);
    for (const [key, reason] of refused) table[key] = reason;
    for (const n of [2, 3, 4])
      for (const bug of [false, true]) table[`peer N=${n}${bug ? " bug" : ""}`] = row(await explore(peerModel({ n, bug })));
    await expect(`${JSON.stringify(table, null, 1)}\n`).toMatchFileSnapshot("../fixtures/behaviour.json");
  });
});
