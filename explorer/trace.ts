/**
 * Counterexamples are lists of threads; re-executing them from the initial state rebuilds every
 * state, and re-checking the invariants on the way reproduces the violation (mmcheck replay).
 */
import type { Invariant } from "../core/invariant.js";
import type { StateView } from "../core/state-view.js";
import { Checker, type Violation } from "./check.js";
import type { Transition, TransitionSystem } from "../core/system.js";

export interface Replayed<T extends Transition = Transition> {
  readonly states: Int32Array[];
  readonly transitions: T[];
}

/** Re-executes the threads; throws if one of them cannot take its step (not a trace of this model). */
export function replay<V extends StateView, T extends Transition>(
  machine: TransitionSystem<V, T>,
  threads: readonly number[],
): Replayed<T> {
  const states = [machine.initial().slice()];
  const transitions: T[] = [];
  for (const [i, t] of threads.entries()) {
    if (!Number.isInteger(t) || t < 0 || t >= machine.threads) throw new Error(`step ${i + 1}: no thread ${t}`);
    const next = new Int32Array(machine.stateWords);
    const tr = machine.step(states[states.length - 1]!, t, next);
    if (!tr) throw new Error(`step ${i + 1}: thread ${t} cannot move here`);
    states.push(next);
    transitions.push(tr);
  }
  return { states, transitions };
}

/**
 * Re-executes the threads checking every invariant on the way, as the search did; returns the
 * first violation, at its depth, or null if the trace runs clean.
 */
export function reproduce<V extends StateView>(
  machine: TransitionSystem<V>,
  invariants: readonly Invariant<V>[],
  threads: readonly number[],
): (Violation & { depth: number }) | null {
  const checker = new Checker(machine, invariants);
  const { states, transitions } = replay(machine, threads);
  const first = checker.state(states[0]!);
  if (first) return { ...first, depth: 0 };
  for (let i = 0; i < transitions.length; i++) {
    const v = checker.transition(states[i]!, states[i + 1]!, transitions[i]!) ?? checker.state(states[i + 1]!);
    if (v) return { ...v, depth: i + 1 };
  }
  const last = states[states.length - 1]!;
  for (let t = 0; t < machine.threads; t++) if (machine.step(last, t, new Int32Array(machine.stateWords))) return null;
  const stuck = checker.stuck(last);
  return stuck ? { ...stuck, depth: transitions.length } : null;
}
