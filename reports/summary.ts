/**
 * The summary of `mmcheck check` (DIR/summary.json, ../shared/contract.md): one row per
 * scenario × variant run, its outcome against the scenario's `expect:`. Validated against this
 * schema before it is written and when `merge` or `--timings` reads one;
 * reports/summary.schema.json is its JSON Schema.
 */
import { z } from "zod";
import { readJson, ReportError } from "./read.js";
import { BoundSchema } from "./schema.js";

export const SUMMARY_FORMAT = "mmcheck-check/1";

/**
 * A run's outcome against its expectation; only `held` and `no-expectation` (a variant the
 * scenario's `expect:` does not name, run with --all-variants) let `check` exit 0.
 */
export const STATUSES = {
  held: "the expected verdict (pass, or a violation of the expected invariant)",
  "unexpected-violation": "a violation where a pass or another invariant was expected",
  "violation-gone": "an expected violation that no longer happens (the search passed)",
  incomplete: "a bound or the time budget stopped the search before it was exhaustive",
  "not-applicable": "the run never reaches the code the variant changes, where expect: claims a verdict for it",
  "now-applicable": "expect: says not-applicable, but the run reaches the code the variant changes (and passes)",
  "no-expectation": "the scenario's expect: does not name the variant (--all-variants): nothing to hold it to",
} as const;

export type Status = keyof typeof STATUSES;
const StatusSchema = z.enum(Object.keys(STATUSES) as [Status, ...Status[]]);

/** Statuses that do not fail `check`. */
export const PASSING: ReadonlySet<Status> = new Set<Status>(["held", "no-expectation"]);

const name = z.string().min(1);
const count = z.int().nonnegative();

export const ExpectedSchema = z.union([
  z.literal("pass"),
  z.literal("none"),
  z.literal("not-applicable"),
  z.strictObject({ verdict: z.literal("violation"), invariant: name, finding: z.string().optional() }),
]);
export type Expected = z.infer<typeof ExpectedSchema>;

const RowSchema = z
  .strictObject({
    scenario: name,
    variant: name,
    expected: ExpectedSchema.meta({ description: "the scenario's expect: for the variant; none when it names none" }),
    verdict: z.enum(["pass", "violation", "incomplete", "not-applicable"]),
    status: StatusSchema,
    invariant: name.optional(),
    message: z.string().optional(),
    depth: count.optional(),
    bound: BoundSchema.optional().meta({ description: "for incomplete: what stopped it (interrupted: the run's time or the budget)" }),
    stats: z.strictObject({ distinctStates: count, statesGenerated: count, maxDepth: count, durationMs: count }),
    diagram: z.string().optional().meta({ description: "the counterexample's race diagram" }),
    report: z.string().optional().meta({ description: "the run's report, relative to the output folder" }),
  })
  .meta({ id: "CheckRow" });
export type Row = z.infer<typeof RowSchema>;

export const SummarySchema = z
  .strictObject({
    format: z.literal(SUMMARY_FORMAT),
    tool: z.strictObject({ name: z.literal("mmcheck"), version: name }),
    shard: z.strictObject({ index: z.int().positive(), count: z.int().positive() }).optional().meta({ description: "this run's shard (--shard k/N); absent for all of the matrix" }),
    options: z.strictObject({
      maxStates: z.int().positive().optional(),
      maxDepth: count.optional(),
      runSeconds: z.number().positive().optional(),
      budgetSeconds: z.number().positive().optional(),
    }),
    ok: z.boolean().meta({ description: "every expectation held (check's exit 0)" }),
    counts: z.record(StatusSchema, count),
    rows: z.array(RowSchema),
  })
  .meta({ title: "mmcheck check summary", description: "The result of `mmcheck check`, or of `mmcheck merge` of its shards" });
export type Summary = z.infer<typeof SummarySchema>;

/** A row's key, and the order of rows in a summary. */
export const rowKey = (r: { readonly scenario: string; readonly variant: string }) => `${r.scenario} ${r.variant}`;

/** The summary of these rows (sorted by scenario, then variant), with its counts and ok. */
export function summarise(rows: readonly Row[], options: Summary["options"], tool: Summary["tool"], shard?: Summary["shard"]): Summary {
  const sorted = [...rows].sort((a, b) => (a.scenario === b.scenario ? (a.variant < b.variant ? -1 : 1) : a.scenario < b.scenario ? -1 : 1));
  const counts = Object.fromEntries(Object.keys(STATUSES).map((s) => [s, sorted.filter((r) => r.status === s).length])) as Record<Status, number>;
  return { format: SUMMARY_FORMAT, tool, ...(shard && { shard }), options, ok: sorted.every((r) => PASSING.has(r.status)), counts, rows: sorted };
}

/** The status of a run's verdict against its expectation. */
export function statusOf(expected: Expected, verdict: Row["verdict"], invariant?: string): Status {
  if (verdict === "incomplete") return "incomplete";
  if (expected === "none") return "no-expectation";
  if (expected === "not-applicable") return verdict === "not-applicable" ? "held" : verdict === "pass" ? "now-applicable" : "unexpected-violation";
  if (verdict === "not-applicable") return "not-applicable";
  if (expected === "pass") return verdict === "pass" ? "held" : "unexpected-violation";
  if (verdict === "pass") return "violation-gone";
  return invariant === expected.invariant ? "held" : "unexpected-violation";
}

export function summaryJsonSchemaText(): string {
  return `${JSON.stringify(z.toJSONSchema(SummarySchema, { target: "draft-2020-12" }), null, 2)}\n`;
}

/** Reads DIR/summary.json or a summary file; every problem is a ReportError of one line. */
export function readSummary(path: string): Summary {
  const parsed = SummarySchema.safeParse(readJson(path));
  if (!parsed.success) throw new ReportError(`${path}: ${z.prettifyError(parsed.error).replace(/\n\s*/g, "; ")}`);
  return parsed.data;
}
