/**
 * Truncate takes the file's data away from every mapping (kernel-notes §5): truncate_pagecache
 * unmaps private COW copies too, and unmaps a second time for the copies faults made meanwhile.
 * So once no truncate of a 4 KiB file is in flight (its inode_lock is free), no pte of a mapping
 * of the file maps an index at or past i_size; and a fault never sets a pte to a private copy of
 * data that truncate removed after the copy was made — it would show, even after the file grows
 * again, data the file no longer has. Likewise a hole punch of a hugetlbfs file: once
 * remove_inode_hugepages has visited an index of the hole, the page the index held is gone from
 * the page cache (a fault may add a new, zeroed one afterwards, never keep the old one).
 */
import { L_FAULT_PTE, L_FLAGS, L_IDX, L_NEW, L_VMA } from "../model/kernel.js";
import { COW_COPY_STALE } from "../model/mm/memory.js";
import { pte_page } from "../model/mm/pte.js";
import { vmas_of } from "../model/mm/vma.js";
import { F4_I_RWSEM, F4_SIZE, VM_FILE, VM_FLAGS, VM_NR_PAGES, VM_PGOFF, VM_START } from "../model/layout.js";
import { pteWords, vmaWords } from "./reads.js";
import type { Invariant } from "./types.js";

export const truncateCoherence: Invariant = {
  name: "truncate-coherence",
  summary: "after truncate no mapping shows the file past i_size, no fault installs a copy of data truncate removed, and a hole punch leaves no page in the hole",
  // With no 4 KiB file the state check reads nothing.
  reads: (k) =>
    k.L.files4k === 0
      ? []
      : [
          ...Array.from({ length: k.L.files4k }, (_, f) => [k.L.file4k(f) + F4_I_RWSEM, k.L.file4k(f) + F4_SIZE]).flat(),
          ...vmaWords(k, [VM_FLAGS, VM_FILE, VM_NR_PAGES, VM_PGOFF, VM_START]),
          ...pteWords(k),
        ],
  state({ k }) {
    for (let f = 0; f < k.L.files4k; f++) {
      if (k.a[k.file4k_i_rwsem(f)]) continue;
      const size = k.file4k_i_size(f);
      for (let p = 0; p < k.L.procs; p++)
        for (const v of vmas_of(k, p)) {
          if (!k.vma_is_file4k(v) || k.vm_file(v) !== f) continue;
          for (let idx = Math.max(size, k.vm_first_page(v)); idx < k.vm_end_page(v); idx++)
            if (k.small_pte(p, k.vm_start(v), idx))
              return `mm${p} still maps index ${idx} of ${k.cfg.files4k[f]!.name} after truncate to ${size} pages`;
        }
    }
    return null;
  },
  step({ before, after, thread, step }) {
    if (step.label === "remove_inode_hugepages") {
      const f = before.op(thread).file;
      const idx = before.local(thread, L_IDX);
      const g = before.page_cache(f, idx);
      if (g && after.page_cache(f, idx) === g)
        return `${before.op(thread).text} left page${g}, index ${idx} of ${before.cfg.files[f]!.name}, in the hole (mapped ${after.page_mapcount(g)} times): its data outlives the punch`;
    }
    const copy = before.local(thread, L_NEW);
    if (!copy || !(before.local(thread, L_FLAGS) & COW_COPY_STALE)) return null;
    const pte = after.a[before.local(thread, L_FAULT_PTE) - 1];
    if (!pte || pte_page(pte) !== copy) return null;
    const f = before.cfg.files4k[before.vm_file(before.local(thread, L_VMA))]!.name;
    return `${before.op(thread).text} mapped page${copy}, its copy of index ${before.local(thread, L_IDX)} of ${f}, made before truncate removed that index`;
  },
};
