/**
 * No modelled path reaches one of the kernel's own assertions (model/splat.ts: BUG_ON,
 * VM_BUG_ON_FOLIO, print_bad_pte, might_sleep in atomic context). The step that reaches one
 * records it in the state (layout.ts SPLAT); this reads that one word, so a splat during the
 * setup is reported at depth 0.
 */
import { SPLAT } from "../model/layout.js";
import { SPLAT_SITES } from "../model/splat.js";
import type { Invariant } from "./types.js";

export const kernelSplat: Invariant = {
  name: "kernel-splat",
  summary: "no modelled path reaches a BUG/WARN/VM_BUG_ON/print_bad_pte or sleeps in atomic context",
  reads: () => [SPLAT],
  state({ k }) {
    const w = k.a[SPLAT]!;
    if (!w) return null;
    const site = SPLAT_SITES[(w & 255) - 1]!;
    const t = (w >> 8) - 1;
    const who = t >= 0 ? ` (thread ${k.cfg.threads[t]?.name ?? "setup"})` : "";
    return `${site.message}: ${site.fn}: ${site.cond}${who}`;
  },
};
