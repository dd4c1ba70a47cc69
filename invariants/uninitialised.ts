/**
 * No uninitialised value is used. A C local declared without an initialiser holds POISON
 * (layout.ts) in the model until the code assigns it; returning it (an operation's result),
 * writing it into a pte or into a pool counter records the use (layout.ts UNINIT_USE), which
 * this reads.
 */
import { UNINIT_USE } from "../model/layout.js";
import { UNINIT_USES } from "../model/splat.js";
import type { Invariant } from "./types.js";

export const uninitialised: Invariant = {
  name: "uninitialised",
  summary: "no uninitialised value is used (returned, written into a pte or a counter)",
  reads: () => [UNINIT_USE],
  state({ k }) {
    const w = k.a[UNINIT_USE]!;
    if (!w) return null;
    const t = (w >> 8) - 1;
    const who = t >= 0 ? `${k.cfg.threads[t]?.name ?? "setup"}: ` : "";
    return `${who}a variable never assigned on this path was ${UNINIT_USES[w & 255]}`;
  },
};
