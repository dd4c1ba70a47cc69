/**
 * The summary of `mmcheck sweep` and `mmcheck fuzz` (DIR/summary.json), validated before it is
 * written; published as JSON Schema in reports/synth-summary.schema.json (`npm run schema`).
 * `format` tells a sweep's summary (which `mmcheck merge` joins across shards) from a fuzz run's.
 */
import { z } from "zod";

export const SWEEP_FORMAT = "mmcheck-sweep/1";
export const FUZZ_FORMAT = "mmcheck-fuzz/1";

const count = z.int().nonnegative();

/** One distinct failure: the first of its group (its invariant and the set of steps of its trace). */
const FindingSchema = z.strictObject({
  id: z.string().regex(/^[0-9]{3,}$/).meta({ description: "the finding's number in this run; its files are findings/<id>.yaml and findings/<id>.json" }),
  invariant: z.string(),
  message: z.string(),
  depth: count.meta({ description: "steps of the counterexample (the shortest, when the shrunk scenario was searched exhaustively)" }),
  shortest: z.boolean().meta({ description: "the trace is the shortest (breadth-first search of the shrunk scenario), not a random walk's" }),
  steps: z.array(z.string()).meta({ description: "the set of steps (operation.label) the trace takes: with the invariant, what makes two failures the same" }),
  scenario: z.string().meta({ description: "the shrunk scenario file, relative to the output folder" }),
  report: z.string().meta({ description: "the report of its counterexample (mmcheck replay reproduces it), relative to the output folder" }),
  size: z.strictObject({ threads: count, ops: count }).meta({ description: "the shrunk scenario's threads and their operations" }),
  count: z.int().positive().meta({ description: "failing scenarios of this group (sweep: enumerated; fuzz: runs)" }),
  foundMs: z.number().nonnegative().meta({ description: "milliseconds from the run's start to its first scenario of this group (fuzz: before shrinking)" }),
  /** Sweep: the scenario's place in the enumeration. */
  index: count.optional(),
  /** Fuzz: what regenerates it (fast-check's seed and path of the shrunk value; P@K: the K-th scenario of the sweep of the world drawn at P). */
  seed: z.int().optional(),
  path: z.string().optional(),
  against: z.string().optional().meta({ description: "with --against: the variant under which the scenario holds" }),
  known: z
    .array(z.string())
    .optional()
    .meta({ description: "under modern: the open findings (findings/NNN-*.md) whose proposed fix variant searches this scenario exhaustively without breaking the invariant — this failure is that bug; absent: none does" }),
});

const ClassSchema = z
  .strictObject({
    invariant: z.string(),
    operations: z.array(z.string()).meta({ description: "the operations whose steps the findings' traces take (the union over the class), sorted" }),
    known: z.array(z.string()).meta({ description: "the open findings these failures are (empty: none of them)" }),
    findings: z.array(z.string()).meta({ description: "the ids of the findings of this class, in order" }),
    count: z.int().positive().meta({ description: "failing scenarios of these findings" }),
  })
  .meta({ description: "findings with the same invariant and the same open findings (known), or, for the others, the same invariant and operations: one bug reached through a few operations spreads over many sets of steps" });

const StatsSchema = z.strictObject({
  scenarios: count.meta({ description: "scenarios run (refused ones included)" }),
  refused: count.meta({ description: "scenarios the loader refused (what the kernel cannot be asked)" }),
  exhaustive: count.meta({ description: "scenarios searched exhaustively" }),
  walked: count.meta({ description: "scenarios too large to search, run by random walks" }),
  states: count.meta({ description: "distinct states of the exhaustive searches, plus states visited by walks" }),
  durationMs: z.number().nonnegative(),
});

const CoverageSchema = z
  .strictObject({
    steps: z.array(z.string()).meta({ description: "the labels of the steps (operation's kernel function:step) some scenario of the run took, sorted: the union over the run" }),
    covered: count.meta({ description: "how many steps that is" }),
    of: count.meta({ description: "the model's steps the variant can run (`mmcheck list --steps`)" }),
  })
  .meta({ description: "coverage of the model's steps over the run (the --variant's searches; refused scenarios take none)" });

const common = {
  tool: z.strictObject({ name: z.literal("mmcheck"), version: z.string() }),
  variant: z.string(),
  against: z.string().optional(),
  outcome: z.enum(["nothing-found", "found", "stopped"]),
  bound: z.enum(["interrupted", "time", "incomplete"]).optional().meta({ description: "what stopped the run or left it incomplete" }),
  stats: StatsSchema,
  coverage: CoverageSchema,
  findings: z.array(FindingSchema),
  classes: z.array(ClassSchema),
};

export const SweepSummarySchema = z.strictObject({
  format: z.literal(SWEEP_FORMAT),
  ...common,
  options: z.strictObject({
    threads: z.int().positive(),
    ops: z.int().positive(),
    pages: z.int().positive(),
    shard: z.strictObject({ k: z.int().positive(), n: z.int().positive() }),
    /** Scenarios of the whole enumeration (every shard); absent when a stop signal came while they were counted. */
    total: count.optional(),
  }),
});

export const FuzzSummarySchema = z.strictObject({
  format: z.literal(FUZZ_FORMAT),
  ...common,
  options: z.strictObject({ seed: z.int(), runs: z.int().positive(), timeSeconds: z.number().positive().optional() }),
});

export const SynthSummarySchema = z
  .discriminatedUnion("format", [SweepSummarySchema, FuzzSummarySchema])
  .meta({ title: "mmcheck sweep/fuzz summary", description: "DIR/summary.json of `mmcheck sweep` and `mmcheck fuzz`" });

export type SynthFinding = z.infer<typeof FindingSchema>;
export type SynthClass = z.infer<typeof ClassSchema>;
export type SynthStats = z.infer<typeof StatsSchema>;
export type SynthCoverage = z.infer<typeof CoverageSchema>;
export type SweepSummary = z.infer<typeof SweepSummarySchema>;
export type FuzzSummary = z.infer<typeof FuzzSummarySchema>;
export type SynthSummary = z.infer<typeof SynthSummarySchema>;

export function synthJsonSchemaText(): string {
  return `${JSON.stringify(z.toJSONSchema(SynthSummarySchema, { target: "draft-2020-12" }), null, 2)}\n`;
}
