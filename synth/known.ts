/**
 * Which open findings (findings/) a run's failures are: a failure of `modern` is finding N's bug
 * when N's proposed fix variant (today's kernel with only that change) searches the same scenario
 * exhaustively and never breaks the failure's invariant. A sweep of today's kernel finds its open
 * bugs again in hundreds of shapes; this is what lets its summary say which are new.
 */
import { FINDINGS } from "../findings/index.js";
import { findVariant, type Variant } from "../model/variant.js";
import type { SynthClass, SynthFinding } from "../reports/synth-schema.js";
import { checkScenario, type Budget } from "./check.js";

/** Exhaustive only: a fix "holds" on a scenario only when every interleaving was searched. */
const KNOWN_BUDGET: Budget = { maxStates: 500_000, walks: 0 };

/** The open findings whose fix variant holds on this scenario for this invariant (none unless the run's variant is `modern`). */
export async function knownFindings(variant: Variant, file: Record<string, unknown>, invariant: string, symmetry?: boolean): Promise<string[]> {
  if (variant.name !== "modern") return [];
  const known: string[] = [];
  for (const f of FINDINGS) {
    const fix = f.status === "open" ? findVariant(f.fix) : undefined;
    if (!fix) continue;
    const checked = await checkScenario(file, fix, { ...KNOWN_BUDGET, symmetry }, (name) => name === invariant);
    if (checked.kind === "ran" && checked.exhaustive && !checked.result.violation) known.push(f.id);
  }
  return known;
}

/**
 * The findings in coarser classes (findings differ by the set of steps of their traces, which
 * one bug reached through a few operations spreads over many): those of the same open findings
 * together, the others by invariant and operations; in order of first finding.
 */
export function classesOf(findings: readonly SynthFinding[]): SynthClass[] {
  const classes = new Map<string, SynthClass>();
  for (const f of findings) {
    const operations = [...new Set(f.steps.map((s) => s.slice(0, s.indexOf("."))))].sort();
    const known = f.known ?? [];
    // An open finding's failures are one class whatever operations reach it; the others by their operations.
    const key = known.length > 0 ? `${f.invariant}|known ${known.join(",")}` : `${f.invariant}|${operations.join(",")}`;
    const c = classes.get(key);
    classes.set(
      key,
      c
        ? { ...c, operations: [...new Set([...c.operations, ...operations])].sort(), findings: [...c.findings, f.id], count: c.count + f.count }
        : { invariant: f.invariant, operations, known, findings: [f.id], count: f.count },
    );
  }
  return [...classes.values()];
}
