/** Huge ptes: 0 is none; else the page id with a write bit (make_huge_pte, huge_pte_write). */
import { PTE_SHIFT, PTE_WRITE } from "../layout.js";

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
