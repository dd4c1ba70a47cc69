/**
 * The peer benchmark model (models/peer/, /work/shared/peer-truncate-race.md): mmcheck's explorer
 * must count exactly the distinct states and transitions SPIN and TLC count on it, and find the
 * 2006 "absurd HugePages_Rsvd" bug with traces of the shortest lengths they find.
 */
import { describe, expect, it } from "vitest";
import { peerCounts } from "../../bench/peer/counts.js";
import { fingerprint } from "../../core/fingerprint.js";
import type { ExploreResult } from "../../explorer/options.js";
import { replay, reproduce } from "../../explorer/trace.js";
import { PEER_INVARIANTS } from "../../models/peer/invariants.js";
import { B, T1, T2, T3 } from "../../models/peer/layout.js";
import { PeerMachine } from "../../models/peer/machine.js";
import { recording, statesOf } from "../helpers/reads.js";
import { search } from "../helpers/search.js";

/** The spec's table (SPIN 6.5.2 and TLC 2.20 agree) up to N = 6: N, distinct states, transitions. */
const SPIN_TLC = peerCounts(2, 6);

/** The trace step by step, each step followed by the state it leads to. */
function showTrace(machine: PeerMachine, threads: readonly number[]): string {
  const { states, transitions } = replay(machine, threads);
  const show = (s: Int32Array) => JSON.stringify(machine.view(s).fields());
  const lines = [`   0. initial\n       ${show(states[0]!)}`];
  transitions.forEach((tr, i) => lines.push(`  ${String(i + 1).padStart(2)}. T${tr.thread + 1} ${tr.op.text} ${tr.step.label}\n       ${show(states[i + 1]!)}`));
  return lines.join("\n");
}

describe("peer model: the state space SPIN and TLC count", () => {
  it.each(SPIN_TLC)("N = %i: %i distinct states, %i transitions, no violation", async (n, distinct, transitions) => {
    const r = await search(new PeerMachine({ n, bug: false }), PEER_INVARIANTS);
    expect(r.violation).toBeUndefined();
    expect(r.verdict).toBe("pass");
    expect(r.stats.distinctStates).toBe(distinct);
    expect(r.stats.statesGenerated).toBe(transitions);
  });

  // The explorer counts fingerprints: check on small N that they stand for states one to one,
  // and that the fingerprint each step keeps is the state's own.
  it.each([2, 3])("N = %i: the fingerprint count is the exact count of distinct state arrays", (n) => {
    const machine = new PeerMachine({ n, bug: false });
    const init = machine.initial().slice();
    const seen = new Set([init.join(",")]);
    const fps = new Set([fingerprint(init).join(":")]);
    const queue = [init];
    let transitions = 0;
    for (let q = 0; q < queue.length; q++) {
      const s = queue[q]!;
      const [hi, lo] = fingerprint(s);
      for (let t = 0; t < machine.threads; t++) {
        const next = new Int32Array(machine.stateWords);
        if (!machine.step(s, t, next, hi, lo)) continue;
        transitions++;
        expect([machine.k.fpHi, machine.k.fpLo]).toEqual(fingerprint(next));
        const key = next.join(",");
        if (seen.has(key)) continue;
        seen.add(key);
        fps.add(`${machine.k.fpHi}:${machine.k.fpLo}`);
        queue.push(next);
      }
    }
    const [, distinct, generated] = SPIN_TLC.find(([m]) => m === n)!;
    expect(seen.size).toBe(distinct);
    expect(fps.size).toBe(distinct);
    expect(transitions).toBe(generated);
  });
});

describe("peer model: the words each invariant declares it reads", () => {
  // The explorer skips an invariant for a state whose step wrote none of its declared words
  // (Invariant.reads), which is sound if the invariant reads no other word: each invariant, and
  // allDone, runs on every state of N = 4 through an array that records the words read.
  it.each([false, true])("N = 4 (bug: %s): every word an invariant reads, on every state, is declared", (bug) => {
    const machine = new PeerMachine({ n: 4, bug });
    const invs = PEER_INVARIANTS.filter((inv) => inv.state);
    expect(invs.filter((inv) => !inv.reads)).toEqual([]);
    const declared = invs.map((inv) => new Set(inv.reads!(machine.k)));
    const read = invs.map(() => new Set<number>());
    const k = machine.view(new Int32Array(0));
    for (const s of statesOf(machine)) {
      invs.forEach((inv, i) => {
        const recorder = recording(s, read[i]!);
        k.a = recorder;
        // allDone's words count as read only if the invariant looks at allDone.
        inv.state!({
          k,
          get allDone() {
            return machine.allDone(recorder);
          },
        });
      });
    }
    invs.forEach((inv, i) => expect([...read[i]!].filter((w) => !declared[i]!.has(w)), inv.name).toEqual([]));
    expect(read.every((r) => r.size > 0)).toBe(true);
  });

  it.each([2, 3, 4, 5])("N = %i (bug): the search finds the same counterexample with every invariant run on every state", async (n) => {
    const machine = new PeerMachine({ n, bug: true });
    const everyState = PEER_INVARIANTS.map(({ reads: _reads, ...inv }) => inv);
    const outcome = ({ verdict, violation, stats }: ExploreResult) => ({ verdict, violation, states: stats.distinctStates, transitions: stats.statesGenerated });
    expect(outcome(await search(machine, PEER_INVARIANTS))).toEqual(outcome(await search(machine, everyState)));
  });
});

describe("peer model: one state at a time or in batches", () => {
  it.each([false, true])("N = 4, bug %s: the same counts and counterexample for batches of 0, 1, 5 and 256 states", async (bug) => {
    const results = [];
    for (const batch of [0, 1, 5, 256]) {
      const r = await search(new PeerMachine({ n: 4, bug }), PEER_INVARIANTS, { batch });
      results.push({ verdict: r.verdict, distinct: r.stats.distinctStates, generated: r.stats.statesGenerated, violation: r.violation });
    }
    expect(results[0]!.verdict).toBe(bug ? "violation" : "pass");
    for (const r of results.slice(1)) expect(r).toEqual(results[0]);
  });
});

describe("peer model: the 2006 absurd HugePages_Rsvd bug", () => {
  it.each([
    [2, 10],
    [3, 13],
    [4, 13],
    [5, 16],
  ])("N = %i: reservation-conservation fails, shortest trace %i steps, and replays", async (n, steps) => {
    const machine = new PeerMachine({ n, bug: true });
    const r = await search(machine, PEER_INVARIANTS);
    expect(r.verdict).toBe("violation");
    const v = r.violation!;
    const trace = `${v.invariant}: ${v.message}\n${showTrace(machine, v.threads)}`;
    expect(v.invariant, trace).toBe("reservation-conservation");
    expect(v.threads.length, trace).toBe(steps);
    expect(v.depth, trace).toBe(steps);
    expect(reproduce(machine, PEER_INVARIANTS, v.threads), trace).toEqual({
      invariant: "reservation-conservation",
      message: v.message,
      depth: steps,
    });
  });

  it("N = 2: the late i_size check (3b′) frees the page but keeps the reservation consumed", () => {
    const machine = new PeerMachine({ n: 2, bug: true });
    // Truncate cuts i_size to 1; T2 then faults index 1 (no i_size check in step 2), allocates
    // on index 1's reservation, and backs out at 3b′ with SIGBUS.
    const before = [T3, T2, T2, T2, T2];
    const { states, transitions } = replay(machine, before);
    const trace = showTrace(machine, before);
    expect(transitions.map((tr) => tr.step.label), trace).toEqual([
      "hugetlb_vmtruncate:i_size_write",
      "hugetlb_fault:mutex_lock",
      "hugetlb_no_page",
      "alloc_hugetlb_folio",
      "hugetlb_no_page:i_size_recheck",
    ]);
    expect(transitions[4]!.opEnded, trace).toBe(true);
    const k = machine.view(states[5]!);
    expect([k.free, k.resv, k.consumed(1), k.cache(1), k.ref(1), k.pte(B, 1), k.hold(T2)], trace).toEqual([2, 1, 1, 0, 0, 0, 0]);
    expect(k.fault_index(T2), trace).toBe(0);
    // Rsvd is still right here; it goes wrong when hugetlb_unreserve_pages returns index 1's
    // entry as if it held a reservation (chg 1, freed 0): the rest of the truncate.
    expect(reproduce(machine, PEER_INVARIANTS, before), trace).toBeNull();
    const all = [...before, T3, T3, T3, T3, T3, T3];
    expect(reproduce(machine, PEER_INVARIANTS, all), showTrace(machine, all)).toMatchObject({
      invariant: "reservation-conservation",
      depth: all.length,
    });
  });

  it("without the bug the same interleaving ends the fault with SIGBUS before it allocates", () => {
    const machine = new PeerMachine({ n: 2, bug: false });
    const threads = [T3, T2, T2];
    const { states, transitions } = replay(machine, threads);
    expect(transitions[2]!.step.label).toBe("hugetlb_no_page");
    expect(transitions[2]!.opEnded).toBe(true);
    const k = machine.view(states[3]!);
    expect([k.free, k.resv, k.consumed(1), k.mutex(1), k.fault_index(T2), k.thread_op(T1)]).toEqual([2, 2, 0, 0, 0, 0]);
  });
});
