/**
 * Ptes: 0 is none; else the page id with a write bit, and for the zero page pte_special
 * (make_huge_pte, huge_pte_write for huge pages; mk_pte, pte_write for 4 KiB ones).
 */
import { PTE_DIRTY, PTE_SHIFT, PTE_SPECIAL, PTE_WRITE } from "../layout.js";

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

/**
 * A migration entry (make_writable_migration_entry, make_readable_exclusive_migration_entry,
 * make_readable_migration_entry): try_to_migrate leaves it where page g was mapped, keeping
 * whether the pte was writable and the page exclusive, for remove_migration_pte to restore.
 */
export function make_migration_entry(g: number, writable: boolean, exclusive: boolean): number {
  return ~((g << PTE_SHIFT) | (writable ? PTE_WRITE : 0) | (exclusive ? PTE_SPECIAL : 0));
}
/** is_migration_entry (is_hugetlb_entry_migration for a huge pte). */
export function is_migration_entry(pte: number): boolean {
  return pte < 0;
}
/** pte_present: a pte that maps a page (or a pfn), not none and not a migration entry. */
export function pte_present(pte: number): boolean {
  return pte > 0;
}
/** pfn_swap_entry_folio: the page a migration entry stands for. */
export function migration_entry_page(entry: number): number {
  return ~entry >> PTE_SHIFT;
}
export function is_writable_migration_entry(entry: number): boolean {
  return (~entry & PTE_WRITE) !== 0;
}
export function is_exclusive_migration_entry(entry: number): boolean {
  return (~entry & PTE_SPECIAL) !== 0;
}
/** make_readable_migration_entry: what fork leaves in parent and child of a COW mapping. */
export function make_readable_migration_entry(entry: number): number {
  return ~(~entry & ~(PTE_WRITE | PTE_SPECIAL));
}
/** An entry made read-only (hugetlb_change_protection): still exclusive if it was. */
export function make_readable_exclusive_migration_entry(entry: number): number {
  return ~(~entry & ~PTE_WRITE);
}

/**
 * The pmd of a THP-able VMA's slot (the word that holds a hugetlb VMA's huge pte): 0 is
 * pmd_none; PMD_TABLE points to a page table (the slot's 4 KiB ptes: pmd_populate); anything
 * else is pmd_trans_huge, a THP or the huge zero page (pmd_special), with pmd_write and pmd_dirty.
 */
export const PMD_TABLE = PTE_SPECIAL;
export function pmd_trans_huge(pmd: number): boolean {
  return pmd > 0 && pmd !== PMD_TABLE;
}
/** folio_mk_pmd(folio, vma->vm_page_prot): clean, writable as the caller says (maybe_pmd_mkwrite). */
export function mk_huge_pmd(g: number, writable: boolean, dirty: boolean): number {
  return (g << PTE_SHIFT) | (writable ? PTE_WRITE : 0) | (dirty ? PTE_DIRTY : 0);
}
/** set_huge_zero_folio: pmd_mkspecial(folio_mk_pmd(zero_folio, vma->vm_page_prot)), never writable. */
export function mk_huge_zero_pmd(g: number): number {
  return (g << PTE_SHIFT) | PTE_SPECIAL;
}
export function pmd_page(pmd: number): number {
  return pmd >> PTE_SHIFT;
}
export function pmd_write(pmd: number): boolean {
  return (pmd & PTE_WRITE) !== 0;
}
export function pmd_dirty(pmd: number): boolean {
  return (pmd & PTE_DIRTY) !== 0;
}
export function pmd_mkdirty(pmd: number): number {
  return pmd | PTE_DIRTY;
}
export function pmd_mkwrite(pmd: number): number {
  return pmd | PTE_WRITE;
}
