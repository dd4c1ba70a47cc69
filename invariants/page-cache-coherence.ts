/**
 * A shared mapping shows the file: every pte of a MAP_SHARED hugetlb VMA, or of a MAP_SHARED
 * mapping of a 4 KiB file, maps the page that the file's page cache holds at that index. A page mapped there but no longer in the page cache
 * was left behind by a truncate or hole punch that raced a fault (kernel-notes §7.5).
 */
import type { Kernel } from "../model/kernel.js";
import { pte_page, pte_present } from "../model/mm/pte.js";
import { VMA_USED, VM_END, VM_FILE, VM_FILE4K, VM_FLAGS, VM_HUGETLB, VM_NR_PAGES, VM_PGOFF, VM_SHARED, VM_START } from "../model/layout.js";
import { cacheWords, pteWords, vmaWords } from "./reads.js";
import type { Invariant } from "./types.js";

/** A MAP_SHARED mapping of a 4 KiB file (from its start): each pte maps the page cache's page. */
function smallSharedFile(k: Kernel, p: number, v: number): string | null {
  const f = k.vm_file(v);
  for (let idx = 0; idx < k.vm_nr_pages(v); idx++) {
    const pte = k.small_pte(p, k.vm_start(v), idx);
    if (!pte) continue;
    const cached = k.file4k_cache(f, idx);
    if (pte_page(pte) !== cached)
      return `mm${p} maps page${pte_page(pte)} at index ${idx} of a shared mapping of a 4 KiB file, but the page cache holds ${cached ? `page${cached}` : "nothing"}`;
  }
  return null;
}

export const pageCacheCoherence: Invariant = {
  name: "page-cache-coherence",
  summary: "every pte of a shared mapping maps the file's page-cache page at that index",
  reads: (k) => [...vmaWords(k, [VM_START, VM_END, VM_PGOFF, VM_FLAGS, VM_FILE, VM_NR_PAGES]), ...pteWords(k), ...cacheWords(k)],
  state({ k }: { k: Kernel }) {
    for (let p = 0; p < k.L.procs; p++)
      for (let slot = 0; slot < k.L.vmaSlots; slot++) {
        const v = k.L.vma(p, slot);
        const flags = k.vm_flags(v);
        if (!(flags & VMA_USED)) break;
        if (!(flags & VM_SHARED)) continue;
        if (flags & VM_FILE4K) {
          const m = smallSharedFile(k, p, v);
          if (m) return m;
          continue;
        }
        if (!(flags & VM_HUGETLB)) continue;
        for (let a = k.vm_start(v); a < k.vm_end(v); a++) {
          const pte = k.pte(p, a);
          if (!pte_present(pte)) continue;
          const idx = k.vma_hugecache_offset(v, a);
          const cached = k.page_cache(k.vm_file(v), idx);
          if (pte_page(pte) !== cached)
            return `mm${p} maps page${pte_page(pte)} at file index ${idx} of a shared mapping, but the page cache holds ${cached ? `page${cached}` : "nothing"}`;
        }
      }
    return null;
  },
};
