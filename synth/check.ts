/**
 * One generated scenario under one variant, in process: the scenario file checked by the same
 * schema and loader as any other, the mm model built from it (models/mm.ts), and searched
 * exhaustively on this thread; a scenario too large for that is run by random walks
 * (explorer/walk.ts), uniform and PCT, seeded by its own content so that its verdict depends on
 * nothing else (fast-check's shrinking asks it again and again).
 */
import { createHash } from "node:crypto";
import { ModelError } from "../core/procedure.js";
import { explore } from "../explorer/explore.js";
import type { ExploreResult } from "../explorer/options.js";
import type { Variant } from "../model/variant.js";
import { mmModel, type MmModel } from "../models/mm.js";
import { resolveScenario, ScenarioError } from "../scenarios/load.js";
import { ScenarioSchema } from "../scenarios/schema.js";

export interface Budget {
  /** Distinct states of the exhaustive search, at most. */
  readonly maxStates: number;
  /** Random walks of each schedule when the search stops at maxStates (0: none). */
  readonly walks: number;
  /** The exhaustive search's symmetry of names (ExploreOptions.symmetry; default on). */
  readonly symmetry?: boolean;
}

/** A sweep's scenarios are small: exhaustive, or counted as incomplete. */
export const SWEEP_BUDGET: Budget = { maxStates: 20_000, walks: 0 };
export const FUZZ_BUDGET: Budget = { maxStates: 20_000, walks: 200 };

/** PCT's priority change points a walk: bugs of depth 3 (the shipped races need 1 to 3). */
const CHANGE_POINTS = 2;

export type Checked =
  | { readonly kind: "refused"; readonly reason: string }
  | { readonly kind: "ran"; readonly model: MmModel; readonly result: ExploreResult; readonly exhaustive: boolean };

/**
 * The scenario file searched under the variant. A scenario the loader refuses (what the kernel
 * cannot be asked) or whose setup cannot finish is refused, not run.
 */
export async function checkScenario(
  file: Record<string, unknown>,
  variant: Variant,
  budget: Budget,
  invariants: (name: string) => boolean = () => true,
): Promise<Checked> {
  const parsed = ScenarioSchema.safeParse(file);
  // The grammar writes only what the schema accepts: anything else is a bug in it.
  if (!parsed.success) throw new Error(`generated scenario does not match the schema: ${parsed.error.issues[0]!.path.join(".")}: ${parsed.error.issues[0]!.message}`);
  let model: MmModel;
  try {
    const built = mmModel(resolveScenario(parsed.data).config, variant);
    built.system.initial();
    model = { ...built, invariants: built.invariants.filter((i) => invariants(i.name)) };
  } catch (e) {
    if (e instanceof ScenarioError || e instanceof ModelError) return { kind: "refused", reason: e.message };
    throw e;
  }
  // Small chunks: these searches are a few hundred states, and a chunk's buffers are allocated per level.
  const result = await explore(model, { maxStates: budget.maxStates, chunkSize: 64, symmetry: budget.symmetry });
  if (result.verdict !== "incomplete" || budget.walks === 0) return { kind: "ran", model, result, exhaustive: result.verdict !== "incomplete" };
  const seed = contentSeed(file);
  const uniform = await explore(model, { walks: { walks: budget.walks, seed, changePoints: 0 } });
  if (uniform.violation) return { kind: "ran", model, result: uniform, exhaustive: false };
  const pct = await explore(model, { walks: { walks: budget.walks, seed: seed ^ 0x5bd1e995, changePoints: CHANGE_POINTS } });
  return { kind: "ran", model, result: pct, exhaustive: false };
}

/** A walk's seed from the scenario's content: the same scenario always gets the same walks. */
function contentSeed(file: unknown): number {
  return createHash("sha256").update(JSON.stringify(file)).digest().readInt32LE(0);
}

/** A violation under `variant`, and (differential mode) none under `against`. */
export interface Failure {
  readonly invariant: string;
  readonly checked: Extract<Checked, { kind: "ran" }>;
}

/** The scenario under `variant` (what the run counts), and its failure if it is one. */
export interface Judged {
  readonly checked: Checked;
  readonly failure?: Failure;
}

/**
 * Differential mode looks for an invariant the variant breaks and `against` never does: an
 * invariant both break (an open bug of both) is set aside and the variant searched again
 * without it, at most this many times.
 */
const SET_ASIDE_MAX = 3;

/** `only`: the one invariant looked for (the others are not checked). */
export async function judge(file: Record<string, unknown>, variant: Variant, against: Variant | undefined, budget: Budget, only?: string): Promise<Judged> {
  const wanted = (name: string) => only === undefined || name === only;
  const first = await checkScenario(file, variant, budget, wanted);
  const aside: string[] = [];
  for (let checked = first; checked.kind === "ran" && checked.result.violation; ) {
    const invariant = checked.result.violation.invariant;
    if (!against) return { checked: first, failure: { invariant, checked } };
    // Does `against` break this invariant anywhere in the scenario? Searched for it alone.
    const other = await checkScenario(file, against, budget, (name) => name === invariant);
    if (other.kind === "ran" && !other.result.violation) return { checked: first, failure: { invariant, checked } };
    aside.push(invariant);
    if (aside.length > SET_ASIDE_MAX) break;
    checked = await checkScenario(file, variant, budget, (name) => wanted(name) && !aside.includes(name));
  }
  return { checked: first };
}
