/**
 * The piscina task of `mmcheck check`: one scenario × variant run, searched on this pool thread
 * alone (the runs, not their levels, are spread over the cores), bounded by states, depth and
 * a deadline; returns the run's report and, for a violation, its race diagram.
 */
import { explore } from "../explorer/explore.js";
import { replay } from "../explorer/trace.js";
import { raceDiagram } from "../reports/diagram.js";
import { makeReport } from "../reports/report.js";
import type { Report } from "../reports/schema.js";
import { buildModel } from "../models/index.js";

/** The width of the diagrams in JUnit failures and step summaries, which CI pages show at about this. */
const DIAGRAM_WIDTH = 120;

export interface CheckTask {
  readonly scenario: string;
  readonly variant: string;
  readonly maxStates?: number;
  readonly maxDepth?: number;
  /** ExploreOptions.symmetry (default on). */
  readonly symmetry?: boolean;
  /** Date.now() past which the run stops, incomplete (its time limit, or the budget's end). */
  readonly deadline?: number;
}

export interface CheckResult {
  readonly report: Report;
  readonly diagram?: string;
}

export default async function run(task: CheckTask): Promise<CheckResult> {
  const model = await buildModel({ name: "mm", args: { scenario: task.scenario, variant: task.variant } });
  const deadline = task.deadline;
  const result = await explore(model, {
    workers: 1,
    maxStates: task.maxStates,
    maxDepth: task.maxDepth,
    symmetry: task.symmetry,
    interrupted: deadline === undefined ? undefined : () => Date.now() > deadline,
  });
  const counterexample = result.violation ? replay(model.system, result.violation.threads) : undefined;
  const options = {
    workers: 1,
    symmetry: task.symmetry !== false,
    ...(task.maxStates !== undefined && { maxStates: task.maxStates }),
    ...(task.maxDepth !== undefined && { maxDepth: task.maxDepth }),
  };
  const report = makeReport({ scenario: task.scenario, variant: task.variant, options, result }, model, counterexample);
  return { report, ...(counterexample && { diagram: raceDiagram(model, counterexample, result.violation!, { width: DIAGRAM_WIDTH }) }) };
}
