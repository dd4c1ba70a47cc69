/** Random walks (explorer/walk.ts): deterministic by seed, they find a shallow race, and prove nothing. */
import { describe, expect, it } from "vitest";
import { explore } from "../../explorer/explore.js";
import { reproduce } from "../../explorer/trace.js";
import { buildMm } from "../../models/mm.js";

describe("random walks", () => {
  for (const changePoints of [0, 2]) {
    const kind = changePoints ? "PCT" : "uniform";
    it(`${kind}: find split-unmap's violation under bug-split-double-credit, the same walk for the same seed, and the trace replays`, async () => {
      const model = buildMm({ scenario: "split-unmap", variant: "bug-split-double-credit" });
      const a = await explore(model, { walks: { walks: 200, seed: 5, changePoints } });
      const b = await explore(model, { walks: { walks: 200, seed: 5, changePoints } });
      expect(a.verdict).toBe("violation");
      expect(a.violation!.invariant).toBe("reservation-conservation");
      expect(b.violation!.threads).toEqual(a.violation!.threads);
      expect(reproduce(model.system, model.invariants, a.violation!.threads)).toMatchObject({ invariant: "reservation-conservation", depth: a.violation!.depth });
    });
  }

  it("end incomplete (bound walks) where nothing is violated", async () => {
    const model = buildMm({ scenario: "fork-cow-write", variant: "modern" });
    const r = await explore(model, { walks: { walks: 50, seed: 1, changePoints: 2 } });
    expect(r.verdict).toBe("incomplete");
    expect(r.bound).toBe("walks");
    expect(r.stats.statesGenerated).toBeGreaterThan(50);
  });
});
