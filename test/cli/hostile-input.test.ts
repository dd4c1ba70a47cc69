/**
 * The hostile inputs of issue 15, each once: before, each ended in exit 4 with a stack, a hang,
 * gigabytes of memory or a multi-line stderr; now each is one line on stderr and exit 2 (or,
 * for --max-memory, a process that stays within the bound). What can hang or grow without bound
 * under the old code runs as a process with a time limit; the rest through loadScenario.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { ReportSchema } from "../../reports/schema.js";
import { loadScenario, ScenarioError, scenarioDir } from "../../scenarios/load.js";

const MAIN = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
const GROW = fileURLToPath(new URL("../../bench/truncate-race-grow.yaml", import.meta.url));
const XL = fileURLToPath(new URL("../../bench/split-unmap-xl.yaml", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "mmcheck-hostile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SPLIT_UNMAP = readFileSync(join(scenarioDir(), "split-unmap.yaml"), "utf8");

let n = 0;
function file(text: string, ext = "yaml"): string {
  const path = join(dir, `case${n++}.${ext}`);
  writeFileSync(path, text);
  return path;
}
/** split-unmap with one edit of its parsed form. */
function edited(edit: (s: Record<string, any>) => void): string {
  const s = parse(SPLIT_UNMAP) as Record<string, any>;
  edit(s);
  return file(stringify(s));
}

/** loadScenario refuses the file with one line that matches `reason`. */
function refused(path: string, reason: RegExp, params?: Record<string, number>): void {
  let err: unknown;
  try {
    loadScenario(path, params);
  } catch (e) {
    err = e;
  }
  expect(err, `loadScenario(${path}) should throw`).toBeInstanceOf(ScenarioError);
  const message = (err as Error).message;
  expect(message).not.toMatch(/[\r\n]/);
  expect(message).toMatch(reason);
}

/** mmcheck in a fresh folder, killed after `seconds`: exit 2, one line naming `reason`, nothing written. */
function refusedByProcess(args: string[], reason: RegExp, seconds = 30): void {
  const cwd = mkdtempSync(join(dir, "run-"));
  const r = spawnSync(process.execPath, [MAIN, "explore", ...args, "--no-progress"], { cwd, encoding: "utf8", timeout: seconds * 1000 });
  expect(r.signal, `${args.join(" ")}: still running after ${seconds} s`).toBeNull();
  expect(r.status, r.stderr).toBe(2);
  expect(r.stderr).toMatch(/^mmcheck: [^\n]*\n$/);
  expect(r.stderr).toMatch(reason);
  expect(readdirSync(cwd)).toEqual([]);
}

describe("exit 4 with a stack before", () => {
  it("a YAML alias cycle", () => {
    refused(file(SPLIT_UNMAP.replace("summary: ", "summary: &loop [ *loop ]\nx: ")), /alias refers to itself|nested deeper/);
  });
  it("JSON nested 20,000 deep", () => {
    const deep = "[".repeat(20_000) + "]".repeat(20_000);
    refused(file(JSON.stringify(parse(SPLIT_UNMAP)).replace(/^\{/, `{"deep": ${deep}, `), "json"), /nested deeper than 32 levels/);
  });
  it("YAML nested 20,000 deep", () => {
    refused(file(`${SPLIT_UNMAP}deep: ${"[".repeat(20_000)}${"]".repeat(20_000)}\n`), /nested deeper than 32 levels/);
  });
  it("nested repeats of 1,000 each", () => {
    refused(
      edited((s) => {
        s.threads[0].ops = [{ repeat: { count: 1000, each: { repeat: { count: 1000, each: { repeat: { count: 1000, each: { fault: { addr: 1 } } } } } } } }];
      }),
      /threads\.0\.ops\.0\.repeat.*more than 10000 elements/,
    );
  });
  it("3,000 nested parentheses in ${…}", () => {
    refused(edited((s) => (s.pool.pages = `\${${"(".repeat(3000)}5${")".repeat(3000)}}`)), /pool\.pages: the expression is longer than 200 characters/);
  });
  it("an expression past 2^53", () => {
    refused(edited((s) => (s.pool.pages = "${99999999999 * 99999999999}")), /pool\.pages: .*exact integers/);
  });
  it("pool.pages: 1e9 (was: Invalid typed array length)", () => {
    refused(edited((s) => (s.pool.pages = 1e9)), /pool\.pages: .*<=\s*31/);
  });
  it("pool pages and overcommit beyond the model's 31 huge pages", () => {
    refused(edited((s) => (s.pool = { pages: 20, overcommit: 20 })), /pool: pages \+ overcommit is 40/);
  });
  it("a fork cycle: each of two processes forks the other (found by the fuzz test: Machine.done recursed for ever)", () => {
    refused(
      edited((s) => {
        s.processes = ["parent", "child", "a", "b"];
        s.threads.push({ name: "ta", proc: "a", ops: [{ fork: { child: "b" } }] }, { name: "tb", proc: "b", ops: [{ fork: { child: "a" } }] });
      }),
      /threads\.3\.ops\.0\.fork\.child: process "b" would be forked by a process only it brings to life/,
    );
  });
});

describe("a hang or gigabytes before", () => {
  it("mmap.len: 2^53 − 1 (looped over every slot)", () => {
    refusedByProcess(["--scenario", edited((s) => (s.setup[0].ops[0].mmap.len = 2 ** 53 - 1))], /setup\.0\.ops\.0\.mmap\.len: .*<=\s*64/);
  });
  it("mmap.addr: 2^31 − 1 (an address space of 2^31 pages)", () => {
    refusedByProcess(["--scenario", edited((s) => (s.setup[0].ops[0].mmap.addr = 2 ** 31 - 1))], /setup\.0\.ops\.0\.mmap\.addr: .*<=\s*63/);
  });
  it("100,000 unknown keys (59 s): the file is over the size cap", () => {
    let text = SPLIT_UNMAP;
    for (let i = 0; i < 100_000; i++) text += `k${i}: 1\n`;
    refusedByProcess(["--scenario", file(text)], /larger than 65536 bytes/);
  });
  it("--scenario /dev/zero", () => {
    refusedByProcess(["--scenario", "/dev/zero"], /--scenario: \/dev\/zero is not a regular file/);
  });
  it("--scenario on a FIFO (blocked for ever)", () => {
    const fifo = join(dir, "fifo.yaml");
    execFileSync("mkfifo", [fifo]);
    refusedByProcess(["--scenario", fifo], /is not a regular file/);
  });
  it("--workers 1000 (818 threads, 3.9 GB)", () => {
    refusedByProcess(["--scenario", "split-unmap", "--workers", "1000"], /^mmcheck: --workers: must be at most \d+ \(4 × the \d+ cores\)/);
  });
  it("--params faults=1000000", () => {
    refused(GROW, /--params: faults: 1000000 is out of range \(at most 1000 from 0\)/, { faults: 1_000_000 });
  });
});

describe("more than one line before", () => {
  it("an unknown YAML tag: an error, not a warning on stderr and the tag dropped", () => {
    refused(file(SPLIT_UNMAP.replace("summary: ", "summary: !unknown ")), /not valid YAML: Unresolved tag: !unknown at line 2/);
  });
  it("5,000 unknown keys: named a few, the line stays short", () => {
    let text = SPLIT_UNMAP;
    for (let i = 0; i < 5000; i++) text += `k${i}: 1\n`;
    let message = "";
    try {
      loadScenario(file(text));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/Unrecognized keys: "k0", "k1", "k2", "k3", "k4" and 4995 more$/);
  });
  it("a duplicate key is still refused (found without comparing every pair of keys)", () => {
    refused(file(`${SPLIT_UNMAP}name: again\n`), /duplicate key "name" at line \d+/);
  });
});

/**
 * --max-memory bounds the process's resident memory. The process's peak (getrusage's maxrss,
 * read as it exits) is measured for a search that outgrows the bound: split-unmap-xl takes about
 * 48 MiB more than the process does at rest without the symmetry reduction (with it, it fits), and the bound is 32 MiB over what it takes at rest.
 */
describe("--max-memory", () => {
  const probe = join(dir, "peak.mjs");
  writeFileSync(
    probe,
    `process.on("exit", () => process.stderr.write("peak " + process.resourceUsage().maxRSS * 1024 + "\\n"));\nawait import(${JSON.stringify(MAIN)});\n`,
  );
  const peak = (args: string[]) => {
    const r = spawnSync(process.execPath, [probe, "explore", ...args, "--no-progress", "--workers", "1"], { encoding: "utf8", timeout: 120_000 });
    return { status: r.status, stderr: r.stderr, peak: Number(/peak (\d+)/.exec(r.stderr)?.[1]) };
  };

  it("bounds the process's resident memory, not only the search's tables", () => {
    // Under the fix of finding 001, which today's kernel hits in split-unmap in a few steps.
    const rest = peak(["--scenario", "split-unmap", "--variant", "fix-unmap-restore-reserve"]);
    expect(rest.status, rest.stderr).toBe(0);
    const bound = rest.peak + (32 << 20);
    const report = join(dir, "bounded.json");
    const r = peak(["--scenario", XL, "--no-symmetry", "--variant", "fix-unmap-restore-reserve", "--max-memory", String(bound), "--report", report]);
    expect([0, 3], r.stderr).toContain(r.status);
    expect(ReportSchema.parse(JSON.parse(readFileSync(report, "utf8"))).verdict).toBe(r.status === 0 ? "pass" : "incomplete");
    expect(r.peak, `peak ${(r.peak / 2 ** 20).toFixed(1)} MiB, bound ${(bound / 2 ** 20).toFixed(1)} MiB`).toBeLessThanOrEqual(bound);
  });
});
