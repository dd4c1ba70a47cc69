import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { search } from "../helpers/search.js";
import { INVARIANTS } from "../../invariants/index.js";
import { Machine } from "../../model/machine.js";
import { findVariant } from "../../model/variant.js";
import { loadScenario, ScenarioError } from "../../scenarios/load.js";
import { applyParams, evaluate, ParamError } from "../../scenarios/params.js";

const GROW = join(import.meta.dirname, "../../bench/truncate-race-grow.yaml");
const MAIN = join(import.meta.dirname, "../../dist/cli/main.js");
const dir = mkdtempSync(join(tmpdir(), "mmcheck-params-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** States of every renaming apart: more pages can mean fewer states up to renaming. */
const states = async (params: Record<string, number>) =>
  (await search(new Machine(loadScenario(GROW, params).config, findVariant("modern")!), INVARIANTS, { symmetry: false })).stats.distinctStates;

describe("scenario parameters", () => {
  it("evaluates integer expressions, / rounding down, with precedence and parentheses", () => {
    expect(evaluate("pages - 1 - i % pages", { pages: 3, i: 4 }, "x")).toBe(1);
    expect(evaluate("(a + b) * 2 / 3", { a: 2, b: 3 }, "x")).toBe(3);
    expect(evaluate("-a + 10", { a: 4 }, "x")).toBe(6);
    expect(() => evaluate("a +", { a: 1 }, "f")).toThrow(ParamError);
    expect(() => evaluate("b", { a: 1 }, "f")).toThrow(/unknown parameter "b"/);
    expect(() => evaluate("a / 0", { a: 1 }, "f")).toThrow(/division by zero/);
  });

  it("expands repeat with its counter, and drops params", () => {
    const raw = { params: { n: 3 }, ops: [{ repeat: { count: "${n}", as: "i", each: { fault: { addr: "${i * 2}" } } } }, "exit"] };
    expect(applyParams(raw)).toEqual({ ops: [{ fault: { addr: 0 } }, { fault: { addr: 2 } }, { fault: { addr: 4 } }, "exit"] });
    expect(applyParams(raw, { n: 1 })).toEqual({ ops: [{ fault: { addr: 0 } }, "exit"] });
  });

  it("grows the scenario: more pages or more faults, more states", async () => {
    const small = await states({});
    expect(small).toBe(await states({ pages: 3, faults: 2 }));
    expect(await states({ pages: 4, faults: 2 })).toBeGreaterThan(small);
    expect(await states({ pages: 3, faults: 3 })).toBeGreaterThan(small);
  });

  it("refuses a parameter the scenario does not declare, naming the ones it does", () => {
    expect(() => loadScenario(GROW, { threads: 3 })).toThrow(ScenarioError);
    expect(() => loadScenario(GROW, { threads: 3 })).toThrow(/"threads" is not a parameter .*pages, faults/);
  });

  it("the CLI takes --params, records them in the report, and replay uses them", async () => {
    const report = join(dir, "grow.json");
    const r = spawnSync(process.execPath, [MAIN, "explore", "--scenario", GROW, "--params", "pages=4,faults=1", "--report", report, "--no-progress", "--workers", "1", "--no-symmetry"], {
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    const json = JSON.parse(readFileSync(report, "utf8"));
    expect(json.options.params).toEqual({ pages: 4, faults: 1 });
    expect(json.options.symmetry).toBe(false);
    expect(json.stats.distinctStates).toBe(await states({ pages: 4, faults: 1 }));
    const bad = spawnSync(process.execPath, [MAIN, "explore", "--scenario", GROW, "--params", "pages=four"], { encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toMatch(/--params/);
  });
});
