/** The shipped models by reference (models/index.ts): each builds from its JSON arguments, and bad ones are named. */
import { describe, expect, it } from "vitest";
import { buildModel, MODEL_NAMES } from "../../models/index.js";

describe("models by reference", () => {
  it("ships the mm model and the peer model, each rebuilt from its own reference", async () => {
    expect(MODEL_NAMES).toEqual(["mm", "peer"]);
    for (const ref of [
      { name: "mm", args: { scenario: "split-unmap", variant: "modern" } },
      { name: "peer", args: { n: 3, bug: true } },
    ]) {
      const model = await buildModel(ref);
      expect(model.ref).toEqual(ref);
      const again = await buildModel(model.ref!);
      expect(again.identity).toEqual(model.identity);
      expect(Array.from(again.system.initial())).toEqual(Array.from(model.system.initial()));
      expect(model.describe.threads).toHaveLength(model.system.threads);
    }
  });

  it("refuses an unknown model or bad arguments, naming what is wrong", async () => {
    await expect(buildModel({ name: "nope", args: {} })).rejects.toThrow('model: unknown model "nope" (known: mm, peer)');
    await expect(buildModel({ name: "peer", args: { n: 0 } })).rejects.toThrow("peer model: n: expected a positive integer");
    await expect(buildModel({ name: "peer", args: { n: 2, bug: 1 } })).rejects.toThrow("peer model: bug: expected true or false");
    await expect(buildModel({ name: "peer", args: { n: 2, m: 1 } })).rejects.toThrow("peer model: m: unknown argument");
    await expect(buildModel({ name: "mm", args: { variant: "modern" } })).rejects.toThrow("mm model: scenario:");
    await expect(buildModel({ name: "mm", args: { scenario: "split-unmap", variant: "nope" } })).rejects.toThrow('mm model: variant: unknown variant "nope"');
    // A name of Object.prototype is no model either.
    await expect(buildModel({ name: "toString", args: {} })).rejects.toThrow("unknown model");
  });
});
