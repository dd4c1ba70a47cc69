/**
 * `mmcheck replay REPORT`: re-execute a report's counterexample and check it still violates.
 * Exit 1: the recorded violation reproduces exactly; 6 (NOT_REPRODUCED): the trace runs but does
 * not end as recorded (clean, or another invariant or depth); 2: bad input, including a scenario
 * whose content is no longer the one the report was made from (--force replays it anyway).
 */
import { ModelError } from "../core/procedure.js";
import { replay, reproduce } from "../explorer/trace.js";
import { findVariant, VARIANTS } from "../model/variant.js";
import { buildMm } from "../models/mm.js";
import { raceDiagram, terminalWidth } from "../reports/diagram.js";
import { threadsFromItf, TraceError } from "../reports/itf.js";
import { readReport, ReportError } from "../reports/read.js";
import { ScenarioError } from "../scenarios/load.js";
import { parseArgs, UsageError } from "./args.js";

/** The trace ran, but did not end in the violation the report records. */
export const NOT_REPRODUCED = 6;

export function replayCommand(args: readonly string[], color: boolean): number {
  const { flags, positionals } = parseArgs("replay", args, { force: "switch" });
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
  const recorded = report.scenarioSha256;
  if (recorded !== undefined && recorded !== model.identity.scenarioSha256 && !flags.force)
    throw new ReportError(
      `${path}: scenario: ${report.scenario} is not the scenario the report was made from (its content's SHA-256 was ${recorded.slice(0, 12)}…, is ${String(model.identity.scenarioSha256).slice(0, 12)}…): was it edited since? --force replays it anyway`,
    );
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
  console.log(`${raceDiagram(model, run, found, { color, width: terminalWidth() })}\n`);
  const reported = `the report has ${expected.invariant} at depth ${expected.depth}`;
  if (!found) {
    console.log(`does not reproduce as recorded: the trace runs clean (${reported})`);
    return NOT_REPRODUCED;
  }
  if (found.invariant !== expected.invariant || found.depth !== expected.depth) {
    console.log(`does not reproduce as recorded: ${found.invariant} at depth ${found.depth} instead (${reported})`);
    return NOT_REPRODUCED;
  }
  console.log(`reproduced: ${found.invariant} at depth ${found.depth}`);
  return 1;
}
