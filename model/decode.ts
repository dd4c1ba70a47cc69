/**
 * A state as plain kernel objects, named as in the kernel: for traces (ITF), diagrams and
 * replay messages. Not on the search's hot path. ITF has no null, so an absent holder, mapping
 * or lock owner is "", and the ptes are a Map of the present entries only.
 */
import type { Kernel } from "./kernel.js";
import { L_FLAGS, L_GUP, L_IDX, L_LOCKED, L_NEW, L_ORIG_PTE, L_PAGE, L_TLB } from "./kernel.js";
import * as S from "./layout.js";
import { tlb_first_page } from "./mm/mmu_gather.js";
import {
  huge_pte_write,
  is_exclusive_migration_entry,
  is_migration_entry,
  is_writable_migration_entry,
  migration_entry_page,
  pte_page,
  pte_present,
  pte_special,
  pte_write,
} from "./mm/pte.js";
import { vmas_of } from "./mm/vma.js";
import { regions } from "./region.js";
import { RESULT_NAMES } from "./types.js";

const VMA_FLAG_NAMES: [number, string][] = [
  [S.VM_SHARED, "VM_SHARED"],
  [S.VM_WRITE, "VM_WRITE"],
  [S.VM_NORESERVE, "VM_NORESERVE"],
  [S.HPAGE_RESV_OWNER, "HPAGE_RESV_OWNER"],
  [S.HPAGE_RESV_UNMAPPED, "HPAGE_RESV_UNMAPPED"],
  [S.VM_ANON_VMA, "anon_vma"],
  [S.VM_HUGETLB, "VM_HUGETLB"],
  [S.VM_LOCKED, "VM_LOCKED"],
  [S.VM_PAGE_HUGE_DEV, "page_huge_dev"],
  [S.VM_FILE4K, "file"],
  [S.VM_MIXEDMAP, "VM_MIXEDMAP"],
];
const MM_STATES = ["unborn", "alive", "exited"] as const;
const PAGE_STATES = ["buddy", "free", "in_use"] as const;

function lockHolders(k: Kernel, off: number, rw: boolean): { writer: string; readers: string[] } {
  const name = (t: number) => k.cfg.threads[t]?.name ?? "setup";
  const w = k.a[off]!;
  const readers: string[] = [];
  if (rw) for (let t = 0; t < k.L.threads; t++) if (k.a[off + 1]! & (1 << t)) readers.push(name(t));
  return { writer: w ? name(w - 1) : "", readers };
}

/** The page ids of an mmu_gather (model/mm/mmu_gather.ts). */
function gathered(tlb: number): number[] {
  const out: number[] = [];
  for (let m = tlb; m; m &= m - 1) out.push(tlb_first_page(m));
  return out;
}

/** Process p's ptes by address (in huge pages), present entries only. */
function presentPtes(k: Kernel, p: number): Map<number, { page: number; write: boolean }> {
  const out = new Map<number, { page: number; write: boolean }>();
  for (let a = 0; a < k.L.addrPages; a++) {
    const pte = k.pte(p, a);
    if (pte_present(pte)) out.set(a, { page: pte_page(pte), write: huge_pte_write(pte) });
  }
  return out;
}

/** Process p's 4 KiB ptes by "slot.page", present entries only; `zero` marks the zero page's special pte. */
function presentSmallPtes(k: Kernel, p: number): Map<string, { page: number; write: boolean; zero: boolean }> {
  const out = new Map<string, { page: number; write: boolean; zero: boolean }>();
  for (const { slot, pages } of k.cfg.smallSlots)
    for (let i = 0; i < pages; i++) {
      const pte = k.small_pte(p, slot, i);
      if (pte_present(pte)) out.set(`${slot}.${i}`, { page: pte_page(pte), write: pte_write(pte), zero: pte_special(pte) && pte_page(pte) === k.L.zeroPage });
    }
  return out;
}

/** Process p's migration entries, by address ("slot.page" for a 4 KiB one). */
function migrationEntries(k: Kernel, p: number): Map<string, { page: number; write: boolean; exclusive: boolean }> {
  const out = new Map<string, { page: number; write: boolean; exclusive: boolean }>();
  const add = (at: string, pte: number) =>
    out.set(at, { page: migration_entry_page(pte), write: is_writable_migration_entry(pte), exclusive: is_exclusive_migration_entry(pte) });
  for (let a = 0; a < k.L.addrPages; a++) if (is_migration_entry(k.pte(p, a))) add(String(a), k.pte(p, a));
  for (const { slot, pages } of k.cfg.smallSlots)
    for (let i = 0; i < pages; i++) if (is_migration_entry(k.small_pte(p, slot, i))) add(`${slot}.${i}`, k.small_pte(p, slot, i));
  return out;
}

/** The name of a page's mapping: a hugetlbfs file, a shmem inode, or a 4 KiB file (numbered in that order). */
function mappingName(k: Kernel, m: number): string {
  if (!m) return "";
  if (m <= k.cfg.files.length) return k.cfg.files[m - 1]!.name;
  const i = m - k.cfg.files.length - 1;
  return i < k.cfg.shmem.length ? `shmem${i}` : k.cfg.files4k[i - k.cfg.shmem.length]!.name;
}

/** A VMA's file: hugetlbfs, shmem, a 4 KiB file, or none (anonymous). */
function vmaFileName(k: Kernel, v: number): string {
  if (k.is_vm_hugetlb_page(v)) return k.cfg.files[k.vm_file(v)]?.name ?? "";
  if (k.vma_is_file4k(v)) return k.cfg.files4k[k.vm_file(v)]!.name;
  return k.vma_is_shared(v) ? `shmem${k.vm_file(v)}` : "";
}

export function decode(k: Kernel) {
  const threadName = (t: number) => k.cfg.threads[t]?.name ?? "setup";
  return {
    hstate: {
      nr_huge_pages: k.nr_huge_pages,
      free_huge_pages: k.free_huge_pages,
      resv_huge_pages: k.resv_huge_pages,
      surplus_huge_pages: k.surplus_huge_pages,
    },
    inodes: k.cfg.files.map((f, i) => ({
      name: f.name,
      i_size: k.i_size(i),
      resv_map: regions(k.inode_resv_map(i)),
      page_cache: Array.from({ length: f.pages }, (_, idx) => k.page_cache(i, idx)),
      i_mmap_rwsem: lockHolders(k, k.i_mmap_rwsem(i), true),
      fault_mutex: Array.from({ length: f.pages }, (_, idx) => lockHolders(k, k.hugetlb_fault_mutex(i, idx), false).writer),
      // A reference a syscall holds across a dropped mmap_lock (madvise_willneed's get_file).
      ...(k.i_file_refs(i) ? { f_count: k.i_file_refs(i) } : {}),
      // Only a file on a mount with size=/min_size= has a subpool (hugepage_subpool).
      ...(k.subpool_inode(i) < 0
        ? {}
        : {
            subpool: {
              max_hpages: f.maxHpages,
              min_hpages: f.minHpages,
              used_hpages: k.spool_used_hpages(i),
              rsv_hpages: k.spool_rsv_hpages(i),
            },
          }),
    })),
    mms: k.cfg.processes.map((p, i) => ({
      name: p.name,
      state: MM_STATES[k.mm_state(i)] ?? "unborn",
      mmap_lock: lockHolders(k, k.mmap_lock(i), true),
      page_table_lock: lockHolders(k, k.ptl(i), false).writer,
      vmas: vmas_of(k, i).map((v) => ({
        vm_start: k.vm_start(v),
        vm_end: k.vm_end(v),
        vm_pgoff: k.vm_pgoff(v),
        file: vmaFileName(k, v),
        nr_pages: k.is_vm_hugetlb_page(v) ? 0 : k.vm_nr_pages(v),
        flags: VMA_FLAG_NAMES.filter(([bit]) => k.vm_flags(v) & bit).map(([, n]) => n),
        resv_map: k.vma_resv_map(v),
        resv_count: k.vma_resv_huge_pages(v),
        hugetlb_vma_lock: lockHolders(k, v + S.VM_LOCK_WRITER, true),
      })),
      ptes: presentPtes(k, i),
      small_ptes: presentSmallPtes(k, i),
      migration_entries: migrationEntries(k, i),
    })),
    resv_maps: Array.from({ length: k.L.resvMaps }, (_, j) => ({
      id: j + 1,
      refs: k.resv_refs(j + 1),
      regions: regions(k.resv_regions(j + 1)),
      rw_sema: lockHolders(k, k.L.resv(j + 1) + S.RESV_RW_WRITER, true),
    })),
    shmem: k.cfg.shmem.map((sh, i) => ({
      name: `shmem${i}`,
      vmas: k.shmem_vmas(i),
      page_cache: Array.from({ length: sh.pages }, (_, idx) => k.shmem_cache(i, idx)),
    })),
    files4k: k.cfg.files4k.map((f, i) => ({
      name: f.name,
      i_size: k.file4k_i_size(i),
      page_cache: Array.from({ length: f.pages }, (_, idx) => k.file4k_cache(i, idx)),
      blocks: Array.from({ length: f.pages }, (_, idx) => (k.buffer_mapped(i, idx) ? { block: k.block(i, idx), content: k.page_content(k.block(i, idx)) } : "hole")),
      i_mmap_rwsem: lockHolders(k, k.file4k_i_mmap_rwsem(i), true),
      invalidate_lock: lockHolders(k, k.invalidate_lock(i), true),
    })),
    pages: Array.from({ length: k.L.lastPage }, (_, j) => {
      const g = j + 1;
      return {
        id: g,
        kind: k.folio_test_hugetlb(g) ? "hugetlb" : k.is_reserved_zero(g) ? "zero" : "4k",
        state: PAGE_STATES[k.page_state(g)] ?? "buddy",
        refcount: k.page_ref(g),
        mapcount: k.page_mapcount(g),
        anon: k.page_test(g, S.PG_ANON),
        anon_exclusive: k.page_test(g, S.PG_ANON_EXCLUSIVE),
        restore_reserve: k.page_test(g, S.PG_RESTORE_RESERVE),
        content: k.page_content(g),
        pins: k.page_pins(g),
        mapping: mappingName(k, k.page_mapping(g)),
        index: k.page_index(g),
        locked_by: lockHolders(k, k.folio_lock_word(g), false).writer,
      };
    }),
    threads: k.cfg.threads.map((th, t) => {
      const op = th.ops[k.thread_op(t)];
      return {
        name: threadName(t),
        op: op ? op.text : "done",
        step: op ? op.procedure.steps[k.thread_pc(t)]!.label : "done",
        last_result: k.thread_result(t) === S.POISON ? "uninitialised" : (RESULT_NAMES[k.thread_result(t)] ?? String(k.thread_result(t))),
        locals: {
          orig_pte: k.local(t, L_ORIG_PTE),
          page: k.local(t, L_PAGE),
          new_page: k.local(t, L_NEW),
          locked_page: k.local(t, L_LOCKED),
          idx: k.local(t, L_IDX),
          flags: k.local(t, L_FLAGS),
          gup_page: k.local(t, L_GUP),
          // The pages past the first that a get_user_pages of several holds (gup4k pages).
          ...(k.L.gupPages > 1 ? { gup_pages: Array.from({ length: k.L.gupPages - 1 }, (_, j) => k.gup_page(t, j + 1)) } : {}),
          mmu_gather: gathered(k.local(t, L_TLB)),
        },
      };
    }),
  };
}
