/**
 * The JSON report of `mmcheck explore` (../shared/contract.md), and the ITF trace it carries
 * (Apalache ADR-015). Every report is validated against this schema before it is written, and
 * `mmcheck replay` validates what it reads; reports/report.schema.json is its JSON Schema.
 */
import { z } from "zod";
import type { Bound } from "../explorer/options.js";

export const REPORT_FORMAT = "mmcheck-report/1";

/** An ITF value: JSON without null, integers within ±(2^53 − 1), the rest as `#bigint`. */
export type ItfValue =
  | boolean
  | string
  | number
  | { readonly "#bigint": string }
  | { readonly "#tup": readonly ItfValue[] }
  | { readonly "#set": readonly ItfValue[] }
  | { readonly "#map": readonly (readonly [ItfValue, ItfValue])[] }
  | readonly ItfValue[]
  | { readonly [field: string]: ItfValue };

export const ItfValueSchema: z.ZodType<ItfValue> = z
  .lazy(() =>
    z.union([
      z.boolean(),
      z.string(),
      z.int(),
      z.strictObject({ "#bigint": z.string().regex(/^-?[0-9]+$/) }),
      z.strictObject({ "#tup": z.array(ItfValueSchema) }),
      z.strictObject({ "#set": z.array(ItfValueSchema) }),
      z.strictObject({ "#map": z.array(z.tuple([ItfValueSchema, ItfValueSchema])) }),
      z.array(ItfValueSchema),
      // ADR-015: record fields do not start with `#`, so a record is never read as one of the forms above.
      z.record(z.string().regex(/^[^#]/, "a record field does not start with #"), ItfValueSchema),
    ]),
  )
  .meta({ id: "ItfValue", description: "An ITF value (Apalache ADR-015): no null; integers beyond 2^53 as #bigint" });

const name = z.string().min(1);
const count = z.int().nonnegative();

/** What each state's `#meta` says: its index and, after the first, the step that led to it. */
const ItfStateMetaSchema = z
  .looseObject({
    index: count,
    thread: z.strictObject({ index: count, name }).optional(),
    operation: z.string().optional().meta({ description: "the operation the thread was running, e.g. fault(addr=1, write)" }),
    function: z.string().optional().meta({ description: "the kernel function the step stands for" }),
    step: z.string().optional().meta({ description: "the step's label, function:point" }),
  })
  .meta({ id: "ItfStateMeta" });

export type ItfStateMeta = z.infer<typeof ItfStateMetaSchema>;

/** A state: its `#meta`, and a value for each var (typed by hand: the meta is not an ITF value). */
export type ItfState = { readonly "#meta": ItfStateMeta } & { readonly [v: string]: ItfValue | ItfStateMeta };

const ItfStateSchema: z.ZodType<ItfState> = z.object({ "#meta": ItfStateMetaSchema }).catchall(ItfValueSchema);

export const ItfTraceSchema = z
  .strictObject({
    "#meta": z.record(z.string(), z.unknown()).optional(),
    params: z.array(name).optional(),
    vars: z.array(name),
    states: z.array(ItfStateSchema).min(1),
    loop: count.optional(),
  })
  .superRefine((t, ctx) => {
    t.states.forEach((s, i) => {
      if (s["#meta"].index !== i)
        ctx.addIssue({ code: "custom", path: ["states", i, "#meta", "index"], message: `expected ${i}` });
      for (const v of t.vars)
        if (!(v in s)) ctx.addIssue({ code: "custom", path: ["states", i, v], message: "a var of the trace is missing" });
    });
  })
  .meta({ id: "ItfTrace", description: "An Informal Trace Format trace (Apalache ADR-015)" });

const OptionsSchema = z.strictObject({
  workers: z
    .int()
    .positive()
    .meta({ description: "the threads the run could take: --workers, or by default one per core (explorer/bfs.ts starts them only where they pay)" }),
  maxStates: z.int().positive().optional(),
  maxDepth: count.optional(),
  symmetry: z
    .boolean()
    .optional()
    .meta({ description: "states that differ only by page names counted once (false: --no-symmetry); stats.distinctStates counts canonical states when true" }),
  params: z.record(z.string(), z.int()).optional().meta({ description: "the scenario's parameters, as given with --params" }),
  // The mm model's KernelConfig (model/config.ts ZERO_PAGE_MODES), spelled out: the published
  // format does not follow the model (test/cli/reports.test.ts holds them equal).
  kernel: z
    .strictObject({
      zeroPage: z.enum(["mapped", "forbidden"]),
      // Reports written before THP was modelled have neither: the scenario's (or the default) holds.
      thp: z.enum(["always", "madvise", "never"]).optional(),
      thpZeroPage: z.boolean().optional(),
    })
    .optional()
    .meta({ description: "the kernel's configuration the search ran on (the scenario's kernel:, overridden by --kernel)" }),
});

const common = {
  format: z.literal(REPORT_FORMAT),
  tool: z.strictObject({ name: z.literal("mmcheck"), version: name }),
  scenario: name.meta({ description: "a shipped scenario's name, or the scenario file's path relative to the report's folder" }),
  scenarioSha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional()
    .meta({ description: "SHA-256 of the scenario's resolved content: replay refuses a scenario that no longer has it" }),
  variant: name,
  options: OptionsSchema,
  stats: z.strictObject({
    distinctStates: count,
    statesGenerated: count,
    maxDepth: count,
    durationMs: count,
    workers: z
      .int()
      .positive()
      .meta({ description: "the threads the run expanded states on: 1, or options.workers once a level was spread over the pool" }),
  }),
  coverage: z
    .strictObject({
      steps: z.array(name).meta({ description: "the label (function:point) of every step the run took, setup's included, sorted" }),
      changed: z
        .array(name)
        .meta({ description: "the steps that reached code the variant changes from modern (its eras, its fields that differ), sorted; none for modern" }),
    })
    .meta({ description: "step coverage: what the run reached of the model" }),
};

const ViolationSchema = z.strictObject({
  invariant: name,
  message: z.string(),
  depth: count,
  trace: ItfTraceSchema,
});

/** What stopped an incomplete search (explorer/options.ts Bound). */
export const BoundSchema = z.enum(["max-states", "max-depth", "max-memory", "interrupted", "walks"] satisfies Bound[]);

export const ReportSchema = z
  .discriminatedUnion("verdict", [
    z.strictObject({ ...common, verdict: z.literal("pass") }),
    z
      .strictObject({ ...common, verdict: z.literal("not-applicable") })
      .meta({ description: "exhaustive and every invariant held, but the run never reached the code the variant changes: it checked nothing of it" }),
    z.strictObject({
      ...common,
      verdict: z.literal("incomplete"),
      bound: BoundSchema.meta({ description: "the bound that stopped the search" }),
    }),
    z.strictObject({ ...common, verdict: z.literal("violation"), violation: ViolationSchema }),
  ])
  .meta({ title: "mmcheck report", description: "The result of `mmcheck explore`" });

export type ItfTrace = z.infer<typeof ItfTraceSchema>;
export type ExploreOptionsRecord = z.infer<typeof OptionsSchema>;
export type Report = z.infer<typeof ReportSchema>;

/** A scenario given as a path (a file), not as a shipped scenario's name (as scenarios/load.ts tells them apart). */
export function scenarioIsPath(scenario: string): boolean {
  return /[/\\]/.test(scenario) || /\.(ya?ml|json)$/.test(scenario);
}

/** A validation failure as one line: where the first problem is, and what it is. */
export function issueLine(e: z.ZodError): string {
  const issue = e.issues[0]!;
  return `${issue.path.map(String).join(".") || "(top level)"}: ${issue.message}`;
}

/** The report's JSON Schema, as the text of reports/report.schema.json. */
export function reportJsonSchemaText(): string {
  return `${JSON.stringify(z.toJSONSchema(ReportSchema, { target: "draft-2020-12" }), null, 2)}\n`;
}
