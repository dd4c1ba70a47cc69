/**
 * The distinct failures of a sweep or fuzz run, each written once under DIR/findings/: its
 * scenario file (`<id>.yaml`, runnable with `mmcheck explore --scenario`) and the report of its
 * counterexample (`<id>.json`, which `mmcheck replay` reproduces). Two failures are the same
 * when they break the same invariant with the same set of steps (operation.label) in their trace.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { writeAtomic } from "../base/output.js";
import { replay } from "../explorer/trace.js";
import { makeReport } from "../reports/report.js";
import type { SynthFinding } from "../reports/synth-schema.js";
import { writeReport } from "../reports/write.js";
import type { ExploreResult } from "../explorer/options.js";
import type { Variant } from "../model/variant.js";
import type { MmModel } from "../models/mm.js";
import { scenarioModel, type Failure, type Judged } from "./check.js";
import { knownFindings } from "./known.js";

export const FINDINGS_DIR = "findings";

/** The group of a failure: its invariant and the set of steps its trace takes. */
export function failureSteps(f: Failure): string[] {
  const { model, result } = f.checked;
  const { transitions } = replay(model.system, result.violation!.threads);
  return [...new Set(transitions.map((t) => `${t.op.op}.${t.step.label}`))].sort();
}

export const groupKey = (invariant: string, steps: readonly string[]) => `${invariant}|${steps.join(",")}`;

/**
 * A judged scenario as the tally and the findings take it: plain data, which crosses back from
 * a pool thread (synth/pool.ts); a failure with the steps of its trace, which group it.
 */
export interface Outcome {
  readonly refused: boolean;
  readonly exhaustive: boolean;
  readonly states: number;
  readonly coverage: readonly string[];
  readonly violated: boolean;
  readonly failure?: Found;
}

export interface Found {
  readonly invariant: string;
  readonly steps: readonly string[];
  readonly result: ExploreResult;
  readonly exhaustive: boolean;
}

export function outcomeOf(j: Judged): Outcome {
  const c = j.checked;
  if (c.kind === "refused") return { refused: true, exhaustive: false, states: 0, coverage: [], violated: false };
  const f = j.failure;
  return {
    refused: false,
    exhaustive: c.exhaustive,
    states: c.result.stats.distinctStates,
    coverage: c.result.coverage,
    violated: c.result.violation !== undefined,
    ...(f && { failure: { invariant: f.invariant, steps: failureSteps(f), result: f.checked.result, exhaustive: f.checked.exhaustive } }),
  };
}

/**
 * Writes a finding's scenario file and report under `outDir`; the report names the scenario by
 * `outDir`'s path, as `replay` will be given it. `model`: the one the failure was found on, if
 * this thread has it; else the scenario's, built again here (the invariants a differential run
 * set aside change nothing of a trace replayed).
 */
export function writeFindingFiles(outDir: string, id: string, file: Record<string, unknown>, variant: Variant, f: Found, model?: MmModel): void {
  mkdirSync(join(outDir, FINDINGS_DIR), { recursive: true });
  const scenarioPath = join(outDir, FINDINGS_DIR, `${id}.yaml`);
  writeAtomic(scenarioPath, [stringify({ ...file, name: `finding-${id}` })], "--out");
  const m = model ?? scenarioModel(file, variant);
  const { result } = f;
  const counterexample = replay(m.system, result.violation!.threads);
  const options = { workers: 1, kernel: m.config.kernel };
  const report = makeReport({ scenario: scenarioPath, variant: variant.name, options, result }, m, counterexample);
  writeReport(join(outDir, FINDINGS_DIR, `${id}.json`), report, "--out");
}

export interface FindingMeta {
  readonly index?: number;
  readonly seed?: number;
  readonly path?: string;
  readonly against?: string;
  readonly foundMs: number;
}

/** The findings of a run, grouped as they come: the first of each group is written. */
export class Findings {
  private readonly groups = new Map<string, SynthFinding>();
  /** Each group's first scenario, to search again under the open findings' fixes. */
  private readonly files = new Map<string, Record<string, unknown>>();

  constructor(
    private readonly outDir: string,
    private readonly variant: Variant,
  ) {}

  get size(): number {
    return this.groups.size;
  }

  /** Adds a failure; true if it is the first of its group (its files are then written). `model`: as writeFindingFiles takes it. */
  add(file: Record<string, unknown>, f: Found, meta: FindingMeta, model?: MmModel): boolean {
    const steps = [...f.steps];
    const key = groupKey(f.invariant, steps);
    const seen = this.groups.get(key);
    if (seen) {
      this.groups.set(key, { ...seen, count: seen.count + 1 });
      return false;
    }
    const id = String(this.groups.size + 1).padStart(3, "0");
    writeFindingFiles(this.outDir, id, file, this.variant, f, model);
    this.files.set(key, file);
    const v = f.result.violation!;
    const threads = (file.threads as { ops: unknown[] }[]) ?? [];
    this.groups.set(key, {
      id,
      invariant: f.invariant,
      message: v.message,
      depth: v.depth,
      shortest: f.exhaustive,
      steps,
      scenario: `${FINDINGS_DIR}/${id}.yaml`,
      report: `${FINDINGS_DIR}/${id}.json`,
      size: { threads: threads.length, ops: threads.reduce((n, t) => n + t.ops.length, 0) },
      count: 1,
      ...meta,
    });
    return true;
  }

  /** Marks each group with the open findings it is (synth/known.ts); once, when the run ends. */
  async explain(variant: Variant, symmetry?: boolean): Promise<void> {
    for (const [key, g] of this.groups) {
      const known = await knownFindings(variant, this.files.get(key)!, g.invariant, symmetry);
      if (known.length > 0) this.groups.set(key, { ...g, known });
    }
  }

  list(): SynthFinding[] {
    return [...this.groups.values()];
  }
}
