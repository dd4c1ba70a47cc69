/**
 * The shared zero page (kernel-notes §4) stays what every private anonymous read of an untouched
 * page relies on: it is never written, never locked, and never counted as mapped; its refcount
 * is only what get_user_pages callers hold on it (FOLL_GET, for reading), since mapping it,
 * copying its pte at fork, zapping or COW-breaking it take no reference; and get_user_pages
 * never hands it to a caller that writes the page or locks it (seed 001's mlock and munlock lock
 * every page they get back).
 */
import { L_FLAGS, L_GUP } from "../model/kernel.js";
import { FOLL_GET } from "../model/mm/gup.js";
import { PG_CONTENT, PG_LOCK, PG_MAPCOUNT, PG_REF } from "../model/layout.js";
import { localWords, opWords } from "./reads.js";
import type { Invariant } from "./types.js";

export const zeroPage: Invariant = {
  name: "zero-page",
  summary: "the zero page is never written, refcounted, locked, or handed out by get_user_pages for writing",
  reads: (k) => [
    ...opWords(k),
    ...localWords(k, k.cfg.threads.length, [L_GUP, L_FLAGS]),
    ...[PG_CONTENT, PG_LOCK, PG_MAPCOUNT, PG_REF].map((f) => k.L.page(k.L.zeroPage) + f),
  ],
  state({ k }) {
    const z = k.L.zeroPage;
    let gets = 0;
    for (let t = 0; t < k.cfg.threads.length; t++) {
      if (k.local(t, L_GUP) !== z) continue;
      const op = k.op(t);
      if (op.op === "gup4k" && op.write) return `get_user_pages handed the zero page to ${op.text}, which writes it`;
      if (op.op === "mlock4k" || op.op === "munlock4k")
        return `get_user_pages handed the zero page to __mlock_vma_pages_range (${op.text}), which locks it`;
      if (k.local(t, L_FLAGS) & FOLL_GET) gets++;
    }
    if (k.page_content(z) !== 0) return `the zero page was written (it holds ${k.page_content(z)})`;
    const holder = k.a[k.folio_lock_word(z)]!;
    if (holder) return `the zero page is locked (folio_lock by thread ${holder - 1})`;
    if (k.page_mapcount(z) !== 0) return `the zero page has mapcount ${k.page_mapcount(z)}: a pte of it was counted as a mapping`;
    if (k.page_ref(z) !== gets) return `the zero page's refcount is ${k.page_ref(z)}, but get_user_pages callers hold ${gets} references on it`;
    return null;
  },
};
