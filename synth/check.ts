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
import { ScenarioSchema, type ScenarioFile } from "../scenarios/schema.js";
import type { z } from "zod";

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
  let model: MmModel;
  try {
    const built = scenarioModel(file, variant);
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

/** The mm model of a generated scenario file; the loader's ScenarioError if it refuses it. */
export function scenarioModel(file: Record<string, unknown>, variant: Variant): MmModel {
  return mmModel(resolveScenario(parseGenerated(file)).config, variant);
}

/** A generated scenario's parts: all but its name and threads, which a sweep's scenarios of one world share; and those two. */
const WORLD_PART = ScenarioSchema.omit({ name: true, threads: true });
const THREADS_PART = ScenarioSchema.pick({ name: true, threads: true });
let lastWorld: { key: string; parsed: Record<string, unknown> } | undefined;

/**
 * ScenarioSchema's parse of a generated scenario file, in two parts: its world's (setup, files,
 * pool), parsed again only when it differs from the last scenario's, and its name and threads.
 * The schema checks no field against another, so this is the whole parse, keys in its order
 * (test/synth/grammar.test.ts holds it to ScenarioSchema.parse).
 */
export function parseGenerated(file: Record<string, unknown>): ScenarioFile {
  const { name, threads, ...world } = file;
  const key = JSON.stringify(world);
  if (lastWorld?.key !== key) lastWorld = { key, parsed: schemaParse(WORLD_PART, world) };
  const whole: Record<string, unknown> = { ...lastWorld.parsed, ...schemaParse(THREADS_PART, { name, threads }) };
  return Object.fromEntries(Object.keys(ScenarioSchema.shape).flatMap((k) => (k in whole ? [[k, whole[k]]] : []))) as ScenarioFile;
}

function schemaParse(schema: z.ZodType, value: unknown): Record<string, unknown> {
  const parsed = schema.safeParse(value);
  // The grammar writes only what the schema accepts: anything else is a bug in it.
  if (!parsed.success) throw new Error(`generated scenario does not match the schema: ${parsed.error.issues[0]!.path.join(".")}: ${parsed.error.issues[0]!.message}`);
  return parsed.data as Record<string, unknown>;
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
