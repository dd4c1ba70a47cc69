/**
 * The peer document's table of the state space (/work/shared/peer-truncate-race.md, "Expected
 * distinct states"; SPIN 6.5.2 and TLC 2.20 agree): N → distinct states and transitions. Every
 * count of the peer model is held to it: mmcheck's (test/model/peer.test.ts, `npm run bench:peer`, the
 * benchmark) and SPIN's on bench/peer/peer.pml (test/e2e/spin.test.ts, the benchmark).
 */
export const PEER_COUNTS: Readonly<Record<number, { readonly distinct: number; readonly transitions: number }>> = {
  2: { distinct: 1_159, transitions: 2_504 },
  3: { distinct: 7_217, transitions: 16_869 },
  4: { distinct: 25_351, transitions: 63_083 },
  5: { distinct: 102_130, transitions: 260_528 },
  6: { distinct: 304_326, transitions: 792_483 },
  7: { distinct: 1_024_020, transitions: 2_708_818 },
  8: { distinct: 3_018_698, transitions: 8_042_194 },
};

/** The table's rows for N = from…to, as [N, distinct states, transitions]. */
export function peerCounts(from: number, to: number): [n: number, distinct: number, transitions: number][] {
  const rows: [number, number, number][] = [];
  for (let n = from; n <= to; n++) rows.push([n, PEER_COUNTS[n]!.distinct, PEER_COUNTS[n]!.transitions]);
  return rows;
}
