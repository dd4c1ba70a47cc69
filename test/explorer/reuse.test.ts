/** Searches on one thread reuse the visited table, trace store and batch buffers of finished ones (LevelSearch.release): the results are those of fresh ones. */
import { describe, expect, it } from "vitest";
import { explore } from "../../explorer/explore.js";
import { VisitedTable } from "../../explorer/tables.js";
import { TraceStore } from "../../explorer/trace-store.js";
import { buildMm } from "../../models/mm.js";

describe("search buffers reused between searches", () => {
  it("a cleared table holds nothing, and a cleared trace store traces anew", () => {
    const t = new VisitedTable(1024);
    t.add(5, 6);
    t.clear();
    expect(t.size).toBe(0);
    expect(t.add(5, 6)).toBe(true);
    const s = new TraceStore();
    s.add(-1, 0);
    s.add(0, 1);
    s.add(1, 0);
    s.clear();
    s.add(-1, 0);
    s.add(0, 2);
    expect(s.size).toBe(2);
    expect(s.path(1)).toEqual([2]);
  });

  it("gives the same verdict, counts and counterexample search after search, bounded or not, passing or failing", async () => {
    const run = async (scenario: string, maxStates?: number) => {
      const r = await explore(buildMm({ scenario, variant: "modern" }), { ...(maxStates !== undefined && { maxStates, chunkSize: 64 }) });
      return JSON.stringify({ verdict: r.verdict, violation: r.violation && { ...r.violation, trace: undefined }, distinct: r.stats.distinctStates, generated: r.stats.statesGenerated });
    };
    const first = [await run("split-unmap"), await run("fork-cow-write", 20_000), await run("truncate-fault", 20_000)];
    const again = [await run("split-unmap"), await run("fork-cow-write", 20_000), await run("truncate-fault", 20_000)];
    expect(again).toEqual(first);
    expect(first[0]).toContain('"violation"');
  });
});
