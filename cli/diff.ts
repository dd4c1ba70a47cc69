/**
 * `mmcheck diff VARIANT_A VARIANT_B`: every selected scenario (default: all shipped) under both
 * variants, listing those whose verdict or violated invariant differs — for reviewing a patch
 * modelled as a variant against the kernel it changes.
 */
import { z } from "zod";
import { maxWorkers } from "../explorer/pool.js";
import { outcomeText } from "../reports/junit.js";
import { checkFlags, integerFlag, parseArgs, UsageError } from "./args.js";
import { rowOf, runAll, selectRuns, selectScenarios, type Outcome } from "./matrix.js";

export const DIFF_FLAGS = { scenario: "list", "max-states": "value", "max-depth": "value", workers: "value", json: "switch" } as const;

const DiffFlags = z.strictObject({
  scenario: z.array(z.string().min(1, "must not be empty")).optional(),
  "max-states": integerFlag(1).optional(),
  "max-depth": integerFlag(0).optional(),
  workers: integerFlag(1, { value: maxWorkers(), why: "4 × the cores" }).optional(),
  json: z.literal(true).optional(),
});

/** What a run ends in, as diff compares it: the verdict and the invariant violated. */
const key = (o: Outcome) => (o.report.verdict === "violation" ? `violation ${o.report.violation.invariant}` : o.report.verdict);

export async function diffCommand(args: readonly string[]): Promise<number> {
  const { flags, positionals } = parseArgs("diff", args, DIFF_FLAGS);
  if (positionals.length !== 2) throw new UsageError(`VARIANT_A VARIANT_B: ${positionals.length < 2 ? "missing" : `${positionals[2]}: unexpected argument`} (mmcheck diff VARIANT_A VARIANT_B)`);
  const [a, b] = positionals as [string, string];
  const opts = checkFlags(DiffFlags, flags);
  const scenarios = selectScenarios(opts.scenario);
  const { runs, refused } = selectRuns(scenarios, [a, b], false);
  const outcomes = await runAll(runs, { maxStates: opts["max-states"], maxDepth: opts["max-depth"], workers: opts.workers });
  // A world one kernel cannot set up (its mount refuses an option) ends "refused" there.
  const ended = (scenario: string, v: string): { key: string; text: string } => {
    const r = refused.find((x) => x.scenario === scenario && x.variant === v);
    if (r) return { key: "refused", text: `refused: ${r.reason}` };
    const o = outcomes.find((x) => x.run.scenario === scenario && x.run.variant === v)!;
    return { key: key(o), text: outcomeText(rowOf(o)) };
  };
  const differ = scenarios.flatMap((scenario) => {
    const [ea, eb] = [ended(scenario, a), ended(scenario, b)];
    return ea.key === eb.key ? [] : [{ scenario, [a]: ea.text, [b]: eb.text }];
  });
  if (opts.json) console.log(JSON.stringify({ variants: [a, b], scenarios: scenarios.length, differ }, null, 2));
  else {
    console.log(`${a} against ${b}: ${differ.length} of ${scenarios.length} scenarios differ`);
    for (const d of differ) console.log(`  ${d.scenario}\n    ${a}: ${d[a]}\n    ${b}: ${d[b]}`);
  }
  return differ.length ? 1 : 0;
}
