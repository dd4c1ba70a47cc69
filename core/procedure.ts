/**
 * A model's operations: a Procedure is cut into atomic Steps exactly where the code it models
 * takes (and may block on) a lock that is held across steps. A step may refuse to run (BLOCKED)
 * only before it has changed anything that matters: what it wrote is then undone.
 */
import type { StateView } from "./state-view.js";

/** A step's result: the pc of the thread's next step in the same procedure, or one of these. */
export const DONE = -1;
export const BLOCKED = -2;

/**
 * A step of a procedure run on the model's view V. Its footprint (`reads`, `writes`: the
 * objects of type F it touches, named by the model) tells the race diagram where threads meet.
 */
export interface Step<V extends StateView, F extends string = string> {
  /** The step's label: the function, and the point in it, e.g. `hugetlb_no_page:pte_same`. */
  readonly label: string;
  /** The function this step stands for. */
  readonly fn: string;
  /** The step's number in this process's step registry (stepId): its slot in a coverage array. */
  readonly id: number;
  readonly reads: readonly F[];
  readonly writes: readonly F[];
  run(k: V, t: number): number;
}

export interface Procedure<V extends StateView, F extends string = string> {
  /** The operation as a user names it (`fault`, `munmap`, …). */
  readonly name: string;
  readonly steps: readonly Step<V, F>[];
}

/** A bug in the model itself (not in what it models): exploration stops with a stack. */
export class ModelError extends Error {
  override name = "ModelError";
}

/** A step of the registry: its label, its function, the source file its procedure is built in. */
export interface StepEntry {
  readonly label: string;
  readonly fn: string;
  readonly file: string;
}

/**
 * Every step label this process has built, numbered in the order first built: a step's id
 * indexes a coverage array (one byte a step, ThreadMachine.coverage) instead of a string per
 * step taken. Steps of one label built again (each variant builds its procedures) share it.
 * The numbers differ between threads, which build in other orders: coverage crosses threads
 * as labels (coveredLabels, cover).
 */
const registry: StepEntry[] = [];
const ids = new Map<string, number>();

function stepId(label: string, fn: string, file: string): number {
  let id = ids.get(label);
  if (id === undefined) {
    ids.set(label, (id = registry.length));
    registry.push({ label, fn, file });
  }
  return id;
}

/** The steps built so far, by id. */
export function stepRegistry(): readonly StepEntry[] {
  return registry;
}

/** A coverage byte's bits: the step was taken (ran, not blocked). */
export const TAKEN = 1;
/**
 * The step, while it ran (blocked or not), reached code the model marks as changed: the mm
 * model's, code its variant changes (model/changed.ts). ThreadMachine.markChanged sets it.
 */
export const CHANGED = 2;

/** A coverage array for every step built so far. */
export function coverageArray(): Uint8Array {
  return new Uint8Array(registry.length);
}

/** The labels of the steps whose byte in coverage array c has `bit` (TAKEN, CHANGED), sorted. */
export function coveredLabels(c: Uint8Array, bit = TAKEN): string[] {
  const out: string[] = [];
  for (let id = 0; id < c.length; id++) if (c[id]! & bit) out.push(registry[id]!.label);
  return out.sort();
}

/** Sets `bit` of `labels` in coverage array c; returns the first that is no step of c's, if any. */
export function cover(c: Uint8Array, labels: readonly string[], bit = TAKEN): string | undefined {
  for (const l of labels) {
    const id = ids.get(l);
    if (id === undefined || id >= c.length) return l;
    c[id]! |= bit;
  }
  return undefined;
}

/**
 * The source file that called procedure(), relative to the project (dist/x.js read as x.ts);
 * "" when the stack does not say. Read once per procedure built, not per step taken.
 */
function callerFile(): string {
  for (const frame of (new Error().stack ?? "").split("\n").slice(2)) {
    // procedure() itself, and a model's own procedure() that calls it.
    if (/at (\S+\.)?procedure \(/.test(frame)) continue;
    const m = /(?:file:\/\/)?([^\s()]+?\.[jt]s):\d+:\d+\)?$/.exec(frame);
    const at = m ? m[1]!.lastIndexOf(ROOT) : -1;
    return at < 0 ? "" : m![1]!.slice(at + ROOT.length).replace(/^dist\//, "").replace(/\.js$/, ".ts");
  }
  return "";
}

/** This file's folder's parent (the project, or dist/ in the build), as stack frames spell it. */
const ROOT = new URL("..", import.meta.url).pathname.replace(/dist\/$/, "");

/**
 * Builds a procedure whose steps are addressed by name; `pc.x` is the index of step `x`. A
 * step's label is its function, with the step's name after a colon when they differ.
 */
export function procedure<N extends string, V extends StateView, F extends string = string>(
  name: string,
  labels: readonly N[],
  build: (pc: Record<N, number>) => Record<N, Omit<Step<V, F>, "label" | "id"> & { label?: string }>,
): Procedure<V, F> {
  const pc = Object.fromEntries(labels.map((l, i) => [l, i])) as Record<N, number>;
  const defs = build(pc);
  const file = callerFile();
  const steps = labels.map((l) => {
    const d = defs[l];
    const label = d.label ?? (d.fn === l ? l : `${d.fn}:${l}`);
    return { ...d, label, id: stepId(label, d.fn, file) } as Step<V, F>;
  });
  return { name, steps };
}
