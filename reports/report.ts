/** Assembles the report of one `mmcheck explore` run from the search's result. */
import type { AnyModel } from "../core/model.js";
import type { ExploreResult } from "../explorer/options.js";
import type { Replayed } from "../explorer/trace.js";
import { itfTrace } from "./itf.js";
import { REPORT_FORMAT, type ExploreOptionsRecord, type Report } from "./schema.js";
import { TOOL } from "../base/tool.js";

export interface Run {
  /** The scenario as the user gave it (a shipped name, or a path from the current folder). */
  readonly scenario: string;
  readonly variant: string;
  readonly options: ExploreOptionsRecord;
  readonly result: ExploreResult;
}

/** `counterexample` is the violation's threads replayed on the model; required for a violation. */
export function makeReport(run: Run, model: AnyModel, counterexample?: Replayed): Report {
  const { result } = run;
  const base = {
    format: REPORT_FORMAT,
    tool: { ...TOOL },
    scenario: run.scenario,
    ...(typeof model.identity.scenarioSha256 === "string" && { scenarioSha256: model.identity.scenarioSha256 }),
    variant: run.variant,
    options: run.options,
    stats: {
      distinctStates: result.stats.distinctStates,
      statesGenerated: result.stats.statesGenerated,
      maxDepth: result.stats.maxDepth,
      durationMs: result.stats.durationMs,
      workers: result.stats.workers,
    },
  } as const;
  const coverage = { steps: [...result.coverage], changed: [...result.changed] };
  if (result.verdict === "pass" || result.verdict === "not-applicable") return { ...base, coverage, verdict: result.verdict };
  if (result.verdict === "incomplete") return { ...base, coverage, verdict: "incomplete", bound: result.bound! };
  const v = result.violation!;
  if (!counterexample) throw new Error("a violation's report needs its counterexample replayed");
  return {
    ...base,
    coverage,
    verdict: "violation",
    violation: {
      invariant: v.invariant,
      message: model.describe.names?.(v.message) ?? v.message,
      depth: v.depth,
      trace: itfTrace(model, counterexample, {
        scenario: run.scenario,
        variant: run.variant,
        description: `mmcheck ${TOOL.version}: ${v.invariant} violated at depth ${v.depth}: ${model.describe.names?.(v.message) ?? v.message}`,
      }),
    },
  };
}
