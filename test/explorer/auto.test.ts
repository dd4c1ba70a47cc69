import { cpus } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { SearchPool } from "../../explorer/search-pool.js";
import type { ExploreResult } from "../../explorer/options.js";
import { exploreRef } from "../helpers/search.js";

// Every core idle whenever the search looks: the default starts its pool, and its trial keeps or
// gives it up by the times it measures (explorer/auto.ts), the pool destroyed mid-search if so.
vi.mock("node:os", async (original) => {
  const os = await original<typeof import("node:os")>();
  let idle = 0;
  return { ...os, cpus: () => os.cpus().map((c) => ({ ...c, times: { ...c.times, idle: (idle += 10_000) } })) };
});

// Without the symmetry reduction (270,726 states): levels long enough for the pool to be tried, and
// a search that outlasts the second over which the default measures the idle cores before it
// starts its pool. Levels are spread from a size (spreadFrom), not from AUTO_START_AFTER_MS.
const XL = join(import.meta.dirname, "../../bench/split-unmap-xl.yaml");

function outcome(r: ExploreResult) {
  return [r.verdict, r.stats.distinctStates, r.stats.statesGenerated, r.stats.maxDepth, r.violation, r.coverage];
}

describe("the default (auto) on idle cores", () => {
  it.skipIf(cpus().length < 2)("starts its pool, and whether its trial keeps it or gives it up mid-search, gives one worker's result", async () => {
    const spec = { name: "mm", args: { scenario: XL, variant: "fix-unmap-restore-reserve" } };
    const one = await exploreRef(spec, 1, { symmetry: false });
    const destroy = vi.spyOn(SearchPool.prototype, "destroy");
    const auto = await exploreRef(spec, "auto", { symmetry: false, spreadFrom: 2048 });
    expect(destroy).toHaveBeenCalled();
    expect(outcome(auto)).toEqual(outcome(one));
  });
});
