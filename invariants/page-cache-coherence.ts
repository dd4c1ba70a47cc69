/**
 * A shared mapping shows the file: every pte of a MAP_SHARED hugetlb VMA maps the page that the
 * file's page cache holds at that index. A page mapped there but no longer in the page cache
 * was left behind by a truncate or hole punch that raced a fault (kernel-notes §7.5).
 */
import type { Kernel } from "../model/kernel.js";
import { pte_page, pte_present } from "../model/mm/pte.js";
import { VMA_USED, VM_HUGETLB, VM_SHARED } from "../model/layout.js";
import type { Invariant } from "./types.js";

export const pageCacheCoherence: Invariant = {
  name: "page-cache-coherence",
  summary: "every pte of a shared mapping maps the file's page-cache page at that index",
  state({ k }: { k: Kernel }) {
    for (let p = 0; p < k.L.procs; p++)
      for (let slot = 0; slot < k.L.vmaSlots; slot++) {
        const v = k.L.vma(p, slot);
        const flags = k.vm_flags(v);
        if (!(flags & VMA_USED)) break;
        if (!(flags & VM_SHARED) || !(flags & VM_HUGETLB)) continue;
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
