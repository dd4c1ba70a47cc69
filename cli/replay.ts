/** `mmcheck replay REPORT`: re-execute a report's counterexample and check it still violates. */
import { ModelError } from "../core/procedure.js";
import { replay, reproduce } from "../explorer/trace.js";
import { findVariant, VARIANTS } from "../model/variant.js";
import { buildMm } from "../models/mm.js";
import { raceDiagram } from "../reports/diagram.js";
import { threadsFromItf, TraceError } from "../reports/itf.js";
import { readReport, ReportError } from "../reports/read.js";
import { ScenarioError } from "../scenarios/load.js";
import { parseArgs, UsageError } from "./args.js";

export function replayCommand(args: readonly string[], color: boolean): number {
  const { positionals } = parseArgs("replay", args, {});
  if (positionals.length === 0) throw new UsageError("REPORT: missing (mmcheck replay REPORT)");
  if (positionals.length > 1) throw new UsageError(`${positionals[1]}: unexpected argument (one report at a time)`);
  const path = positionals[0]!;
  const report = readReport(path);
  if (report.verdict !== "violation") throw new ReportError(`${path}: verdict: "${report.verdict}", so there is no trace to replay`);
  const variant = findVariant(report.variant);
  if (!variant)
    throw new ReportError(`${path}: variant: unknown variant "${report.variant}" (known: ${VARIANTS.map((v) => v.name).join(", ")})`);
  let model;
  try {
    model = buildMm({ scenario: report.scenario, variant: variant.name, params: report.options.params, kernel: report.options.kernel });
  } catch (e) {
    // loadScenario words its errors for --scenario; here the name comes from the report.
    if (e instanceof ScenarioError) throw new ReportError(`${path}: scenario: ${e.message.replace(/^--scenario: /, "")}`);
    throw e;
  }
  const machine = model.system;
  const threads = threadsFromItf(report.violation.trace, model.describe.threads);
  let run;
  try {
    run = replay(machine, threads);
  } catch (e) {
    if (e instanceof ModelError) throw e;
    throw new TraceError(`${path}: violation.trace: does not fit scenario ${report.scenario} under ${variant.name}: ${(e as Error).message}`);
  }
  const found = reproduce(machine, model.invariants, threads);

  const expected = report.violation;
  console.log(`replaying ${path}: scenario ${report.scenario}, variant ${variant.name}, ${threads.length} steps\n`);
  console.log(`${raceDiagram(model, run, found, { color })}\n`);
  const reported = `the report has ${expected.invariant} at depth ${expected.depth}`;
  if (!found) {
    console.log(`does not reproduce: the trace runs clean (${reported})`);
    return 0;
  }
  if (found.invariant === expected.invariant && found.depth === expected.depth) {
    console.log(`reproduced: ${found.invariant} at depth ${found.depth}`);
  } else {
    console.log(`does not reproduce as reported: ${found.invariant} at depth ${found.depth} instead (${reported})`);
  }
  return 1;
}
