/**
 * The first hour of a new user (issue 21), each as it went before and as it must go now:
 * replay from another folder and after an edit, its own exit code when the trace does not end
 * as recorded, every validation problem listed, YAML and JSON errors with line, column and
 * frame, race diagrams that fit the terminal and speak the scenario's names, and ITF with
 * #bigint integers beside the report, read by Quint's own ITF reader.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ofItf } from "@informalsystems/quint/dist/src/itf.js";
import { afterAll, describe, expect, it } from "vitest";
import { ItfTraceSchema } from "../../reports/schema.js";
import { scenarioDir } from "../../scenarios/load.js";

const MAIN = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "mmcheck-first-hour-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function mmcheck(args: readonly string[], cwd = root, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const shipped = (name: string) => readFileSync(join(scenarioDir(), `${name}.yaml`), "utf8");

describe("replay", () => {
  const dir = join(root, "work");
  mkdirSync(join(dir, "scenarios"), { recursive: true });
  mkdirSync(join(dir, "out"));
  writeFileSync(join(dir, "scenarios", "fft.yaml"), shipped("split-unmap"));
  const explored = mmcheck(["explore", "--scenario", "scenarios/fft.yaml", "--variant", "bug-split-double-credit", "--report", "out/r.json", "--no-progress"], dir);

  it("finds a scenario file relative to the report, from any folder", () => {
    expect(explored.status, explored.stderr).toBe(1);
    expect(JSON.parse(readFileSync(join(dir, "out/r.json"), "utf8")).scenario).toBe("../scenarios/fft.yaml");
    const r = mmcheck(["replay", join(dir, "out/r.json")], tmpdir());
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/reproduced: reservation-conservation at depth 4/);
  });

  it("refuses a scenario edited since the report (exit 2, the reason); --force replays it, and a trace that no longer ends as recorded is exit 6", () => {
    const edited = join(root, "edited");
    mkdirSync(join(edited, "scenarios"), { recursive: true });
    mkdirSync(join(edited, "out"));
    writeFileSync(join(edited, "out/r.json"), readFileSync(join(dir, "out/r.json")));
    // The mapping made MAP_NORESERVE: the same trace runs, and there is no reservation to lose.
    const noreserve = shipped("split-unmap").replace("mmap: { addr: 0, len: 4, file: hugefile }", "mmap: { addr: 0, len: 4, file: hugefile, noreserve: true }");
    expect(noreserve).not.toBe(shipped("split-unmap"));
    writeFileSync(join(edited, "scenarios/fft.yaml"), noreserve);
    const r = mmcheck(["replay", "out/r.json"], edited);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^mmcheck: out\/r\.json: scenario: .*fft\.yaml is not the scenario the report was made from \(its content's SHA-256 was [0-9a-f]{12}…, is [0-9a-f]{12}…\): was it edited since\? --force replays it anyway\n$/);
    const forced = mmcheck(["replay", "out/r.json", "--force"], edited);
    expect(forced.status, forced.stderr).toBe(6);
    expect(forced.stdout).toMatch(/does not reproduce as recorded: the trace runs clean \(the report has reservation-conservation at depth 4\)/);
  });
});

describe("ITF", () => {
  it("is written beside the report as <report>.itf.json, every integer a #bigint, and Quint's ITF reader loads it", () => {
    const dir = join(root, "work");
    const text = readFileSync(join(dir, "out/r.itf.json"), "utf8");
    const trace = ItfTraceSchema.parse(JSON.parse(text));
    expect(trace).toEqual(JSON.parse(readFileSync(join(dir, "out/r.json"), "utf8")).violation.trace);
    // No plain JSON number outside the #meta records (whose indices are not ITF values).
    const plain: string[] = [];
    const walk = (v: unknown, path: string): void => {
      if (typeof v === "number") plain.push(path);
      else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
      else if (typeof v === "object" && v !== null) for (const [k, x] of Object.entries(v)) if (k !== "#meta") walk(x, `${path}.${k}`);
    };
    trace.states.forEach((s, i) => walk(s, `states[${i}]`));
    expect(plain).toEqual([]);
    expect(text).toMatch(/"#bigint": "\d+"/);
    const states = ofItf(trace as never);
    expect(states).toHaveLength(trace.states.length);
    // Quint reads a #bigint as an integer: the pool's HugePages_Total of the first state.
    const show = JSON.stringify(states[0], (_, v) => (typeof v === "bigint" ? `${v}n` : v));
    expect(show).toMatch(/"kind":"str","value":"nr_huge_pages"\},\{"id":"\d+n","kind":"int","value":"5n"\}/);
  });
});

describe("scenario errors", () => {
  it("list every validation problem, a misspelt key first (sise for size)", () => {
    const text = shipped("truncate-fault").replace(/ftruncate: \{ file: hugefile, size: (\d) \}/, "ftruncate: { file: hugefile, sise: $1 }").replace("pool: { pages: ", "pool: { pagez: 1, pages: ");
    expect(text).toMatch(/sise/);
    writeFileSync(join(root, "typo.yaml"), text);
    const r = mmcheck(["explore", "--scenario", "typo.yaml"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^mmcheck: scenario typo\.yaml: pool: Unrecognized key: "pagez"; threads\.\d\.ops\.0\.ftruncate: Unrecognized key: "sise"; threads\.\d\.ops\.0\.ftruncate\.size: Invalid input: expected number, received undefined\n$/);
  });

  it("YAML and JSON syntax errors say line and column, and show the place in the file", () => {
    writeFileSync(join(root, "broken.yaml"), "name: x\nsummary: y\npool: [broken\nthreads: []\n");
    const y = mmcheck(["explore", "--scenario", "broken.yaml"]);
    expect(y.status).toBe(2);
    expect(y.stderr).toBe(
      "mmcheck: scenario broken.yaml: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 4, column 1\n" +
        "  2 | summary: y\n  3 | pool: [broken\n> 4 | threads: []\n    | ^\n",
    );
    writeFileSync(join(root, "broken.json"), '{\n  "name": "x",\n  "summary": "y"\n  "pool": 1\n}\n');
    const j = mmcheck(["explore", "--scenario", "broken.json"]);
    expect(j.status).toBe(2);
    expect(j.stderr).toMatch(/^mmcheck: scenario broken\.json: not valid JSON: .* at line 4, column 3\n {2}2 \| {3}"name": "x",\n {2}3 \| {3}"summary": "y"\n> 4 \| {3}"pool": 1\n {4}\| {3}\^\n$/);
  });
});

describe("the race diagram", () => {
  const args = ["explore", "--scenario", "wp-pagecache-deadlock", "--variant", "bug-wp-pagecache-folio-deadlock", "--report", "deadlock.json", "--no-progress"];
  const diagram = (out: string) => out.slice(out.indexOf("\n\n") + 2, out.indexOf("\n\nreport: ")).split("\n");

  it("of a 3-thread deadlock fits an 80-column terminal (it took 207), in the scenario's names", () => {
    const r = mmcheck(args, root, { COLUMNS: "80" });
    expect(r.status, r.stderr).toBe(1);
    const lines = diagram(r.stdout);
    expect(lines.length).toBeGreaterThan(10);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80);
    expect(r.stdout).toMatch(/deadlock violated: no thread can step: owner waits at hugetlb_wp:mutex_lock;\s+other waits at find_lock_page;\s+child waits at/);
    expect(r.stdout).not.toMatch(/thread \d/);
    for (const t of ["owner", "other", "child"]) expect(lines.some((l) => new RegExp(`^\\d+\\s+${t}\\s+lock_mm_and_find_vma`).test(l))).toBe(true);
    // The report says it with the same names.
    expect(JSON.parse(readFileSync(join(root, "deadlock.json"), "utf8")).violation.message).toMatch(/^no thread can step: owner waits at/);
  });

  it("keeps a column per thread on a wide terminal", () => {
    const lines = diagram(mmcheck(args, root, { COLUMNS: "250" }).stdout);
    expect(lines[0]).toMatch(/^#\s+CPU0 \(owner\)\s+CPU1 \(other\)\s+CPU2 \(child\)\s+HugePages\s+shared with other CPUs$/);
  });

  it("says processes and files by the scenario's names", () => {
    const r = mmcheck(["explore", "--scenario", "split-unmap", "--variant", "bug-split-double-credit", "--report", "s.json", "--no-progress"], root, { COLUMNS: "250" });
    expect(r.stdout).toMatch(/reservations are outstanding \(parent vma \[0,2\): 1, parent vma \[3,4\): 1\)/);
  });
});
