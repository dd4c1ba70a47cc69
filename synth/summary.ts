/** DIR/summary.json of a sweep or fuzz run: validated against its schema, written atomically. */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeAtomic } from "../base/output.js";
import { TOOL } from "../base/tool.js";
import { issueLine } from "../reports/schema.js";
import { modelSteps } from "../model/ops/index.js";
import type { Variant } from "../model/variant.js";
import { SynthSummarySchema, type SynthCoverage, type SynthStats, type SynthSummary } from "../reports/synth-schema.js";
import type { Findings, Outcome } from "./findings.js";
import { classesOf } from "./known.js";

export const SUMMARY_FILE = "summary.json";

export function writeSummary(outDir: string, summary: SynthSummary): void {
  const parsed = SynthSummarySchema.safeParse(summary);
  if (!parsed.success) throw new Error(`summary does not match its schema: ${issueLine(parsed.error)}`);
  mkdirSync(outDir, { recursive: true });
  writeAtomic(join(outDir, SUMMARY_FILE), [`${JSON.stringify(parsed.data, null, 2)}\n`], "--out");
}

/** The counts of a run, as scenarios are checked. */
export class Tally {
  scenarios = 0;
  refused = 0;
  exhaustive = 0;
  walked = 0;
  states = 0;
  /** Scenarios neither refused, nor exhaustive, nor violated: the run proved less than it covered. */
  incomplete = 0;
  /** The steps the searches took: the union of their coverage. */
  private readonly steps = new Set<string>();
  private readonly t0 = performance.now();

  count(o: Outcome): void {
    this.scenarios++;
    if (o.refused) {
      this.refused++;
      return;
    }
    for (const label of o.coverage) this.steps.add(label);
    if (o.exhaustive) this.exhaustive++;
    else this.walked++;
    if (!o.exhaustive && !o.violated) this.incomplete++;
    this.states += o.states;
  }

  get elapsedMs(): number {
    return performance.now() - this.t0;
  }

  stats(): SynthStats {
    return { scenarios: this.scenarios, refused: this.refused, exhaustive: this.exhaustive, walked: this.walked, states: this.states, durationMs: Math.round(this.elapsedMs) };
  }

  coverage(variant: Variant): SynthCoverage {
    return coverageOf([...this.steps], variant.name);
  }
}

/** The coverage of these steps (sorted, deduplicated) against the steps the variant can run. */
export function coverageOf(steps: Iterable<string>, variant: string): SynthCoverage {
  const sorted = [...new Set(steps)].sort();
  return { steps: sorted, covered: sorted.length, of: modelSteps().filter((s) => s.variants.includes(variant)).length };
}

/** What a sweep's and a fuzz run's summaries share: who ran, what they found (and which of it is known), what stopped them. */
export async function summaryOf(o: { readonly variant: Variant; readonly against?: Variant; readonly symmetry?: boolean }, tally: Tally, findings: Findings, bound: SynthSummary["bound"]) {
  await findings.explain(o.variant, o.symmetry);
  const list = findings.list();
  return {
    tool: { ...TOOL },
    variant: o.variant.name,
    ...(o.against && { against: o.against.name }),
    outcome: findings.size > 0 ? ("found" as const) : bound ? ("stopped" as const) : ("nothing-found" as const),
    ...(bound && { bound }),
    stats: tally.stats(),
    coverage: tally.coverage(o.variant),
    findings: list,
    classes: classesOf(list),
  };
}
