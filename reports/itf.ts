/**
 * Counterexamples as ITF traces (Apalache ADR-015), and back: one ITF state per model state, its
 * vars the top-level objects of the model's description of a state (core/model.ts Describe;
 * the mm model's is model/decode.ts), its `#meta` the step that led to it; the threads named
 * in those `#meta`s are all `replay` needs to re-execute the trace.
 */
import type { AnyModel } from "../core/model.js";
import type { Replayed } from "../explorer/trace.js";
import type { ItfState, ItfTrace, ItfValue } from "./schema.js";

const ADR_015 = "https://apalache-mc.org/docs/adr/015adr-trace.html";

/** A trace that cannot be turned into threads for `replay`: names the place and the reason. */
export class TraceError extends Error {
  override name = "TraceError";
}

/**
 * A decoded value as ITF: integers `{"#bigint": "…"}` (as Quint writes them, and as strict
 * readers such as the Rust `itf` crate require), Maps `#map`, Sets `#set`, arrays lists,
 * objects records. There is no ITF form for null, undefined or fractions; decode must not
 * produce them.
 */
export function toItf(v: unknown, path = "state"): ItfValue {
  if (typeof v === "boolean" || typeof v === "string") return v;
  if (typeof v === "number") {
    if (!Number.isInteger(v)) throw new Error(`${path}: ${v} is not an integer, ITF has no form for it`);
    return { "#bigint": BigInt(v).toString() };
  }
  if (Array.isArray(v)) return v.map((x, i) => toItf(x, `${path}[${i}]`));
  if (v instanceof Map) return { "#map": [...v].map(([key, x]) => [toItf(key, `${path} key`), toItf(x, `${path}[${String(key)}]`)] as const) };
  if (v instanceof Set) return { "#set": [...v].map((x) => toItf(x, `${path} element`)) };
  if (typeof v === "object" && v !== null)
    return Object.fromEntries(
      Object.entries(v).map(([field, x]) => {
        if (field.startsWith("#")) throw new Error(`${path}.${field}: an ITF record field cannot start with #`);
        return [field, toItf(x, `${path}.${field}`)];
      }),
    );
  throw new Error(`${path}: ${v === null ? "null" : typeof v} has no ITF form`);
}

export interface TraceSource {
  /** The scenario as the user gave it (a shipped name or a path). */
  readonly scenario: string;
  readonly variant: string;
  readonly description: string;
}

/** The replayed run as an ITF trace. */
export function itfTrace(model: AnyModel, run: Replayed, source: TraceSource): ItfTrace {
  const { describe, system } = model;
  const decoded = run.states.map((s) => describe.state(system.view(s)));
  const states = decoded.map((d, index): ItfState => {
    const tr = run.transitions[index - 1];
    const step = tr && describe.step(tr);
    const meta =
      tr && step
        ? {
            index,
            thread: { index: tr.thread, name: describe.threads[tr.thread]! },
            operation: step.op,
            function: step.fn,
            step: step.label,
          }
        : { index };
    return { "#meta": meta, ...(toItf(d) as Record<string, ItfValue>) };
  });
  return {
    "#meta": {
      format: "ITF",
      "format-description": ADR_015,
      description: source.description,
      source: source.scenario,
      variant: source.variant,
    },
    vars: Object.keys(decoded[0]!),
    states,
  };
}

/**
 * The threads that moved, from the states' `#meta` (the first state is the initial one). With
 * `names` (the scenario's thread names), a step whose thread is named differently is refused:
 * the trace was made from another version of the scenario.
 */
export function threadsFromItf(trace: ItfTrace, names?: readonly string[]): number[] {
  return trace.states.slice(1).map((s, i) => {
    const where = `violation.trace.states.${i + 1}.#meta.thread`;
    const thread = s["#meta"].thread;
    if (!thread) throw new TraceError(`${where}: missing (which thread took this step?)`);
    if (names && names[thread.index] !== thread.name)
      throw new TraceError(
        `${where}: thread ${thread.index} is "${names[thread.index] ?? "(none)"}" in the scenario, "${thread.name}" in the trace`,
      );
    return thread.index;
  });
}
