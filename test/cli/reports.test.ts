/**
 * reports/: the ITF encoding of decoded states and counterexamples, the report schema and its
 * published JSON Schema, atomic report writing, and the race diagram.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { explore } from "../../explorer/explore.js";
import { replay } from "../../explorer/trace.js";
import { buildModel } from "../../models/index.js";
import { THP_MODES, ZERO_PAGE_MODES } from "../../model/config.js";
import { buildMm } from "../../models/mm.js";
import { raceDiagram } from "../../reports/diagram.js";
import { itfTrace, threadsFromItf, toItf, TraceError } from "../../reports/itf.js";
import { makeReport } from "../../reports/report.js";
import { ItfTraceSchema, ItfValueSchema, reportJsonSchemaText, ReportSchema, type Report } from "../../reports/schema.js";
import { writeReport } from "../../reports/write.js";
import { nulls } from "../helpers/json.js";

const tmp = mkdtempSync(join(tmpdir(), "mmcheck-reports-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The split-unmap counterexample under the variant that restores the double credit. */
const model = buildMm({ scenario: "split-unmap", variant: "bug-split-double-credit" });
const result = await explore(model);
const run = replay(model.system, result.violation!.threads);

function violationReport(): Report {
  return makeReport({ scenario: "split-unmap", variant: "bug-split-double-credit", options: { workers: 1 }, result }, model, run);
}

describe("toItf", () => {
  it("writes Maps as #map, Sets as #set, and every integer as #bigint", () => {
    expect(toItf({ ptes: new Map([[2, { page: 1, write: true }]]), held: new Set(["a"]), n: 2 ** 60 })).toEqual({
      ptes: { "#map": [[{ "#bigint": "2" }, { page: { "#bigint": "1" }, write: true }]] },
      held: { "#set": ["a"] },
      n: { "#bigint": (2n ** 60n).toString() },
    });
  });

  it("refuses what ITF cannot say, naming where it is", () => {
    expect(() => toItf({ a: [1, null] })).toThrow("state.a[1]: null has no ITF form");
    expect(() => toItf({ a: undefined })).toThrow("state.a: undefined has no ITF form");
    expect(() => toItf({ a: 0.5 })).toThrow("not an integer");
    expect(() => toItf({ "#x": 1 })).toThrow("cannot start with #");
  });
});

describe("ItfValueSchema", () => {
  it("takes every ITF form and nothing else", () => {
    for (const ok of [true, "s", -3, { "#bigint": "-123456789012345678901" }, { "#tup": [1, "a"] }, { "#set": [] }, { "#map": [[{ a: 1 }, [2]]] }, [{}], { a: { b: [] } }])
      expect(ItfValueSchema.safeParse(ok).success, JSON.stringify(ok)).toBe(true);
    for (const bad of [null, 1.5, 2 ** 53, { "#bigint": "1e3" }, { "#map": [[1]] }, { "#set": [1], x: 1 }, { "#other": 1 }, [null]])
      expect(ItfValueSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  });
});

describe("itfTrace", () => {
  const trace = itfTrace(model, run, { scenario: "split-unmap", variant: "bug-split-double-credit", description: "test" });

  it("is a valid ITF trace without a null: one state per model state, every var in each", () => {
    expect(ItfTraceSchema.safeParse(trace).success).toBe(true);
    expect(nulls(JSON.parse(JSON.stringify(trace)))).toEqual([]);
    expect(trace.vars).toEqual(["hstate", "inodes", "mms", "resv_maps", "shmem", "files4k", "pages", "threads"]);
    expect(trace.states).toHaveLength(result.violation!.depth + 1);
    trace.states.forEach((s, i) => {
      expect(s["#meta"].index).toBe(i);
      for (const v of trace.vars) expect(s).toHaveProperty(v);
    });
    expect(trace["#meta"]).toMatchObject({ format: "ITF", source: "split-unmap", variant: "bug-split-double-credit" });
  });

  it("names the step that led to each state after the first", () => {
    expect(trace.states[0]!["#meta"]).toEqual({ index: 0 });
    trace.states.slice(1).forEach((s, i) => {
      const tr = run.transitions[i]!;
      expect(s["#meta"]).toEqual({
        index: i + 1,
        thread: { index: tr.thread, name: model.config.threads[tr.thread]!.name },
        operation: tr.op.text,
        function: tr.step.fn,
        step: tr.step.label,
      });
    });
  });

  it("gives back the threads that replay needs", () => {
    const names = model.config.threads.map((t) => t.name);
    expect(threadsFromItf(trace, names)).toEqual(result.violation!.threads);
    expect(() => threadsFromItf(trace, names.map((n) => `${n}-renamed`))).toThrow(TraceError);
    const { thread: _, ...noThread } = trace.states[1]!["#meta"];
    const cut = { ...trace, states: [trace.states[0]!, { ...trace.states[1]!, "#meta": noThread }] };
    expect(() => threadsFromItf(cut)).toThrow("violation.trace.states.1.#meta.thread: missing");
  });

  it("is refused when an index is out of sequence or a var is missing", () => {
    const [s0, s1] = trace.states;
    expect(ItfTraceSchema.safeParse({ ...trace, states: [s0, { ...s1, "#meta": { ...s1!["#meta"], index: 5 } }] }).success).toBe(false);
    const { hstate: _, ...noHstate } = s1!;
    expect(ItfTraceSchema.safeParse({ ...trace, states: [s0, noHstate] }).success).toBe(false);
  });
});

describe("report schema", () => {
  it("holds for a violation's report, and its verdict decides what else is there", () => {
    const report = violationReport();
    expect(ReportSchema.safeParse(report).success).toBe(true);
    const { violation: _, ...rest } = report as Extract<Report, { verdict: "violation" }>;
    expect(ReportSchema.safeParse(rest).success).toBe(false);
    expect(ReportSchema.safeParse({ ...rest, verdict: "pass" }).success).toBe(true);
    expect(ReportSchema.safeParse({ ...rest, verdict: "incomplete" }).success).toBe(false);
    expect(ReportSchema.safeParse({ ...rest, verdict: "incomplete", bound: "max-depth" }).success).toBe(true);
  });

  it("takes as options.kernel every kernel configuration of the mm model, and nothing else", () => {
    const report = violationReport();
    for (const zeroPage of ZERO_PAGE_MODES)
      expect(ReportSchema.safeParse({ ...report, options: { ...report.options, kernel: { zeroPage } } }).success, zeroPage).toBe(true);
    expect(ReportSchema.safeParse({ ...report, options: { ...report.options, kernel: { zeroPage: "other" } } }).success).toBe(false);
    for (const thp of THP_MODES)
      for (const thpZeroPage of [true, false])
        expect(ReportSchema.safeParse({ ...report, options: { ...report.options, kernel: { zeroPage: "mapped", thp, thpZeroPage } } }).success, thp).toBe(true);
    expect(ReportSchema.safeParse({ ...report, options: { ...report.options, kernel: { zeroPage: "mapped", thp: "other" } } }).success).toBe(false);
    const schema = JSON.parse(reportJsonSchemaText()) as { $defs?: unknown };
    expect(JSON.stringify(schema)).toContain(JSON.stringify(ZERO_PAGE_MODES));
    expect(JSON.stringify(schema)).toContain(JSON.stringify(THP_MODES));
  });

  it("is published as reports/report.schema.json, up to date (npm run schema regenerates it)", () => {
    const committed = readFileSync(new URL("../../reports/report.schema.json", import.meta.url), "utf8");
    expect(committed).toBe(reportJsonSchemaText());
  });

  it("as JSON Schema, takes a real report and refuses a null in its trace", () => {
    const fromJson = z.fromJSONSchema(JSON.parse(readFileSync(new URL("../../reports/report.schema.json", import.meta.url), "utf8")));
    const report = JSON.parse(JSON.stringify(violationReport()));
    expect(fromJson.safeParse(report).success).toBe(true);
    report.violation.trace.states[1].hstate.free_huge_pages = null;
    expect(fromJson.safeParse(report).success).toBe(false);
  });
});

describe("writeReport", () => {
  it("writes the validated report, leaving no temporary file", () => {
    const dir = mkdtempSync(join(tmp, "ok-"));
    const report = violationReport();
    writeReport(join(dir, "r.json"), report);
    expect(readdirSync(dir)).toEqual(["r.json"]);
    expect(JSON.parse(readFileSync(join(dir, "r.json"), "utf8"))).toEqual(report);
  });

  it("writes nothing for a report that does not match its schema", () => {
    const dir = mkdtempSync(join(tmp, "invalid-"));
    const bad = { ...violationReport(), verdict: "pass" } as unknown as Report;
    expect(() => writeReport(join(dir, "r.json"), bad)).toThrow("report does not match its schema");
    expect(readdirSync(dir)).toEqual([]);
  });

  it("leaves neither the report nor a temporary file when the rename fails", () => {
    const dir = mkdtempSync(join(tmp, "rename-"));
    mkdirSync(join(dir, "r.json"));
    expect(() => writeReport(join(dir, "r.json"), violationReport())).toThrow();
    expect(readdirSync(dir)).toEqual(["r.json"]);
    expect(existsSync(join(dir, "missing", "r.json"))).toBe(false);
    expect(() => writeReport(join(dir, "missing", "r.json"), violationReport())).toThrow(/no directory/);
  });
});

describe("raceDiagram", () => {
  const text = raceDiagram(model, run, result.violation!);
  const lines = text.split("\n");

  it("has a column per thread that steps, a row per step, the pool changes and the invariant in the scenario's names", () => {
    // Only the unmapper steps in this trace.
    expect(lines[0]).toMatch(/^#\s+CPU1 \(unmapper\)\s+HugePages\s+shared with other CPUs$/);
    for (let d = 0; d <= run.transitions.length; d++) expect(lines.some((l) => l.startsWith(`${d} `))).toBe(true);
    expect(text).toMatch(/Rsvd \d+→\d+/);
    expect(result.violation!.message).toMatch(/mm0 vma/);
    expect(lines[lines.length - 1]).toBe(`${result.violation!.invariant} violated: ${result.violation!.message.replace(/\bmm0\b/g, "parent")}`);
  });

  it("puts each step in its thread's column, the operation above its first step", () => {
    const first = run.transitions[0]!;
    const col = lines[0]!.indexOf(`CPU${first.thread} (`);
    const opLine = lines.findIndex((l) => l.includes(first.op.text));
    expect(lines[opLine]!.indexOf(first.op.text)).toBe(col);
    expect(lines[opLine + 1]!.indexOf(first.step.label)).toBe(col + 2);
  });

  it("names, for each step, the objects of its footprint that another thread's step touches", () => {
    const m = buildMm({ scenario: "truncate-fault", variant: "modern" });
    // faulter-a looks up index 0 (reads i_size); the truncater then writes i_size and zaps ptes.
    const race = replay(m.system, [0, 0, 2, 2]);
    const rows = raceDiagram(m, race, null).split("\n");
    const faultRow = rows.find((l) => l.startsWith("2 "))!;
    expect(faultRow).toContain("hugetlb_fault");
    expect(faultRow.slice(rows[0]!.indexOf("shared with other CPUs"))).toMatch(/\bi_size\b/);
    const lockRow = rows.find((l) => l.startsWith("1 "))!;
    expect(lockRow.slice(rows[0]!.indexOf("shared with other CPUs")).trim()).not.toMatch(/i_size/);
  });

  it("is plain text without colour, with no trailing spaces", () => {
    expect(text).not.toContain("\x1b");
    for (const l of lines) expect(l).toBe(l.trimEnd());
    expect(raceDiagram(model, run, result.violation!, { color: true })).toContain("\x1b[31m");
    expect(raceDiagram(model, run, null).endsWith("no invariant violated")).toBe(true);
  });

  it("draws any model's counterexample from the model's description: the peer model's", async () => {
    const peer = await buildModel({ name: "peer", args: { n: 2, bug: true } });
    const found = await explore(peer);
    const race = replay(peer.system, found.violation!.threads);
    const rows = raceDiagram(peer, race, found.violation!).split("\n");
    // T1 takes no step in this trace: no column.
    expect(rows[0]).toMatch(/^\s*#\s+CPU1 \(T2\)\s+CPU2 \(T3\)\s+pool\s+shared with other CPUs$/);
    expect(rows[2]).toMatch(/^\s*0\s+free 2, resv 2$/);
    // Each step in its thread's column, under its operation, with the pool's changes.
    const truncate = rows.findIndex((l) => l.includes("ftruncate(F, 1)"));
    expect(rows[truncate]!.indexOf("ftruncate(F, 1)")).toBe(rows[0]!.indexOf("CPU2 (T3)"));
    expect(rows.some((l) => /alloc_hugetlb_folio.*free 2→1/.test(l))).toBe(true);
    expect(rows.some((l) => /\bi_size\b/.test(l.slice(rows[0]!.indexOf("shared with other CPUs"))))).toBe(true);
    expect(rows.filter((l) => /^\s*\d+ /.test(l))).toHaveLength(race.transitions.length + 1);
    expect(rows[rows.length - 1]).toBe(`reservation-conservation violated: ${found.violation!.message}`);
  });
});
