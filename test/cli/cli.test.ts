/**
 * The mmcheck command as CI runs it (../shared/contract.md): dist/cli/main.js in a child
 * process (`npm test` builds first), each run in an empty directory so that a report left
 * behind is seen.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { INVARIANTS } from "../../invariants/index.js";
import { VARIANTS } from "../../model/variant.js";
import { ReportSchema, type Report } from "../../reports/schema.js";
import { loadScenario, shippedScenarios } from "../../scenarios/load.js";
import { nulls } from "../helpers/json.js";

const MAIN = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
const BUG = "bug-split-double-credit";
const root = mkdtempSync(join(tmpdir(), "mmcheck-cli-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(() => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first (npm test does)`);
});

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly cwd: string;
}

/** Runs mmcheck in a fresh empty directory (or `cwd`). */
function mmcheck(args: readonly string[], cwd = mkdtempSync(join(root, "run-"))): Run {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, cwd };
}

describe("mmcheck explore", () => {
  it("exits 0 on fork-fault (modern) and writes no report unless asked", () => {
    const r = mmcheck(["explore", "--scenario", "fork-fault", "--no-progress"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/variant modern: pass/);
    expect(r.stdout).toMatch(/distinct states, .* generated, depth \d+/);
    expect(r.stderr).toBe("");
    expect(readdirSync(r.cwd)).toEqual([]);
  });

  it("says not applicable, exit 0, when the run never reaches the code the variant changes (shmem under seed 001)", () => {
    const r = mmcheck(["explore", "--scenario", "shared-anon", "--variant", "seed-001", "--report", "out.json", "--no-progress"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^scenario shared-anon, variant seed-001: not applicable: the run never reaches the code seed-001 changes \(the code selected by or reading .*\bzeroPage, gup, cowReuse, cowCopy, populate\b.*\)$/m);
    const report = ReportSchema.parse(JSON.parse(readFileSync(join(r.cwd, "out.json"), "utf8")));
    expect(report.verdict).toBe("not-applicable");
    expect(report.coverage.changed).toEqual([]);
    expect(report.coverage.steps).toContain("shmem_fault:shmem_get_folio");
  });

  it("writes a pass report with --report", () => {
    const r = mmcheck(["explore", "--scenario", "fork-fault", "--report", "out.json", "--workers", "2", "--no-progress"]);
    expect(r.status, r.stderr).toBe(0);
    const report = ReportSchema.parse(JSON.parse(readFileSync(join(r.cwd, "out.json"), "utf8")));
    expect(report).toMatchObject({ verdict: "pass", scenario: "fork-fault", variant: "modern", options: { workers: 2 } });
    // Its levels, a few states each, are too small to spread over the pool: the run used one thread.
    expect(report.stats.workers).toBe(1);
  });

  it("exits 3 when --max-depth stops the search before it is exhaustive", () => {
    const r = mmcheck(["explore", "--scenario", "split-unmap", "--max-depth", "3", "--report", "out.json"]);
    expect(r.status, r.stderr).toBe(3);
    expect(r.stdout).toMatch(/incomplete/);
    const report = ReportSchema.parse(JSON.parse(readFileSync(join(r.cwd, "out.json"), "utf8")));
    expect(report).toMatchObject({ verdict: "incomplete", bound: "max-depth", options: { maxDepth: 3 } });
  });

  it("exits 1 on split-unmap (modern): today's kernel breaks reservation-conservation there (finding 001)", () => {
    const r = mmcheck(["explore", "--scenario", "split-unmap", "--no-progress", "--report", "out.json"]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/variant modern: violation of reservation-conservation/);
  });

  it("writes mmcheck-report.json in the working directory on a violation", () => {
    const r = mmcheck(["explore", "--scenario", "split-unmap", "--variant", BUG]);
    expect(r.status, r.stderr).toBe(1);
    expect(readdirSync(r.cwd).sort()).toEqual(["mmcheck-report.itf.json", "mmcheck-report.json"]);
  });
});

describe("mmcheck explore --kernel: the kernel's configuration, apart from the variant", () => {
  it("zeroPage=forbidden runs the kernel that never maps the zero page, says so, and records it in the report", () => {
    const mapped = mmcheck(["explore", "--scenario", "munlock-zero-page", "--variant", "seed-001", "--report", "r.json", "--no-progress"]);
    expect(mapped.status, mapped.stderr).toBe(1);
    const violated = ReportSchema.parse(JSON.parse(readFileSync(join(mapped.cwd, "r.json"), "utf8")));
    expect(violated.options.kernel).toEqual({ zeroPage: "mapped", thp: "always", thpZeroPage: true });
    const r = mmcheck(["explore", "--scenario", "munlock-zero-page", "--variant", "seed-001", "--kernel", "zeroPage=forbidden", "--report", "r.json", "--no-progress"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/variant seed-001, kernel zeroPage=forbidden: pass/);
    expect(ReportSchema.parse(JSON.parse(readFileSync(join(r.cwd, "r.json"), "utf8"))).options.kernel).toEqual({ zeroPage: "forbidden", thp: "always", thpZeroPage: true });
    // replay rebuilds the kernel the report names: on the other kernel the same trace cannot even run.
    expect(mmcheck(["replay", "r.json"], mapped.cwd).status).toBe(1);
    writeFileSync(join(mapped.cwd, "r.json"), JSON.stringify({ ...violated, options: { ...violated.options, kernel: { zeroPage: "forbidden" } } }));
    // The resolved scenario is another (its hash covers the kernel's configuration) ...
    const other = mmcheck(["replay", "r.json"], mapped.cwd);
    expect(other.status).toBe(2);
    expect(other.stderr).toMatch(/scenario: munlock-zero-page is not the scenario the report was made from/);
    // ... and replayed anyway, the trace cannot even run.
    const forced = mmcheck(["replay", "r.json", "--force"], mapped.cwd);
    expect(forced.status).toBe(2);
    expect(forced.stderr).toMatch(/violation\.trace: does not fit scenario munlock-zero-page under seed-001/);
  });

  it("a scenario file's kernel: is used, and --kernel overrides it", () => {
    const dir = mkdtempSync(join(root, "kernel-"));
    const text = readFileSync(fileURLToPath(new URL("../../scenarios/munlock-zero-page.yaml", import.meta.url)), "utf8");
    writeFileSync(join(dir, "s.yaml"), `${text}\nkernel: { zeroPage: forbidden }\n`);
    expect(mmcheck(["explore", "--scenario", join(dir, "s.yaml"), "--variant", "seed-001", "--no-progress"]).status).toBe(0);
    expect(mmcheck(["explore", "--scenario", join(dir, "s.yaml"), "--variant", "seed-001", "--kernel", "zeroPage=mapped", "--no-progress"]).status).toBe(1);
  });

  it("a bad --kernel is one line naming the flag, exit 2", () => {
    for (const bad of ["zeroPage=absent", "thp=sometimes", "thpZeroPage=yes", "hugepages=always", "zeroPage"]) {
      const r = mmcheck(["explore", "--scenario", "split-unmap", "--kernel", bad]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^mmcheck: --kernel: .*expected zeroPage=mapped\|forbidden, thp=always\|madvise\|never, thpZeroPage=0\|1\n$/);
    }
  });

  it("--kernel thp=never keeps a THP mapping on 4 KiB pages: Huge Dirty COW has no huge zero page to reach, and the report records it", () => {
    const r = mmcheck(["explore", "--scenario", "huge-dirty-cow", "--variant", "bug-touch-pmd-dirties-huge-zero", "--kernel", "thp=never", "--report", "r.json", "--no-progress"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/kernel thp=never: pass/);
    expect(ReportSchema.parse(JSON.parse(readFileSync(join(r.cwd, "r.json"), "utf8"))).options.kernel).toEqual({ zeroPage: "mapped", thp: "never", thpZeroPage: true });
  });
});

describe("a violation's report", () => {
  const expected = loadScenario("split-unmap").expect[BUG];
  let run: Run;
  let path: string;
  let raw: { violation: { trace: { vars: string[]; states: Record<string, unknown>[] } } } & Record<string, unknown>;
  beforeAll(() => {
    run = mmcheck(["explore", "--scenario", "split-unmap", "--variant", BUG, "--report", "bug.json", "--no-progress"]);
    path = join(run.cwd, "bug.json");
    raw = JSON.parse(readFileSync(path, "utf8"));
  });

  it("exits 1 with the race diagram and the invariant the scenario expects", () => {
    expect(expected).toMatchObject({ verdict: "violation" });
    const invariant = (expected as { invariant: string }).invariant;
    expect(run.status, run.stderr).toBe(1);
    expect(run.stdout).toContain(`violation of ${invariant}`);
    // Only the unmapper steps: the faulter and the child get no column.
    expect(run.stdout).toMatch(/^#\s+CPU1 \(unmapper\)\s+HugePages/m);
    expect(run.stdout).not.toMatch(/CPU0 \(faulter\)|CPU2 \(child\)/);
    expect(run.stdout).toContain(`${invariant} violated: `);
    expect(run.stdout).toContain("report: bug.json");
    expect(readdirSync(run.cwd).sort()).toEqual(["bug.itf.json", "bug.json"]);
  });

  it("validates against the zod schema and the published JSON Schema", () => {
    const report = ReportSchema.parse(raw) as Extract<Report, { verdict: "violation" }>;
    expect(report).toMatchObject({
      format: "mmcheck-report/1",
      tool: { name: "mmcheck" },
      scenario: "split-unmap",
      variant: BUG,
      verdict: "violation",
      violation: { invariant: (expected as { invariant: string }).invariant },
    });
    const jsonSchema = JSON.parse(readFileSync(new URL("../../reports/report.schema.json", import.meta.url), "utf8"));
    expect(z.fromJSONSchema(jsonSchema).safeParse(raw).success).toBe(true);
  });

  it("carries an ITF trace: no null anywhere, every var in every state, indices in sequence", () => {
    expect(nulls(raw)).toEqual([]);
    const { trace } = raw.violation;
    expect(trace.vars).toEqual(["hstate", "inodes", "mms", "resv_maps", "shmem", "files4k", "pages", "threads"]);
    expect(trace.states.length).toBe((raw.violation as unknown as { depth: number }).depth + 1);
    trace.states.forEach((s, i) => {
      expect((s["#meta"] as { index: number }).index).toBe(i);
      for (const v of trace.vars) expect(s).toHaveProperty(v);
    });
  });

  it("replays: exit 1, the violation reproduces", () => {
    const r = mmcheck(["replay", path]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toContain(`reproduced: ${(expected as { invariant: string }).invariant}`);
  });

  it("cut short, does not reproduce as recorded: exit 6, its own code", () => {
    const cut = structuredClone(raw);
    cut.violation.trace.states = cut.violation.trace.states.slice(0, -1);
    const tampered = join(run.cwd, "cut.json");
    writeFileSync(tampered, JSON.stringify(cut));
    const r = mmcheck(["replay", tampered]);
    expect(r.status, r.stdout).toBe(6);
    expect(r.stdout).toContain("does not reproduce as recorded: the trace runs clean");
  });

  it("with a step no thread can take, is refused (exit 2, one line)", () => {
    const bad = structuredClone(raw);
    const states = bad.violation.trace.states;
    // The scenario has three threads: a step by a thread 7 cannot come from it.
    (states[1]!["#meta"] as { thread: { index: number; name: string } }).thread = { index: 7, name: "nobody" };
    const tampered = join(run.cwd, "bad.json");
    writeFileSync(tampered, JSON.stringify(bad));
    const r = mmcheck(["replay", tampered]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^mmcheck: .*#meta\.thread: thread 7 is "\(none\)" in the scenario, "nobody" in the trace\n$/);
  });
});

describe("bad input: exit 2, one line on stderr, no stack, no report", () => {
  const scenarioFiles: Record<string, string> = {
    "syntax.yaml": "name: [broken\n",
    "missing.yaml": "name: x\nsummary: y\npool: { pages: 1 }\n",
    "unknown-proc.yaml": [
      "name: x",
      "summary: y",
      "pool: { pages: 1 }",
      "files: [{ name: f, pages: 1 }]",
      "processes: [p]",
      "threads: [{ name: t, proc: q, ops: [exit] }]",
      "",
    ].join("\n"),
    "broken.json": "{ not json",
  };
  const cases: [string, string[], RegExp][] = [
    ["no command", [], /^mmcheck: command: missing/],
    ["an unknown command", ["frobnicate"], /^mmcheck: command: unknown command "frobnicate"/],
    ["an unknown flag", ["explore", "--scenario", "split-unmap", "--variant", BUG, "--frob"], /^mmcheck: --frob: unknown flag/],
    ["no --scenario", ["explore", "--variant", BUG], /^mmcheck: --scenario: required/],
    ["a flag without its value", ["explore", "--variant", BUG, "--scenario"], /^mmcheck: --scenario: missing value/],
    ["a non-numeric --workers", ["explore", "--scenario", "split-unmap", "--variant", BUG, "--workers", "many"], /^mmcheck: --workers: must be an integer/],
    ["--workers 0", ["explore", "--scenario", "split-unmap", "--variant", BUG, "--workers", "0"], /^mmcheck: --workers: must be a positive integer/],
    ["a negative --max-depth", ["explore", "--scenario", "split-unmap", "--variant", BUG, "--max-depth", "-1"], /^mmcheck: --max-depth: /],
    ["a fractional --max-states", ["explore", "--scenario", "split-unmap", "--variant", BUG, "--max-states", "2.5"], /^mmcheck: --max-states: must be an integer/],
    ["an unknown scenario", ["explore", "--scenario", "no-such-scenario"], /^mmcheck: --scenario: unknown scenario "no-such-scenario"/],
    ["an unknown variant", ["explore", "--scenario", "split-unmap", "--variant", "no-such-variant"], /^mmcheck: --variant: unknown variant "no-such-variant"/],
    ["a missing scenario file", ["explore", "--scenario", "./nowhere.yaml"], /^mmcheck: --scenario: no file/],
    ["a scenario that is not YAML", ["explore", "--scenario", "syntax.yaml", "--variant", BUG], /^mmcheck: scenario syntax\.yaml: not valid YAML/],
    ["a scenario missing a field", ["explore", "--scenario", "missing.yaml"], /^mmcheck: scenario missing\.yaml: processes: /],
    ["a scenario naming an unknown process", ["explore", "--scenario", "unknown-proc.yaml"], /^mmcheck: scenario unknown-proc\.yaml: threads\.0\.proc: unknown process "q"/],
    ["a scenario that is not JSON", ["explore", "--scenario", "broken.json"], /^mmcheck: scenario broken\.json: not valid JSON/],
    ["a report directory that does not exist", ["explore", "--scenario", "split-unmap", "--variant", BUG, "--report", "nowhere/r.json"], /^mmcheck: --report: no directory nowhere/],
    ["replay without a report", ["replay"], /^mmcheck: REPORT: missing/],
    ["replay of a missing report", ["replay", "nothing.json"], /^mmcheck: nothing\.json: cannot read \(ENOENT\)/],
    ["replay of a file that is not a report", ["replay", "syntax.yaml"], /^mmcheck: syntax\.yaml: not valid JSON/],
    ["list with an argument", ["list", "everything"], /^mmcheck: everything: unexpected argument/],
  ];
  it.each(cases)("%s", (_, args, message) => {
    const cwd = mkdtempSync(join(root, "bad-"));
    for (const [name, text] of Object.entries(scenarioFiles)) writeFileSync(join(cwd, name), text);
    const r = mmcheck(args, cwd);
    expect(r.status, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    // One line; a scenario file that does not parse has the place in it below, and only it.
    const [, ...frame] = r.stderr.split("\n");
    expect(frame.pop()).toBe("");
    expect(frame.length > 0).toBe(/^mmcheck: scenario .*: not valid/.test(r.stderr));
    for (const l of frame) expect(l).toMatch(/^[ >] [ \d]+ \| /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe("");
    expect(readdirSync(cwd).sort()).toEqual(Object.keys(scenarioFiles).sort());
  });

  it("--help prints the usage and exits 0", () => {
    const r = mmcheck(["explore", "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("mmcheck explore --scenario NAME|PATH");
    expect(mmcheck(["--help"]).stdout).toMatch(/^ {2}replay +re-execute a report's counterexample/m);
  });
});

describe("mmcheck list", () => {
  const invariants = ["reservation-conservation", "pool-counters", "refcount-balance", "pte-same-guard", "lock-balance", "deadlock"];

  it("shows every scenario, variant and invariant on a line with its summary", () => {
    const r = mmcheck(["list"]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split("\n");
    const entries = [
      ...shippedScenarios().map((name) => ({ name, summary: loadScenario(name).summary })),
      ...VARIANTS,
      ...INVARIANTS,
    ];
    for (const { name, summary } of entries) expect(lines.some((l) => l.trim().startsWith(`${name} `) && l.endsWith(summary))).toBe(true);
    for (const name of [...invariants, "split-unmap", "modern", BUG]) expect(r.stdout).toContain(name);
  });

  it("--json gives the same as an object", () => {
    const r = mmcheck(["list", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const listed = JSON.parse(r.stdout) as Record<string, { name: string; summary: string }[]>;
    expect(Object.keys(listed)).toEqual(["scenarios", "variants", "invariants"]);
    expect(listed.scenarios!.map((s) => s.name)).toEqual(shippedScenarios());
    expect(listed.variants).toEqual(VARIANTS.map(({ name, summary }) => ({ name, summary })));
    expect(listed.invariants).toEqual(INVARIANTS.map(({ name, summary }) => ({ name, summary })));
    expect(listed.invariants!.map((i) => i.name)).toEqual(expect.arrayContaining(invariants));
  });

  it("--steps: every step of the model, one line each, with its function, file and the variants that can run it; --json too", () => {
    const r = mmcheck(["list", "--steps"]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    // An era's step belongs to the variants that select the era; today's code to all of them.
    expect(lines).toContainEqual(expect.stringMatching(/^  do_dax_fault:i_mmap_mutex +do_dax_fault +model\/\S+\.ts +seed-004, bug-dax-cow-unlock-mode$/));
    expect(lines).toContainEqual(expect.stringMatching(/^  vfs_unlink +vfs_unlink +model\/ops\/unlink\.ts +all variants$/));
    const json = mmcheck(["list", "--steps", "--json"]);
    const { steps } = JSON.parse(json.stdout) as { steps: { label: string; fn: string; file: string; variants: string[] }[] };
    expect(steps).toHaveLength(lines.length - 1);
    expect(steps.find((s) => s.label === "do_wp_page:cow_user_page")).toEqual({ label: "do_wp_page:cow_user_page", fn: "do_wp_page", file: expect.stringMatching(/^model\//), variants: ["seed-001"] });
    for (const s of steps) expect(s.variants.length, s.label).toBeGreaterThan(0);
    const both = mmcheck(["list", "--steps", "--findings"]);
    expect([both.status, both.stderr]).toEqual([2, "mmcheck: --steps: give --findings or --steps, not both\n"]);
  });
});
