/**
 * A counterexample as swimlanes, for the HTML report (reports/html.ts): one lane per thread that
 * steps, each step with its operation, kernel function and label, the objects it shares with
 * other lanes (reports/diagram.ts sharedObjects), and the state it changed — every field of the
 * model's description of a state (core/model.ts Describe; the mm model's counters, ptes, pages,
 * locks) whose value differs after the step.
 */
import type { AnyModel } from "../core/model.js";
import type { Replayed } from "../explorer/trace.js";
import { sharedObjects } from "./diagram.js";

export interface SwimlaneStep {
  readonly lane: number;
  readonly op: string;
  readonly fn: string;
  readonly label: string;
  readonly objects: readonly string[];
  readonly shared: readonly string[];
  readonly diff: readonly { readonly path: string; readonly before: string; readonly after: string }[];
}

export interface Swimlanes {
  readonly scenario: string;
  readonly variant: string;
  readonly status: string;
  /** The threads that step, in the scenario's order. */
  readonly lanes: readonly string[];
  readonly steps: readonly SwimlaneStep[];
  readonly outcome: string;
}

/** Every leaf of a described state by its path (`mms[0].ptes[1].write`), its value as JSON. */
function flatten(v: unknown, path: string, out: Map<string, string>): void {
  if (v instanceof Map) for (const [k, x] of v) flatten(x, `${path}[${JSON.stringify(k)}]`, out);
  else if (Array.isArray(v)) v.forEach((x, i) => flatten(x, `${path}[${i}]`, out));
  else if (v instanceof Set) out.set(path, JSON.stringify([...v]));
  else if (typeof v === "object" && v !== null) for (const [k, x] of Object.entries(v)) flatten(x, path ? `${path}.${k}` : k, out);
  else out.set(path, JSON.stringify(v));
}

export function swimlanes(model: AnyModel, run: Replayed, head: { scenario: string; variant: string; status: string; outcome: string }): Swimlanes {
  const { describe, system } = model;
  const states = run.states.map((s) => {
    const m = new Map<string, string>();
    flatten(describe.state(system.view(s)), "", m);
    return m;
  });
  const steps = run.transitions.map((tr) => describe.step(tr));
  const threads = run.transitions.map((tr) => tr.thread);
  const shared = sharedObjects(steps, threads);
  const stepping = [...new Set(threads)].sort((a, b) => a - b);
  return {
    ...head,
    lanes: stepping.map((t) => describe.threads[t]!),
    steps: steps.map((s, i) => {
      const before = states[i]!;
      const after = states[i + 1]!;
      const paths = [...new Set([...before.keys(), ...after.keys()])].filter((p) => before.get(p) !== after.get(p));
      return {
        lane: stepping.indexOf(threads[i]!),
        op: s.op,
        fn: s.fn,
        label: s.label,
        objects: [...new Set([...s.reads, ...s.writes])],
        shared: shared[i]!,
        diff: paths.map((path) => ({ path, before: before.get(path) ?? "(none)", after: after.get(path) ?? "(none)" })),
      };
    }),
  };
}
