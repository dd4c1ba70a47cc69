/**
 * The model against recorded runs of real kernels (conform/recordings/, written by `mmcheck
 * conform --record` on each host profile met), with no root and no kernel: every recorded
 * scenario, the model configured as the recorded host, must agree step by step as it did live
 * (or stay a known exception, or stay not covered there).
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatTable } from "../../conform/compare.js";
import { readRecording, recordingDir, recordingName, replayRecorded } from "../../conform/recording.js";
import { ConformInputError, loadConformScenario, shippedConformScenarios } from "../../conform/schema.js";

const files = readdirSync(recordingDir())
  .filter((f) => f.endsWith(".json"))
  .sort();
const recordings = files.map((f) => ({ file: f, rec: readRecording(join(recordingDir(), f)) }));
const shipped = new Set(shippedConformScenarios());

describe("recorded kernel runs", () => {
  it("there is at least one, each named after its host profile", () => {
    expect(recordings.length).toBeGreaterThan(0);
    for (const { file, rec } of recordings) expect(file).toBe(recordingName(rec.host));
  });

  it("every shipped conformance scenario was run on at least one recorded kernel", () => {
    const run = new Set(recordings.flatMap(({ rec }) => rec.scenarios.filter((s) => s.observations).map((s) => s.name)));
    expect([...shipped].filter((n) => !run.has(n))).toEqual([]);
  });

  for (const { file, rec } of recordings) {
    describe(`${file} (Linux ${rec.host.release}, zero page ${rec.host.zeroPage})`, () => {
      for (const r of rec.scenarios.filter((x) => shipped.has(x.name))) {
        it(`${r.name}: the model configured as this host agrees with what it recorded`, () => {
          const s = loadConformScenario(r.name);
          const c = replayRecorded(s, rec.host, r);
          if (r.notCovered !== null) expect(c.verdict).toBe("not-covered");
          else if (s.exception) expect(c.verdict, formatTable(c)).toBe("exception-holds");
          else expect(c.differences, formatTable(c)).toEqual([]);
        });
      }
    });
  }
});

describe("replaying a recording", () => {
  const zeroHost = recordings.find(({ rec }) => rec.scenarios.some((s) => s.name === "zero-read-write" && s.observations));
  const { rec } = zeroHost!;
  const recorded = rec.scenarios.find((s) => s.name === "zero-read-write")!;
  const s = loadConformScenario("zero-read-write");

  it("fails, with the step table, when the model is configured as another kernel than the one recorded", () => {
    const other = { ...rec.host, zeroPage: rec.host.zeroPage === "mapped" ? ("forbidden" as const) : ("mapped" as const) };
    const c = replayRecorded(s, other, recorded);
    expect(c.verdict).toBe("differs");
    expect(c.differences.map((d) => d.field)).toContain("pages");
    expect(formatTable(c)).toMatch(/^FAIL zero-read-write: \d+ difference\(s\)$/m);
  });

  it("refuses a recording whose scenario has changed since", () => {
    const changed = { ...s, steps: s.steps.slice(0, -1) };
    expect(() => replayRecorded(changed, rec.host, recorded)).toThrow(ConformInputError);
    expect(() => replayRecorded(changed, rec.host, recorded)).toThrow(/changed since it was recorded .*record it again/);
  });

  it("refuses a recording whose scenario now requires what that host did not have", () => {
    const other = rec.host.zeroPage === "mapped" ? ("forbidden" as const) : ("mapped" as const);
    expect(() => replayRecorded({ ...s, requires: { zeroPage: other } }, rec.host, recorded)).toThrow(/requires: changed/);
  });
});
