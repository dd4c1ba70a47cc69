/**
 * A fault that dropped its locks must re-check the pte before it installs or changes it
 * (pte_same under the PTL): no fault step may write its pte when the pte differs from the
 * value the fault last based a decision on.
 */
import { L_FAULT_PTE, L_ORIG_PTE } from "../model/kernel.js";
import { pteWords } from "./reads.js";
import type { Invariant } from "./types.js";

export const pteSameGuard: Invariant = {
  name: "pte-same-guard",
  summary: "no fault installs or changes a pte that changed since the fault last looked at it under the PTL",
  // It fails only where the step wrote the fault's pte.
  stepWrites: (k) => pteWords(k),
  step({ before, after, thread, step }) {
    const slot = before.local(thread, L_FAULT_PTE);
    if (!slot) return null;
    const off = slot - 1;
    const was = before.a[off]!;
    if (after.a[off] === was) return null;
    const seen = before.local(thread, L_ORIG_PTE);
    if (was === seen) return null;
    return `${step.label} changed a pte from ${was} to ${after.a[off]} but the fault last saw ${seen}`;
  },
};
