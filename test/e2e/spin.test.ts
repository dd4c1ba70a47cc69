/**
 * The Promela model the benchmark runs SPIN on (bench/peer/peer.pml) is the spec's state space:
 * SPIN counts the spec's distinct states and transitions on it, as mmcheck does on bench/peer/,
 * and finds no violation. Needs spin and gcc: skipped without them, unless
 * MMCHECK_REQUIRE_SPIN=1 (CI sets it, and installs them).
 */
import { describe, expect, it } from "vitest";
import { peerCounts } from "../../bench/peer/counts.js";
import { Pan, spinMissing } from "../../bench/peer/spin.js";

const missing = spinMissing();
const skip = missing !== null && process.env.MMCHECK_REQUIRE_SPIN !== "1";


describe(skip ? `SPIN on bench/peer/peer.pml (skipped: ${missing})` : "SPIN on bench/peer/peer.pml", () => {
  it.skipIf(skip).each(peerCounts(2, 5))("N = %i: %i distinct states, %i transitions, no error", (n, distinct, transitions) => {
    const pan = new Pan(n);
    try {
      const r = pan.run(20);
      expect(r.errors).toBe(0);
      expect(r.distinct).toBe(distinct);
      expect(r.transitions).toBe(transitions);
    } finally {
      pan.dispose();
    }
  });
});
