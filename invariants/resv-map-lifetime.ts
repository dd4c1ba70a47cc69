/**
 * resv-map-lifetime: a MAP_PRIVATE reserve map lives exactly as long as the VMAs that point at
 * it. Its kref counts them: resv_map_alloc at mmap (hugetlb_reserve_pages, set_vma_resv_map),
 * +1 for each half a split makes (hugetlb_vm_op_open), −1 at each ->close (hugetlb_vm_op_close)
 * and on hugetlb_reserve_pages's error path; a fork child's copy points at none
 * (hugetlb_dup_vma_private). A map whose kref is still held once no VMA points at it has
 * leaked; a VMA pointing at a map whose kref reached zero holds a freed map, which the next
 * fault, close or hugetlb VMA lock would use after it was freed.
 */
import type { Kernel } from "../model/kernel.js";
import { RESV_REFS, VMA_USED, VM_FLAGS, VM_RESV_MAP } from "../model/layout.js";
import { resvWords, vmaWords } from "./reads.js";
import type { Invariant } from "./types.js";

/** Per map id, how many VMAs point at it: one walk of every VMA, into a buffer kept between calls. */
let holders = new Int32Array(0);
function countHolders(k: Kernel): Int32Array {
  if (holders.length < k.L.resvMaps + 1) holders = new Int32Array(k.L.resvMaps + 1);
  holders.fill(0, 0, k.L.resvMaps + 1);
  for (let p = 0; p < k.L.procs; p++)
    for (let slot = 0; slot < k.L.vmaSlots; slot++) {
      const v = k.L.vma(p, slot);
      if (!(k.vm_flags(v) & VMA_USED)) break;
      holders[k.vma_resv_map(v)]!++;
    }
  return holders;
}

export const resvMapLifetime: Invariant = {
  name: "resv-map-lifetime",
  summary: "a private resv_map's kref equals the VMAs pointing at it: none leaks once unused, none is used after it is freed",
  reads: (k) => [...vmaWords(k, [VM_FLAGS, VM_RESV_MAP]), ...resvWords(k, [RESV_REFS])],
  state({ k }) {
    const held = countHolders(k);
    for (let id = 1; id <= k.L.resvMaps; id++) {
      const refs = k.resv_refs(id);
      const n = held[id]!;
      if (refs === n) continue;
      if (n === 0) return `resv_map${id} leaked: its kref is ${refs} but no VMA points at it any more`;
      if (refs === 0) return `resv_map${id} was freed (kref 0) while ${n} VMA${n > 1 ? "s" : ""} still point at it: a use after free`;
      return `resv_map${id}'s kref is ${refs} but ${n} VMAs point at it`;
    }
    return null;
  },
};
