/**
 * move_pages(2) of one page to another NUMA node (v6.18 mm/migrate.c): do_pages_move →
 * add_page_for_migration (under mmap_lock for read: find the page, isolate it), then
 * do_move_pages_to_node → migrate_pages without mmap_lock: migrate_folio_unmap (4 KiB) or
 * unmap_and_move_huge_page (hugetlb) allocates the target, locks the source folio and
 * try_to_migrate()s it; move_to_new_folio; remove_migration_ptes; unlock and put back. Each
 * step is where the kernel may wait (mmap_lock, the folio lock, a page-table lock) or where
 * another thread may act on the migration entries (fault, fork, zap).
 *
 * MPOL_MF_MOVE leaves a page mapped by more than one process alone (-EACCES in its status);
 * `all` is MPOL_MF_MOVE_ALL. The kernel retries a page that stays -EAGAIN up to ten times;
 * each retry starts over from the same state, so the model makes one attempt. A page's status
 * errors (-ENOENT, -EFAULT, -EBUSY, -EACCES) leave the syscall's return 0.
 */
import type { Kernel } from "../kernel.js";
import { L_FLAGS, L_LOCKED, L_NEW, L_PAGE } from "../kernel.js";
import { PG_ISOLATED } from "../layout.js";
import { alloc_hugetlb_folio_nodemask } from "../hugetlb/pool.js";
import { folio_mapped, move_to_new_folio, remove_migration_ptes, rmap_walk_ptls_free, try_to_migrate } from "../mm/migrate.js";
import { folio_alloc, folio_put } from "../mm/page_alloc.js";
import { pte_page, pte_present, pte_special } from "../mm/pte.js";
import { find_vma, small_addr } from "../mm/vma.js";
import { BLOCKED, DONE, procedure, Result } from "../types.js";

/** L_FLAGS: move_to_new_folio succeeded (MIGRATEPAGE_SUCCESS). */
const MIGRATED = 1;

/** The page the operation names, if its pte maps one (folio_walk_start): 0 otherwise. */
function page_at(k: Kernel, t: number, vma: number): number {
  const op = k.op(t);
  let pte: number;
  if (k.is_vm_hugetlb_page(vma)) pte = k.pte(op.proc, op.addr);
  else if (k.vma_is_anonymous(vma) && k.vm_nr_pages(vma)) pte = k.small_pte(op.proc, op.addr, op.page);
  else return 0;
  // A migration entry is no page to walk to (-ENOENT); the zero page is on no LRU (-EBUSY).
  return pte_present(pte) && !pte_special(pte) ? pte_page(pte) : 0;
}

/** folio_putback_hugetlb / putback_movable_pages: the isolation ends, its reference goes. */
function putback(k: Kernel, g: number): void {
  k.page_clear(g, PG_ISOLATED);
  folio_put(k, g);
}

function finish(k: Kernel, t: number, result: number): number {
  k.set_result(t, result);
  return DONE;
}

/**
 * The end of a migration that locked its source: the entries go back to ptes (of the new folio
 * if it was moved), the source is unlocked and put back. Moved, the old folio's last reference
 * (the isolation's) frees it and the new one keeps the references its ptes took; not moved, the
 * new one is freed (put_new_folio).
 */
function migrate_end(k: Kernel, t: number, migrated: boolean): number {
  const src = k.local(t, L_PAGE);
  const dst = k.local(t, L_NEW);
  remove_migration_ptes(k, src, migrated ? dst : src);
  k.unlock(k.folio_lock_word(src), t);
  k.set_local(t, L_LOCKED, 0);
  k.set_local(t, L_PAGE, 0);
  k.set_local(t, L_NEW, 0);
  putback(k, src);
  folio_put(k, dst);
  return finish(k, t, migrated ? Result.OK : Result.EAGAIN);
}

export const migrate = procedure<
  "add_page_for_migration" | "get_new_folio" | "migrate_folio_unmap" | "move_to_new_folio" | "remove_migration_ptes"
>("migrate", ["add_page_for_migration", "get_new_folio", "migrate_folio_unmap", "move_to_new_folio", "remove_migration_ptes"], (pc) => ({
  add_page_for_migration: {
    fn: "add_page_for_migration",
    reads: ["vma", "pte", "page"],
    writes: ["mmap_lock", "page"],
    run(k, t) {
      const op = k.op(t);
      if (!k.down_read_trylock(k.mmap_lock(op.proc), t)) return BLOCKED;
      const vma = find_vma(k, op.proc, small_addr(op.addr, op.page));
      const g = vma ? page_at(k, t, vma) : 0;
      k.up_read(k.mmap_lock(op.proc), t);
      if (!g) return finish(k, t, Result.OK);
      // MPOL_MF_MOVE: folio_maybe_mapped_shared; an isolated page is some other migration's.
      if ((!op.moveAll && k.page_mapcount(g) > 1) || k.page_test(g, PG_ISOLATED)) return finish(k, t, Result.OK);
      // isolate_hugetlb / folio_isolate_lru: off its list, with a reference.
      k.page_set(g, PG_ISOLATED);
      k.folio_get(g);
      k.set_local(t, L_PAGE, g);
      return pc.get_new_folio;
    },
  },
  get_new_folio: {
    // unmap_and_move_huge_page / migrate_folio_unmap up to the folio lock.
    fn: "alloc_migration_target",
    reads: ["page", "pool"],
    writes: ["page", "pool"],
    run(k, t) {
      const src = k.local(t, L_PAGE);
      if (k.page_ref(src) === 1) {
        // "page was freed from under us. So we are done."
        k.set_local(t, L_PAGE, 0);
        putback(k, src);
        return finish(k, t, Result.OK);
      }
      const dst = k.folio_test_hugetlb(src) ? alloc_hugetlb_folio_nodemask(k) : folio_alloc(k);
      if (!dst) {
        k.set_local(t, L_PAGE, 0);
        putback(k, src);
        return finish(k, t, Result.ENOMEM);
      }
      k.set_local(t, L_NEW, dst);
      return pc.migrate_folio_unmap;
    },
  },
  migrate_folio_unmap: {
    // folio_lock(src) (MIGRATE_SYNC waits for it), then try_to_migrate under each PTL.
    fn: "migrate_folio_unmap",
    reads: ["pte", "page"],
    writes: ["page_lock", "ptl", "pte", "page", "pool"],
    run(k, t) {
      const src = k.local(t, L_PAGE);
      if (!k.trylock(k.folio_lock_word(src), t)) return BLOCKED;
      if (!rmap_walk_ptls_free(k)) return BLOCKED;
      k.set_local(t, L_LOCKED, src);
      try_to_migrate(k, src);
      // Still mapped (a pinned exclusive page): -EAGAIN, no pte was turned into an entry.
      return folio_mapped(k, src) ? migrate_end(k, t, false) : pc.move_to_new_folio;
    },
  },
  move_to_new_folio: {
    fn: "move_to_new_folio",
    reads: ["page"],
    writes: ["page"],
    run(k, t) {
      if (move_to_new_folio(k, k.local(t, L_NEW), k.local(t, L_PAGE))) k.set_local(t, L_FLAGS, MIGRATED);
      return pc.remove_migration_ptes;
    },
  },
  remove_migration_ptes: {
    // migrate_folio_move / unmap_and_move_huge_page's end: the ptes back, then unlock and put.
    fn: "remove_migration_ptes",
    reads: ["pte"],
    writes: ["ptl", "pte", "page", "page_lock", "pool"],
    run(k, t) {
      if (!rmap_walk_ptls_free(k)) return BLOCKED;
      return migrate_end(k, t, k.local(t, L_FLAGS) === MIGRATED);
    },
  },
}));
