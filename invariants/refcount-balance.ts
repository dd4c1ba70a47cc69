/**
 * Each page's refcount equals the references that exist: ptes mapping it (huge and 4 KiB), the
 * page cache (hugetlbfs, shmem and 4 KiB files), and threads holding one, get_user_pages' references,
 * pins and the pages of an mmu_gather included (kernel-notes §3); its mapcount equals the ptes and
 * its pincount the pins held; a freed page is mapped, cached and held nowhere; once every thread
 * is done, no page is left unreachable. A migration entry holds no reference, but the page it
 * stands for must not be freed under it, and none may be left once every thread is done. The
 * zero page and the huge zero page are the zero-page invariant's.
 */
import type { Kernel } from "../model/kernel.js";
import { L_FLAGS, L_GUP, L_NEW, L_PAGE, L_TLB } from "../model/kernel.js";
import { PAGE_IN_USE, PG_MAPCOUNT, PG_PINS, PG_REF, PG_STATE } from "../model/layout.js";
import { FOLL_PIN } from "../model/mm/gup.js";
import { tlb_first_page } from "../model/mm/mmu_gather.js";
import { migration_entry_page, pte_page } from "../model/mm/pte.js";
import { cacheWords, localWords, pageWords, pteWords, gupExtraWords } from "./reads.js";
import type { Invariant } from "./types.js";

/** Scratch counters, reused: this runs on every new state. */
let scratch = { ptes: new Int32Array(0), entries: new Int32Array(0), cache: new Int32Array(0), held: new Int32Array(0), pins: new Int32Array(0) };

/**
 * The words that reference pages, as offsets (the same lists the invariant declares it reads):
 * every pte, huge and 4 KiB, and every page-cache slot. Per layout, the last one kept: counting
 * runs over two flat lists instead of walking mms, files and inodes through their layout.
 */
let lastLayout: object | null = null;
let referencing = { ptes: new Int32Array(0), cache: new Int32Array(0) };

function referencingWords(k: Kernel): typeof referencing {
  if (k.L !== lastLayout) {
    referencing = { ptes: Int32Array.from(pteWords(k)), cache: Int32Array.from(cacheWords(k)) };
    lastLayout = k.L;
  }
  return referencing;
}

/** Count, per page id, the ptes, page-cache slots, thread references and pins that point at it. */
function references(k: Kernel): typeof scratch {
  // Ptes of DAX blocks (ids past lastPage) are counted too, and ignored: a pfn has no refcount.
  const n = k.L.lastBlock + 1;
  if (scratch.ptes.length !== n)
    scratch = { ptes: new Int32Array(n), entries: new Int32Array(n), cache: new Int32Array(n), held: new Int32Array(n), pins: new Int32Array(n) };
  const { ptes, entries, cache, held, pins } = scratch;
  // A loop: five fill() calls into the runtime cost more than zeroing a few pages' counts.
  for (let g = 0; g < n; g++) ptes[g] = entries[g] = cache[g] = held[g] = pins[g] = 0;
  const words = referencingWords(k);
  const a = k.a;
  for (let i = 0; i < words.ptes.length; i++) {
    const pte = a[words.ptes[i]!]!;
    if (pte > 0) ptes[pte_page(pte)]! += 1;
    else if (pte) entries[migration_entry_page(pte)]! += 1;
  }
  for (let i = 0; i < words.cache.length; i++) {
    const g = a[words.cache[i]!]!;
    if (g) cache[g]! += 1;
  }
  for (let t = 0; t < k.L.threads; t++) {
    const g = k.local(t, L_PAGE);
    const h = k.local(t, L_NEW);
    if (g) held[g]! += 1;
    if (h) held[h]! += 1;
    for (let j = 0; j < k.L.gupPages; j++) {
      const gup = k.gup_page(t, j);
      if (!gup) continue;
      held[gup]! += 1;
      if (k.local(t, L_FLAGS) & FOLL_PIN) pins[gup]! += 1;
    }
    for (let m = k.local(t, L_TLB); m; m &= m - 1) held[tlb_first_page(m)]! += 1;
  }
  return scratch;
}

export const refcountBalance: Invariant = {
  name: "refcount-balance",
  summary: "each page's refcount equals its ptes + page cache + thread references; freed pages are unreferenced; nothing leaks",
  reads: (k) => [
    ...pteWords(k),
    ...cacheWords(k),
    ...localWords(k, k.L.threads, [L_PAGE, L_NEW, L_GUP, L_FLAGS, L_TLB]),
    ...gupExtraWords(k),
    ...pageWords(k, k.L.lastPage, [PG_STATE, PG_REF, PG_MAPCOUNT, PG_PINS]),
  ],
  atEnd: true,
  state({ k, allDone }) {
    const { ptes, entries, cache, held, pins } = references(k);
    for (let g = 1; g <= k.L.lastPage; g++) {
      if (k.is_reserved_zero(g)) continue;
      const refs = ptes[g]! + cache[g]! + held[g]!;
      if (k.page_state(g) !== PAGE_IN_USE) {
        if (refs) return `page${g} is free but still referenced (${ptes[g]} ptes, ${cache[g]} page cache, ${held[g]} threads)`;
        if (entries[g]) return `page${g} is free but ${entries[g]} migration entries still stand for it`;
        continue;
      }
      if (allDone && entries[g]) return `${entries[g]} migration entries of page${g} are left once every thread is done`;
      if (k.page_mapcount(g) !== ptes[g])
        return `page${g} mapcount ${k.page_mapcount(g)} but ${ptes[g]} ptes map it`;
      if (k.page_ref(g) !== refs)
        return `page${g} refcount ${k.page_ref(g)} but ${refs} references exist (${ptes[g]} ptes, ${cache[g]} page cache, ${held[g]} threads)`;
      if (k.page_pins(g) !== pins[g]) return `page${g} pincount ${k.page_pins(g)} but ${pins[g]} pins are held`;
      if (allDone && refs === 0) return `page${g} leaked: in use with no reference once every thread is done`;
    }
    return null;
  },
};
