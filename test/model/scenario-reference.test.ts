/**
 * The scenario format's published references (scenarios/reference.ts): the JSON Schema editors
 * use and docs/scenario-format.md, both generated from the zod schema and committed, must be up
 * to date (`npm run schema` regenerates them); the JSON Schema takes every shipped scenario and
 * refuses a misspelt field.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { scenarioJsonSchemaText, scenarioReference } from "../../scenarios/reference.js";
import { scenarioDir, shippedScenarios } from "../../scenarios/load.js";
import { OpSchemas } from "../../scenarios/schema.js";

const file = (rel: string) => readFileSync(fileURLToPath(new URL(`../../${rel}`, import.meta.url)), "utf8");

describe("the scenario format's reference", () => {
  it("scenarios/scenario.schema.json and docs/scenario-format.md are up to date with the zod schema", () => {
    expect(file("scenarios/scenario.schema.json")).toBe(scenarioJsonSchemaText());
    expect(file("docs/scenario-format.md")).toBe(scenarioReference());
  });

  it("documents every operation and top-level field", () => {
    const doc = scenarioReference();
    for (const op of Object.keys(OpSchemas)) expect(doc).toContain(`### \`${op}\``);
    for (const field of ["name", "pool", "files", "files4k", "processes", "addressSpace", "setup", "threads", "expect", "kernel", "params"]) expect(doc).toContain(`| \`${field}\` |`);
    expect(doc).toMatch(/\| `isize` \| integer \|/);
  });

  const schema = z.fromJSONSchema(JSON.parse(file("scenarios/scenario.schema.json")));
  it("the JSON Schema takes every shipped scenario", () => {
    for (const name of shippedScenarios()) {
      const r = schema.safeParse(parse(readFileSync(join(scenarioDir(), `${name}.yaml`), "utf8")));
      expect(r.success, `${name}: ${r.error?.message}`).toBe(true);
    }
  });

  it("and refuses a misspelt field, an unknown operation, a value past a limit", () => {
    const split = parse(readFileSync(join(scenarioDir(), "split-unmap.yaml"), "utf8"));
    const edits: ((s: any) => void)[] = [
      (s) => (s.threads[0].ops[0] = { fault: { adr: 1 } }),
      (s) => (s.threads[0].ops[0] = { frob: {} }),
      (s) => (s.pool.pages = 99),
      (s) => (s.sumary = "x"),
    ];
    for (const edit of edits) {
      const s = structuredClone(split);
      edit(s);
      expect(schema.safeParse(s).success, JSON.stringify(s.threads[0].ops[0])).toBe(false);
    }
  });
});

describe("README", () => {
  it("names the scenario fields as the schema does (isize, not i_size) and points at the reference", () => {
    const readme = file("README.md");
    const section = readme.slice(readme.indexOf("## Scenario files"));
    expect(section).toContain("docs/scenario-format.md");
    expect(section).toMatch(/isize defaults to pages/);
    expect(section).not.toMatch(/\bi_size\b/);
  });
});
