/**
 * The peer model's invariants, as the spec states them ("Invariants"), checked on every state
 * as SPIN's and TLC's are; plus the shared deadlock check. The first that fails names the
 * violation, so the reservation count comes first, as in the mm model's list.
 */
import { deadlock } from "../../core/deadlock.js";
import type { Invariant } from "../../core/invariant.js";
import { A, B, FREE, ISIZE, RESV, T1, T2, T3, TH_LOCALS, TH_OP, L_HOLD } from "./layout.js";
import type { PeerState } from "./state.js";

// What each invariant reads, as state words (Invariant.reads): the explorer skips an invariant
// for a state whose step wrote none of them. test/model/peer.test.ts holds them against every step.

/** Word `at(i)` for every index i of F (or every page id g = i + 1). */
function each(k: PeerState, at: (i: number) => number): number[] {
  return Array.from({ length: k.L.n }, (_, i) => at(i));
}

/** The words allDone reads: each thread's operation. */
function opWords(k: PeerState): number[] {
  return [T1, T2, T3].map((t) => k.L.thread(t) + TH_OP);
}

export const reservationConservation: Invariant<PeerState> = {
  name: "reservation-conservation",
  summary: "Rsvd equals the reserve-map entries not consumed: resv = #{i : region[i] and not consumed[i]}",
  reads: (k) => [RESV, ...each(k, (i) => k.L.region(i)), ...each(k, (i) => k.L.consumed(i))],
  state({ k }) {
    let n = 0;
    for (let i = 0; i < k.L.n; i++) if (k.region(i) && !k.consumed(i)) n++;
    if (k.resv === n) return null;
    const held = Array.from({ length: k.L.n }, (_, i) => i).filter((i) => k.region(i) && !k.consumed(i));
    return `HugePages_Rsvd = ${k.resv} but ${n} reserve-map entries are unconsumed (indices [${held.join(", ")}])`;
  },
};

export const poolCounters: Invariant<PeerState> = {
  name: "pool-counters",
  summary: "Free >= Rsvd >= 0; Free <= Total",
  reads: () => [FREE, RESV],
  state({ k }) {
    if (k.resv < 0) return `HugePages_Rsvd wrapped (${k.resv} as a signed value)`;
    if (k.free < k.resv) return `HugePages_Free ${k.free} < HugePages_Rsvd ${k.resv}`;
    if (k.free > k.total) return `HugePages_Free ${k.free} > HugePages_Total ${k.total}`;
    return null;
  },
};

/** References per page id (index 0 counts the empty slots), reused. */
let scratch = new Int32Array(0);

export const refcountBalance: Invariant<PeerState> = {
  name: "refcount-balance",
  summary: "each page's refcount = its mapcount + [in the page cache] + fault threads (T1, T2) holding it",
  reads: (k) => [
    ...each(k, (i) => k.L.cache(i)),
    ...[T1, T2].map((t) => k.L.thread(t) + TH_LOCALS + L_HOLD),
    ...each(k, (i) => k.L.ref(i + 1)),
    ...each(k, (i) => k.L.mapc(i + 1)),
  ],
  state({ k }) {
    // One pass over the references, then one over the pages: this runs on every new state.
    const pages = k.L.pages;
    if (scratch.length !== pages + 1) scratch = new Int32Array(pages + 1);
    const refs = scratch;
    for (let g = 0; g <= pages; g++) refs[g] = 0;
    for (let i = 0; i < k.L.n; i++) refs[k.cache(i)]! += 1;
    refs[k.hold(T1)]! += 1;
    refs[k.hold(T2)]! += 1;
    for (let g = 1; g <= pages; g++) {
      if (k.ref(g) === k.mapc(g) + refs[g]!) continue;
      let cached = 0;
      for (let i = 0; i < k.L.n; i++) if (k.cache(i) === g) cached++;
      return `page${g} refcount ${k.ref(g)} but mapcount ${k.mapc(g)} + page cache ${cached} + threads ${refs[g]! - cached}`;
    }
    return null;
  },
};

/** Once all three threads are done, truncate has unmapped everything beyond i_size. */
export const truncateUnmapped: Invariant<PeerState> = {
  name: "truncate-unmapped",
  summary: "at the end, no pte maps an index >= i_size",
  reads: (k) => [...opWords(k), ISIZE, ...each(k, (i) => k.L.pte(A, i)), ...each(k, (i) => k.L.pte(B, i))],
  state({ k, allDone }) {
    if (!allDone) return null;
    for (let i = k.isize; i < k.L.n; i++)
      for (const [p, name] of [[A, "A"], [B, "B"]] as const)
        if (k.pte(p, i)) return `pte[${name}][${i}] maps page${k.pte(p, i)} beyond i_size ${k.isize}`;
    return null;
  },
};

/** Once all three threads are done, every page is either free or in the page cache. */
export const noLeak: Invariant<PeerState> = {
  name: "no-leak",
  summary: "at the end, Free + pages in the page cache = Total",
  reads: (k) => [...opWords(k), FREE, ...each(k, (i) => k.L.cache(i))],
  state({ k, allDone }) {
    if (!allDone) return null;
    let cached = 0;
    for (let i = 0; i < k.L.n; i++) if (k.cache(i)) cached++;
    if (k.free + cached === k.total) return null;
    return `HugePages_Free ${k.free} + ${cached} page-cache pages != HugePages_Total ${k.total}`;
  },
};

export const PEER_INVARIANTS: readonly Invariant<PeerState>[] = [
  reservationConservation,
  poolCounters,
  refcountBalance,
  truncateUnmapped,
  noLeak,
  deadlock,
];
