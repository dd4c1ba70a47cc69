/**
 * The search skips a state invariant for a state whose step wrote none of the words it
 * declares it reads (Invariant.reads; allDone aside for those marked atEnd, run wherever every
 * thread is done). That is sound if the invariant reads no other word: here each state
 * invariant runs on states of every shipped scenario under every variant through an array
 * that records the words read, and the search is shown to find what it finds with every
 * invariant run on every state. Likewise for the step invariants, which the search runs only on
 * the steps they judge (Invariant.onOpEnd, Invariant.stepWrites): each declared list is held
 * against the first transitions of every shipped scenario, and the search against one that
 * runs every step invariant on every step.
 */
import { describe, expect, it } from "vitest";
import { explore } from "../../explorer/explore.js";
import type { ExploreResult } from "../../explorer/options.js";
import { ModelError } from "../../core/procedure.js";
import { INVARIANTS } from "../../invariants/index.js";
import { VARIANTS, findVariant } from "../../model/variant.js";
import { mmModel } from "../../models/mm.js";
import { loadScenario, shippedScenarios } from "../../scenarios/load.js";
import { recording, statesOf } from "../helpers/reads.js";
import { writtenBetween } from "../../explorer/check.js";

/** Does the variant's kernel refuse the scenario's setup (a mount option it predates)? */
function refused(machine: { initial(): Int32Array }): boolean {
  try {
    machine.initial();
    return false;
  } catch (e) {
    if (e instanceof ModelError) return true;
    throw e;
  }
}

/** States recorded per scenario and variant: the first ones in breadth-first order. */
const STATES = 120;

const stateInvariants = INVARIANTS.filter((inv) => inv.state);

describe("mm model: the words each state invariant declares it reads", () => {
  it("every state invariant declares its reads", () => {
    expect(stateInvariants.filter((inv) => !inv.reads).map((inv) => inv.name)).toEqual([]);
  });

  it.each(shippedScenarios())("%s: every word an invariant reads, on the first states under every variant, is declared", (name) => {
    const config = loadScenario(name).config;
    const undeclared = new Map<string, Set<number>>();
    let recorded = 0;
    for (const variant of VARIANTS) {
      const machine = mmModel(config, variant).system;
      if (refused(machine)) continue;
      const declared = stateInvariants.map((inv) => new Set(inv.reads!(machine.k)));
      const k = machine.view(new Int32Array(0));
      for (const s of statesOf(machine, STATES)) {
        stateInvariants.forEach((inv, i) => {
          const read = new Set<number>();
          const recorder = recording(s, read);
          k.a = recorder;
          // allDone's words count as read only for an invariant not run wherever every thread is done.
          inv.state!({
            k,
            get allDone() {
              return machine.allDone(inv.atEnd ? s : recorder);
            },
          });
          recorded += read.size;
          for (const w of read)
            if (!declared[i]!.has(w)) {
              const key = `${inv.name} (${variant.name})`;
              undeclared.set(key, (undeclared.get(key) ?? new Set()).add(w));
            }
        });
      }
    }
    expect(Object.fromEntries([...undeclared].map(([key, words]) => [key, [...words]]))).toEqual({});
    expect(recorded).toBeGreaterThan(0);
  });
});

const stepInvariants = INVARIANTS.filter((inv) => inv.step);

describe("mm model: the words a step must write to break each step invariant that declares them", () => {
  it("some step invariant declares them (the check below holds something)", () => {
    expect(stepInvariants.filter((inv) => inv.stepWrites).length).toBeGreaterThan(0);
  });

  it.each(shippedScenarios())("%s: a step that writes none of them (nor ends its operation, for onOpEnd) passes, on the first states under every variant", (name) => {
    const config = loadScenario(name).config;
    const wrong = new Map<string, string>();
    let judged = 0;
    for (const variant of VARIANTS) {
      const machine = mmModel(config, variant).system;
      if (refused(machine)) continue;
      const declared = stepInvariants.map((inv) => (inv.stepWrites ? new Set(inv.stepWrites(machine.k)) : null));
      const before = machine.view(new Int32Array(0));
      const after = machine.view(new Int32Array(0));
      for (const s of statesOf(machine, STATES))
        for (let t = 0; t < machine.threads; t++) {
          const next = new Int32Array(machine.stateWords);
          const tr = machine.step(s, t, next);
          if (!tr) continue;
          const written = writtenBetween(s, next);
          before.a = s;
          after.a = next;
          stepInvariants.forEach((inv, i) => {
            const words = declared[i];
            if (!words || (inv.onOpEnd && tr.opEnded)) return;
            let wrote = false;
            for (let j = 0; j < written.logged; j += 2) wrote ||= words.has(written.log[j]!);
            if (wrote) return;
            judged++;
            const m = inv.step!({ before, after, thread: t, step: tr.step, opEnded: tr.opEnded, written });
            if (m) wrong.set(`${inv.name} (${variant.name})`, m);
          });
        }
    }
    expect(Object.fromEntries(wrong)).toEqual({});
    expect(judged).toBeGreaterThan(0);
  });
});

describe("mm model: skipping the invariants a step could not change, or does not judge, hides nothing", () => {
  // Every state invariant on every state, every step invariant on every step (onOpEnd and stepWrites dropped too).
  const everyState = INVARIANTS.map(({ reads: _reads, atEnd: _atEnd, onOpEnd: _onOpEnd, stepWrites: _stepWrites, ...inv }) => inv);
  const outcome = ({ verdict, violation, stats }: ExploreResult) => ({ verdict, violation, states: stats.distinctStates, transitions: stats.statesGenerated });
  it.each([
    ["split-unmap", "fix-unmap-restore-reserve"],
    ["fork-owner-dontneed", "modern"],
    ["libhugetlbfs-truncate-reserve-wraparound", "bug-instantiation-race"],
    ["subpool-alloc-failure", "modern"],
    ["chardev-refault", "seed-002"],
    ["gup-write-dontneed", "seed-001"],
    ["fault-beyond-eof", "bug-punch-hole-fault-race"],
    ["dax-cow-truncate", "seed-004"],
    ["chardev-fault", "seed-002"],
  ])("%s under %s: the same verdict, counts and counterexample with every invariant run on every state", async (name, variant) => {
    const v = findVariant(variant);
    expect(v, variant).toBeDefined();
    const config = loadScenario(name).config;
    const skipping = await explore(mmModel(config, v!), { workers: 1 });
    const model = mmModel(config, v!);
    const all = await explore({ ...model, invariants: everyState }, { workers: 1 });
    expect(outcome(skipping)).toEqual(outcome(all));
  });
});
