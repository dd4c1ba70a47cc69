/**
 * The shared zero page (kernel-notes §4), and in a scenario with THP mappings the huge zero page,
 * stay what every private anonymous read of an untouched page relies on: never written, never
 * locked, and never counted as mapped; the refcount is only what get_user_pages callers hold on
 * it (FOLL_GET for reading; on the huge zero page FOLL_PIN too, which try_grab_folio skips only
 * for the 4 KiB one), since mapping it, copying its pte at fork, zapping or COW-breaking it take
 * no reference; and get_user_pages never hands it to a caller that writes the page or locks it
 * (seed 001's mlock and munlock lock every page they get back).
 */
import type { Kernel } from "../model/kernel.js";
import { L_FLAGS, L_GUP } from "../model/kernel.js";
import { FOLL_GET, FOLL_PIN } from "../model/mm/gup.js";
import { PG_CONTENT, PG_LOCK, PG_MAPCOUNT, PG_REF } from "../model/layout.js";
import { gupExtraWords, localWords, opWords } from "./reads.js";
import type { Invariant } from "./types.js";

function check(k: Kernel, z: number, name: string): string | null {
  let refs = 0;
  for (let t = 0; t < k.cfg.threads.length; t++)
    for (let j = 0; j < k.L.gupPages; j++) {
      if (k.gup_page(t, j) !== z) continue;
      const op = k.op(t);
      if (op.op === "gup4k" && op.write) return `get_user_pages handed ${name} to ${op.text}, which writes it`;
      if (op.op === "mlock4k" || op.op === "munlock4k")
        return `get_user_pages handed ${name} to __mlock_vma_pages_range (${op.text}), which locks it`;
      if (k.local(t, L_FLAGS) & FOLL_GET || (k.is_huge_zero_folio(z) && k.local(t, L_FLAGS) & FOLL_PIN)) refs++;
    }
  if (k.page_content(z) !== 0) return `${name} was written (it holds ${k.page_content(z)})`;
  const holder = k.a[k.folio_lock_word(z)]!;
  if (holder) return `${name} is locked (folio_lock by thread ${holder - 1})`;
  if (k.page_mapcount(z) !== 0) return `${name} has mapcount ${k.page_mapcount(z)}: a mapping of it was counted`;
  if (k.page_ref(z) !== refs) return `${name}'s refcount is ${k.page_ref(z)}, but get_user_pages callers hold ${refs} references on it`;
  return null;
}

export const zeroPage: Invariant = {
  name: "zero-page",
  summary: "the zero page (and the huge zero page) is never written, refcounted, locked, or handed out by get_user_pages for writing",
  reads: (k) => [
    ...opWords(k),
    ...localWords(k, k.cfg.threads.length, [L_GUP, L_FLAGS]),
    ...gupExtraWords(k),
    ...[k.L.zeroPage, k.L.hugeZeroPage].filter((z) => z).flatMap((z) => [PG_CONTENT, PG_LOCK, PG_MAPCOUNT, PG_REF].map((f) => k.L.page(z) + f)),
  ],
  state({ k }) {
    return check(k, k.L.zeroPage, "the zero page") ?? (k.L.hugeZeroPage ? check(k, k.L.hugeZeroPage, "the huge zero page") : null);
  },
};
