/** mmcheck sweep, fuzz and merge as commands: bad input is exit 2 in one line, a stop signal is exit 3 with a valid summary. */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SynthSummarySchema } from "../../reports/synth-schema.js";
import { stopSignalsCaught } from "../helpers/signals.js";

const MAIN = join(import.meta.dirname, "../../dist/cli/main.js");
const root = mkdtempSync(join(tmpdir(), "mmcheck-synth-cli-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const tmp = () => mkdtempSync(join(root, "run-"));
const mmcheck = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8" });

describe("sweep, fuzz and merge commands", () => {
  it.each([
    [["sweep", "--threads", "2", "--ops", "1"], /^mmcheck: --out: required/],
    [["sweep", "--threads", "9", "--ops", "1", "--out", "x"], /^mmcheck: --threads: must be at most 4/],
    [["sweep", "--threads", "2", "--ops", "1", "--shard", "3/2", "--out", "x"], /^mmcheck: --shard: k\/N with 1 ≤ k ≤ N/],
    [["fuzz", "--variant", "nope", "--out", "x"], /^mmcheck: --variant: unknown variant "nope"/],
    [["fuzz", "--path", "1:a", "--out", "x"], /^mmcheck: --path: a fast-check path/],
    [["sweep", "--threads", "2", "--ops", "1", "--workers", "0", "--out", "x"], /^mmcheck: --workers: must be a positive integer/],
    [["fuzz", "--workers", "two", "--out", "x"], /^mmcheck: --workers: must be an integer/],
    [["merge", "--out", "x"], /^mmcheck: DIR: missing/],
  ])("%j: exit 2, one line", (args, line) => {
    const r = mmcheck(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(line);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("merge refuses a summary of another format (exit 2)", () => {
    const dir = tmp();
    writeFileSync(join(dir, "summary.json"), JSON.stringify({ format: "mmcheck-fuzz/1" }));
    const r = mmcheck("merge", dir, "--out", join(dir, "m"));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/summary\.json: format: unknown format "mmcheck-fuzz\/1" \(known: [^)]*mmcheck-sweep\/1/);
  });

  it("refuses an output folder holding an earlier run's findings (exit 2)", () => {
    const dir = tmp();
    mkdirSync(join(dir, "findings"));
    writeFileSync(join(dir, "findings", "001.yaml"), "");
    const r = mmcheck("fuzz", "--runs", "1", "--out", dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/holds the findings of an earlier run/);
  });

  it.each(["sweep", "fuzz"])("%s: SIGTERM ends it with exit 3 and a valid summary", async (command) => {
    const dir = tmp();
    // Against the same variant nothing can count as found (modern has its open findings).
    const args = [...(command === "sweep" ? ["--threads", "2", "--ops", "2"] : ["--runs", "100000"]), "--against", "modern"];
    const child = spawn(process.execPath, [MAIN, command, ...args, "--out", dir, "--no-progress"]);
    let stdout = "";
    child.stdout.on("data", (d) => (stdout += d));
    expect(await stopSignalsCaught(child)).toBe(true);
    await new Promise((r) => setTimeout(r, 1500));
    child.kill("SIGTERM");
    const code = await new Promise((r) => child.on("exit", r));
    expect(code, stdout).toBe(3);
    const summary = SynthSummarySchema.parse(JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")));
    expect([summary.outcome, summary.bound]).toEqual(["stopped", "interrupted"]);
    expect(stdout).toMatch(/nothing found \(stopped by SIGTERM\)/);
  });
});

it("the summary schema is published as reports/synth-summary.schema.json, up to date (npm run schema regenerates it)", async () => {
  const { synthJsonSchemaText } = await import("../../reports/synth-schema.js");
  expect(readFileSync(join(import.meta.dirname, "../../reports/synth-summary.schema.json"), "utf8")).toBe(synthJsonSchemaText());
});
