/**
 * Page migration (mm/migrate.c and mm/rmap.c of v6.18), for anonymous pages: a 4 KiB one and a
 * hugetlb one. The migration holds the source folio isolated (a reference) and locked while
 * try_to_migrate replaces each pte mapping it by a migration entry (dropping the pte's mapcount
 * and reference), move_to_new_folio copies it if nothing but the isolation holds a reference
 * (folio_migrate_mapping's refcount check), and remove_migration_ptes turns each entry back into
 * a pte of the new folio, or of the old one when the move failed. A fault that meets an entry
 * waits for the folio lock (migration_entry_wait, migration_entry_wait_huge); fork copies an
 * entry, and a zap clears one, without touching the page.
 *
 * The rmap walk is a walk over every mm's ptes: each mm's page-table lock is taken by the walk
 * (page_vma_mapped_walk), so a step that walks waits until none is held.
 */
import type { Kernel } from "../kernel.js";
import { L_ORIG_PTE } from "../kernel.js";
import { PG_ANON, PG_ANON_EXCLUSIVE } from "../layout.js";
import { BLOCKED, type Step } from "../types.js";
import { Splat } from "../splat.js";
import {
  is_exclusive_migration_entry,
  is_migration_entry,
  is_writable_migration_entry,
  make_huge_pte,
  make_migration_entry,
  migration_entry_page,
  mk_pte,
  pte_page,
  pte_present,
  pte_special,
  pte_write,
} from "./pte.js";

/** Every mm's page-table lock is free: the rmap walk can take each in turn. */
export function rmap_walk_ptls_free(k: Kernel): boolean {
  for (let p = 0; p < k.L.procs; p++) if (k.a[k.ptl(p)] !== 0) return false;
  return true;
}

/** The pte words (huge ones for a hugetlb page, 4 KiB ones otherwise) of every mm. */
function for_each_pte(k: Kernel, g: number, fn: (off: number, pte: number) => void): void {
  const huge = k.folio_test_hugetlb(g);
  for (let p = 0; p < k.L.procs; p++) {
    const [from, to] = huge ? [k.L.pte(p, 0), k.L.pte(p, k.L.addrPages)] : k.L.smallPteRange(p);
    for (let off = from; off < to; off++) {
      const pte = k.a[off]!;
      if (pte) fn(off, pte);
    }
  }
}

/**
 * try_to_migrate (try_to_migrate_one): each present pte of g becomes a migration entry,
 * writable if the pte was, exclusive if the page was PageAnonExclusive (which it then no longer
 * is). An exclusive page that may be pinned for DMA cannot be shared (folio_try_share_anon_rmap_pte,
 * hugetlb_try_share_anon_rmap): the walk stops and the page stays mapped.
 */
export function try_to_migrate(k: Kernel, g: number): void {
  const exclusive = k.page_test(g, PG_ANON_EXCLUSIVE);
  if (exclusive && k.page_pins(g) > 0) return;
  for_each_pte(k, g, (off, pte) => {
    if (!pte_present(pte) || pte_special(pte) || pte_page(pte) !== g) return;
    k.w(off, make_migration_entry(g, pte_write(pte), exclusive));
    k.add_mapcount(g, -1);
    k.folio_ref_dec(g); // the pte's reference; the isolation's keeps the page
  });
  if (exclusive) k.page_clear(g, PG_ANON_EXCLUSIVE);
}

/** folio_mapped: some pte still maps g. */
export function folio_mapped(k: Kernel, g: number): boolean {
  return k.page_mapcount(g) > 0;
}

/**
 * move_to_new_folio → migrate_folio (an anonymous page has no mapping): folio_migrate_mapping
 * refuses (-EAGAIN) unless the isolation's is the only reference left (folio_expected_ref_count:
 * no pte maps it now, no page cache holds it); then folio_migrate_flags and the copy.
 */
export function move_to_new_folio(k: Kernel, dst: number, src: number): boolean {
  if (!k.folio_test_locked(src)) k.splat(Splat.MOVE_TO_NEW_FOLIO_UNLOCKED);
  if (k.page_ref(src) !== 1) return false;
  k.set_page_content(dst, k.page_content(src));
  if (k.page_test(src, PG_ANON)) k.page_set(dst, PG_ANON);
  k.set_page_mapping(dst, k.page_mapping(src), k.page_index(src));
  return true;
}

/**
 * remove_migration_ptes(src, dst): every migration entry of src becomes a pte of dst (src itself
 * when the move failed), writable as the entry says, exclusive (RMAP_EXCLUSIVE) if it was; each
 * takes a mapcount and a reference. Fork's copies of an entry are found too: the rmap walk
 * covers the child's VMA, linked to the anon_vma before its ptes were copied.
 */
export function remove_migration_ptes(k: Kernel, src: number, dst: number): void {
  for_each_pte(k, src, (off, pte) => {
    if (!is_migration_entry(pte) || migration_entry_page(pte) !== src) return;
    const writable = is_writable_migration_entry(pte);
    k.w(off, k.folio_test_hugetlb(dst) ? make_huge_pte(dst, writable) : mk_pte(dst, writable));
    if (is_exclusive_migration_entry(pte)) k.page_set(dst, PG_ANON_EXCLUSIVE);
    k.add_mapcount(dst, 1);
    k.folio_get(dst);
  });
}

/** The folio a migration entry stands for is locked: the migration is still under way. */
export function migration_entry_locked(k: Kernel, entry: number): boolean {
  return k.a[k.folio_lock_word(migration_entry_page(entry))] !== 0;
}

/**
 * migration_entry_wait_on_locked, the fault's wait for the migration of the entry it met
 * (L_ORIG_PTE): folio_wait_bit_common(PG_locked) with no reference held, woken by the
 * migration's folio_unlock; then the fault returns (`done`) and the access is tried again.
 */
export function migrationEntryWaitOnLocked(done: (k: Kernel, t: number) => number): Omit<Step, "label" | "id"> {
  return {
    fn: "migration_entry_wait_on_locked",
    reads: ["page_lock"],
    writes: [],
    run(k, t) {
      return migration_entry_locked(k, k.local(t, L_ORIG_PTE)) ? BLOCKED : done(k, t);
    },
  };
}
