/**
 * The layering (.dependency-cruiser.cjs, README: Architecture) holds: the core imports nothing
 * of a model; explorer, workers and reports import no model; nothing below imports the commands;
 * no file-level cycle, none of the mm model's either (vm_ops dispatch broke memory ↔ dax ↔
 * filemap ↔ shmem; alloc_hugetlb_folio's own file broke pool ↔ reserve).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CRUISE = fileURLToPath(new URL("../../node_modules/dependency-cruiser/bin/dependency-cruise.mjs", import.meta.url));
const SOURCES = ["base", "core", "explorer", "reports", "model", "invariants", "scenarios", "models", "workers", "findings", "conform", "cli", "bench", "synth"];

interface Violation {
  readonly from: string;
  readonly to: string;
  readonly rule: { readonly name: string; readonly severity: string };
  readonly cycle?: readonly ({ readonly name: string } | string)[];
}

const run = spawnSync(process.execPath, [CRUISE, "--config", ".dependency-cruiser.cjs", "--output-type", "json", ...SOURCES], {
  cwd: ROOT,
  encoding: "utf8",
  maxBuffer: 64 << 20,
});
const result = JSON.parse(run.stdout) as {
  modules: readonly { readonly source: string; readonly dependencies: readonly { readonly resolved: string }[] }[];
  summary: { readonly violations: readonly Violation[] };
};
const show = (v: Violation) => `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (${v.cycle.map((c) => (typeof c === "string" ? c : c.name)).join(" → ")})` : ""}`;

describe("dependencies (dependency-cruiser, .dependency-cruiser.cjs)", () => {
  it("cruises every source folder", () => {
    for (const folder of SOURCES) expect(result.modules.some((m) => m.source.startsWith(`${folder}/`)), folder).toBe(true);
    expect(result.modules.find((m) => m.source === "cli/explore.ts")?.dependencies.length).toBeGreaterThan(5);
  });

  it("no upward import and no cycle", () => {
    expect(result.summary.violations.filter((v) => v.rule.severity === "error").map(show)).toEqual([]);
  });

  it("nothing else: not even a warning", () => {
    expect(result.summary.violations.map(show)).toEqual([]);
  });

  it("the core, the search and the reports import no model", () => {
    const model = /^(model|models|invariants|scenarios|bench)\//;
    for (const m of result.modules) {
      if (!/^(core|explorer|reports)\//.test(m.source)) continue;
      expect(m.dependencies.filter((d) => model.test(d.resolved)).map((d) => d.resolved), m.source).toEqual([]);
    }
  });
});
