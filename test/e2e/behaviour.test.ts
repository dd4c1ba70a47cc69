/**
 * The checker's behaviour as a table: for every shipped scenario under every variant, and for
 * the peer model, the verdict, the invariant, the state counts and the counterexample's threads.
 * A change that should not change behaviour (a refactor, a faster representation) must leave it
 * as it is; a change that should (a model fix, a new variant) updates it deliberately, and the
 * diff of test/fixtures/behaviour.json shows exactly which runs it changed:
 * `npx vitest run test/e2e/behaviour.test.ts -u` rewrites it.
 */
import { describe, expect, it } from "vitest";
import { explore } from "../../explorer/explore.js";
import type { ExploreResult } from "../../explorer/options.js";
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

describe("behaviour table (test/fixtures/behaviour.json)", () => {
  it("every shipped scenario under every variant, and the peer model, as before", async () => {
    const table: Record<string, string> = {};
    for (const name of shippedScenarios()) {
      const config = loadScenario(name).config;
      for (const v of VARIANTS) table[`${name} ${v.name}`] = row(await explore(mmModel(config, v)));
    }
    for (const n of [2, 3, 4])
      for (const bug of [false, true]) table[`peer N=${n}${bug ? " bug" : ""}`] = row(await explore(peerModel({ n, bug })));
    await expect(`${JSON.stringify(table, null, 1)}\n`).toMatchFileSnapshot("../fixtures/behaviour.json");
  });
});
