/**
 * Ptes: 0 is none; else the page id with a write bit, and for the zero page pte_special
 * (make_huge_pte, huge_pte_write for huge pages; mk_pte, pte_write for 4 KiB ones).
 */
import { PTE_SHIFT, PTE_SPECIAL, PTE_WRITE } from "../layout.js";

export function make_huge_pte(g: number, writable: boolean): number {
  return (g << PTE_SHIFT) | (writable ? PTE_WRITE : 0);
}
export function pte_page(pte: number): number {
  return pte >> PTE_SHIFT;
}
export function huge_pte_write(pte: number): boolean {
  return (pte & PTE_WRITE) !== 0;
}
export function huge_pte_wrprotect(pte: number): number {
  return pte & ~PTE_WRITE;
}
export function huge_pte_mkwrite(pte: number): number {
  return pte | PTE_WRITE;
}

/** mk_pte for a 4 KiB page; writable as vma->vm_page_prot or maybe_mkwrite say. */
export function mk_pte(g: number, writable: boolean): number {
  return (g << PTE_SHIFT) | (writable ? PTE_WRITE : 0);
}
/**
 * pte_mkspecial(pfn_pte(pfn, prot)) read-only: a pfn with no struct page to count (a DAX block
 * inserted by vm_insert_mixed), or the zero page.
 */
export function pfn_pte_special(pfn: number): number {
  return (pfn << PTE_SHIFT) | PTE_SPECIAL;
}
/** pte_mkspecial(pfn_pte(my_zero_pfn(addr), vma->vm_page_prot)): never writable. */
export function zero_pte(zeroPage: number): number {
  return pfn_pte_special(zeroPage);
}
export function pte_special(pte: number): boolean {
  return (pte & PTE_SPECIAL) !== 0;
}
export function pte_write(pte: number): boolean {
  return (pte & PTE_WRITE) !== 0;
}
export function pte_wrprotect(pte: number): number {
  return pte & ~PTE_WRITE;
}
export function pte_mkwrite(pte: number): number {
  return pte | PTE_WRITE;
}
