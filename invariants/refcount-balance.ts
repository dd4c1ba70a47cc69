/**
 * Each page's refcount equals the references that exist: ptes mapping it, the page cache, and
 * threads holding one (kernel-notes §3); its mapcount equals the ptes; a freed page is mapped,
 * cached and held nowhere; once every thread is done, no page is left unreachable.
 */
import type { Kernel } from "../model/kernel.js";
import { L_NEW, L_PAGE } from "../model/kernel.js";
import { PAGE_IN_USE } from "../model/layout.js";
import { pte_page } from "../model/mm/pte.js";
import type { Invariant } from "./types.js";

/** Scratch counters, reused: this runs on every new state. */
let scratch = { ptes: new Int32Array(0), cache: new Int32Array(0), held: new Int32Array(0) };

/** Count, per page id, the ptes, page-cache slots and thread references that point at it. */
function references(k: Kernel): typeof scratch {
  const n = k.L.pages + 1;
  if (scratch.ptes.length !== n) scratch = { ptes: new Int32Array(n), cache: new Int32Array(n), held: new Int32Array(n) };
  const { ptes, cache, held } = scratch;
  ptes.fill(0);
  cache.fill(0);
  held.fill(0);
  for (let p = 0; p < k.L.procs; p++)
    for (let a = 0; a < k.L.addrPages; a++) {
      const pte = k.pte(p, a);
      if (pte) ptes[pte_page(pte)]! += 1;
    }
  for (let f = 0; f < k.L.files; f++)
    for (let i = 0; i < k.L.filePages; i++) {
      const g = k.page_cache(f, i);
      if (g) cache[g]! += 1;
    }
  for (let t = 0; t < k.L.threads; t++) {
    const g = k.local(t, L_PAGE);
    const h = k.local(t, L_NEW);
    if (g) held[g]! += 1;
    if (h) held[h]! += 1;
  }
  return scratch;
}

export const refcountBalance: Invariant = {
  name: "refcount-balance",
  summary: "each page's refcount equals its ptes + page cache + thread references; freed pages are unreferenced; nothing leaks",
  state({ k, allDone }) {
    const { ptes, cache, held } = references(k);
    for (let g = 1; g <= k.L.pages; g++) {
      const refs = ptes[g]! + cache[g]! + held[g]!;
      if (k.page_state(g) !== PAGE_IN_USE) {
        if (refs) return `page${g} is free but still referenced (${ptes[g]} ptes, ${cache[g]} page cache, ${held[g]} threads)`;
        continue;
      }
      if (k.page_mapcount(g) !== ptes[g])
        return `page${g} mapcount ${k.page_mapcount(g)} but ${ptes[g]} ptes map it`;
      if (k.page_ref(g) !== refs)
        return `page${g} refcount ${k.page_ref(g)} but ${refs} references exist (${ptes[g]} ptes, ${cache[g]} page cache, ${held[g]} threads)`;
      if (allDone && refs === 0) return `page${g} leaked: in use with no reference once every thread is done`;
    }
    return null;
  },
};
