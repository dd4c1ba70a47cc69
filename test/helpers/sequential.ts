/**
 * Runs a scenario's operations one whole operation at a time (no interleaving), then replays the
 * trace with every invariant checked: the model tests read the ptes, pages and results after
 * each operation.
 */
import { expect } from "vitest";
import type { z } from "zod";
import { replay, reproduce } from "../../explorer/trace.js";
import { INVARIANTS } from "../../invariants/index.js";
import type { ModelConfig } from "../../model/config.js";
import type { Kernel } from "../../model/kernel.js";
import { Machine } from "../../model/machine.js";
import { RESULT_NAMES } from "../../model/types.js";
import { findVariant, type Variant } from "../../model/variant.js";
import { resolveScenario } from "../../scenarios/load.js";
import { ScenarioSchema } from "../../scenarios/schema.js";

export type ScenarioInput = z.input<typeof ScenarioSchema>;
export type Op = ScenarioInput["threads"][number]["ops"][number];

/** A test scenario's configuration: no huge pages unless given. */
export function config(s: Omit<ScenarioInput, "name" | "summary" | "pool"> & { pool?: ScenarioInput["pool"] }): ModelConfig {
  return resolveScenario(ScenarioSchema.parse({ name: "sequential-test", summary: "test", pool: { pages: 0 }, ...s })).config;
}

/**
 * Runs whole operations one at a time in the thread order given (default: thread 0's, in
 * order), replays the trace with every invariant checked, and returns the state and result
 * after each operation.
 */
export function runSequential(cfg: ModelConfig, order?: readonly number[], variant: Variant = findVariant("modern")!) {
  const m = new Machine(cfg, variant);
  const trace: number[] = [];
  const ends: number[] = [];
  let cur = m.initial().slice();
  for (const t of order ?? cfg.threads[0]!.ops.map(() => 0)) {
    const op = m.k.view(cur).thread_op(t);
    for (let guard = 0; m.k.view(cur).thread_op(t) === op && !m.done(cur, t); guard++) {
      if (guard > 1000) throw new Error(`thread ${t} does not finish its operation`);
      const next = new Int32Array(m.stateWords);
      if (!m.step(cur, t, next)) throw new Error(`thread ${t} is blocked running alone`);
      trace.push(t);
      cur = next;
    }
    ends.push(trace.length);
  }
  const { states } = replay(m, trace);
  const v = reproduce(m, INVARIANTS, trace);
  expect(v, v ? `${v.invariant} at step ${v.depth}: ${v.message}` : "").toBeNull();
  const order_ = order ?? cfg.threads[0]!.ops.map(() => 0);
  return (i: number): { k: Kernel; result: string } => {
    const k = m.k.view(states[ends[i]!]!);
    return { k, result: RESULT_NAMES[k.thread_result(order_[i]!)]! };
  };
}
