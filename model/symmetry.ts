/**
 * Symmetry of page names (core/system.ts Symmetry): the model names a page by the slot it was
 * allocated from, lowest free first (hugetlb/pool.ts first_page, mm/page_alloc.ts folio_alloc),
 * where the kernel takes whichever page heads its free list. Two states that differ only in
 * which slot holds which page are the same kernel state; the search counts them once.
 *
 * Interchangeable: the hugetlb pool's slots 1…pages, and the 4 KiB slots after the zero page;
 * each set is renamed within itself. Not: the zero page (ZERO_PAGE(0), named by the pte that
 * maps it specially) and the 4 KiB files' blocks (named by file and index).
 *
 * Why a renaming is a symmetry of the model:
 * - a page's id is held in the page-cache slots, the ptes (present or migration entries), the
 *   thread locals L_PAGE, L_NEW, L_LOCKED, L_GUP, L_ORIG_PTE, and the mmu_gather mask L_TLB;
 *   the renaming rewrites every one of them, and no other word holds a page id;
 * - steps and invariants compare page ids for equality only (pte_same, page == page), except
 *   where a step picks a page by its number: the allocators take the lowest free slot,
 *   return_unused_surplus_pages the highest, tlb_finish_mmu frees its mask lowest first. A freed
 *   page is zeroed (clear_page_struct), so free pages (and the pool's buddy slots) are alike
 *   as long as nothing names them: which of them a step takes, or which of the pages it frees
 *   goes back first, gives states that are renamings of each other, the kernel's free-list
 *   order (LIFO) being one more such choice. A free page is named only by a stale reference
 *   (a fault's L_ORIG_PTE, which holds no reference on its page, after another thread freed
 *   it): then its future differs from the other free pages' (pte_same may see it come back,
 *   ABA), and the state is left as it is, and so is one where a page that such a local names
 *   sits in an mmu_gather about to be freed. Those states are deduplicated only when equal.
 * Canonical form: in each set, the pages in use first, ordered by their words and then by the
 * first word that names them (the free and buddy slots after, in their order), so that two
 * renamings of a state mostly meet in one form; a state whose order is that already is left
 * without any work but a scan.
 */
import { laneHi, laneLo, ZOBRIST, ZOBRIST_WORDS } from "../core/fingerprint.js";
import type { Symmetry } from "../core/system.js";
import type { ModelConfig } from "./config.js";
import { L_GUP, L_LOCKED, L_NEW, L_ORIG_PTE, L_PAGE, L_TLB } from "./kernel.js";
import * as S from "./layout.js";
import type { Layout } from "./layout.js";

/** What a reference word holds: a page id, a pte (or migration entry), an mmu_gather mask. */
const ID = 0;
const PTE = 1;
const MASK = 2;

/** A word's lanes, as StateView.w() computes them. */
function xorHi(i: number, v: number): number {
  return i < ZOBRIST_WORDS && ((v + 128) >>> 8) === 0 ? ZOBRIST[2 * ((i << 8) | (v & 255))]! : laneHi(i, v);
}
function xorLo(i: number, v: number): number {
  return i < ZOBRIST_WORDS && ((v + 128) >>> 8) === 0 ? ZOBRIST[2 * ((i << 8) | (v & 255)) + 1]! : laneLo(i, v);
}

export class PageSymmetry implements Symmetry {
  hi = 0;
  lo = 0;
  /** The words that name pages, in offset order, and what each holds (ID, PTE, MASK). */
  private readonly refs: Int32Array;
  private readonly kinds: Uint8Array;
  /** Offsets of the L_ORIG_PTE and L_TLB locals of each thread slot. */
  private readonly origPtes: Int32Array;
  private readonly tlbs: Int32Array;
  /** The sets of interchangeable slots: ids first[i]…last[i] (typed arrays: read on the hot path). */
  private readonly first: Int32Array;
  private readonly last: Int32Array;
  /** Per page id: 1 if it is in a set. */
  private readonly inSet: Uint8Array;
  /** Per page id: the offset of its words. */
  private readonly pageOff: Int32Array;
  /** Per page id: the first reference word naming it (refs index), or refs.length. */
  private readonly firstRef: Int32Array;
  /** Per page id: its new id (the canonical renaming). */
  private readonly to: Int32Array;
  /** Page ids of a set, sorted in canonical order. */
  private readonly order: Int32Array;
  private readonly lastPage: number;
  private readonly poolPages: number;

  constructor(L: Layout, cfg: ModelConfig) {
    const refs: [number, number][] = [];
    for (let f = 0; f < L.files; f++) for (let idx = 0; idx < L.filePages; idx++) refs.push([L.cache(f, idx), ID]);
    cfg.shmem.forEach(({ pages }, i) => {
      for (let idx = 0; idx < pages; idx++) refs.push([L.shmemCache(i, idx), ID]);
    });
    for (let f = 0; f < L.files4k; f++) for (let idx = 0; idx < L.file4kPages; idx++) refs.push([L.file4kCache(f, idx), ID]);
    for (let p = 0; p < L.procs; p++) {
      for (let a = 0; a < L.addrPages; a++) refs.push([L.pte(p, a), PTE]);
      const [from, to] = L.smallPteRange(p);
      for (let o = from; o < to; o++) refs.push([o, PTE]);
    }
    const origPtes: number[] = [];
    const tlbs: number[] = [];
    for (let t = 0; t < L.threads; t++) {
      const locals = L.thread(t) + S.TH_LOCALS;
      for (const l of [L_PAGE, L_NEW, L_LOCKED, L_GUP]) refs.push([locals + l, ID]);
      refs.push([locals + L_ORIG_PTE, PTE], [locals + L_TLB, MASK]);
      origPtes.push(locals + L_ORIG_PTE);
      tlbs.push(locals + L_TLB);
      for (let j = 1; j < L.gupPages; j++) refs.push([L.gupExtra(t, j), ID]);
    }
    refs.sort((a, b) => a[0] - b[0]);
    this.refs = Int32Array.from(refs, (r) => r[0]);
    this.kinds = Uint8Array.from(refs, (r) => r[1]);
    this.origPtes = Int32Array.from(origPtes);
    this.tlbs = Int32Array.from(tlbs);
    const sets = [
      [1, L.pages],
      [L.zeroPage + 1, L.lastPage],
    ].filter(([a, b]) => b! > a!);
    this.first = Int32Array.from(sets, (x) => x[0]!);
    this.last = Int32Array.from(sets, (x) => x[1]!);
    this.inSet = new Uint8Array(L.lastBlock + 1);
    for (const [a, b] of sets) this.inSet.fill(1, a, b! + 1);
    this.pageOff = Int32Array.from({ length: L.lastBlock + 1 }, (_, g) => L.pageBase + (g - 1) * S.PAGE_SIZE_WORDS);
    this.firstRef = new Int32Array(L.lastBlock + 1);
    // Pages outside the sets keep their ids.
    this.to = Int32Array.from({ length: L.lastBlock + 1 }, (_, g) => g);
    this.order = new Int32Array(L.lastBlock + 1);
    this.lastPage = L.lastPage;
    this.poolPages = L.pages;
  }

  private page(g: number): number {
    return this.pageOff[g]!;
  }

  /** The page a reference word of kind `kind` names (0: none). */
  private named(kind: number, v: number): number {
    if (kind === ID) return v;
    return kind === PTE ? (v < 0 ? ~v : v) >> S.PTE_SHIFT : 0;
  }

  /** Renames the value of a reference word by this.to. */
  private rename(kind: number, v: number): number {
    const to = this.to;
    if (kind === MASK) {
      let m = 0;
      for (let r = v; r; r &= r - 1) {
        const g = 32 - Math.clz32(r & -r);
        m |= 1 << (to[g]! - 1);
      }
      return m;
    }
    const g = this.named(kind, v);
    if (g <= 0 || g > this.lastPage || to[g] === g) return v;
    if (kind === ID) return to[g]!;
    const pte = v < 0 ? ~v : v;
    const renamed = (to[g]! << S.PTE_SHIFT) | (pte & ((1 << S.PTE_SHIFT) - 1));
    return v < 0 ? ~renamed : renamed;
  }

  /**
   * Sets this.to to s's canonical renaming; false when s is left as it is (a page that may
   * come back is named: see above) or already canonical.
   */
  private plan(s: Int32Array): boolean {
    const { refs, kinds, firstRef, to, order } = this;
    const none = refs.length;
    const sets = this.first.length;
    for (let i = 0; i < sets; i++) firstRef.fill(none, this.first[i]!, this.last[i]! + 1);
    for (let r = 0; r < refs.length; r++) {
      const v = s[refs[r]!]!;
      if (v === 0) continue;
      const kind = kinds[r]!;
      if (kind === MASK) {
        // Only hugetlb pages 1–31 go in a gather (tlb_remove_page); anything else: leave s be.
        if (v < 0 || v === S.POISON) return false;
        for (let m = v; m; m &= m - 1) {
          const g = 32 - Math.clz32(m & -m);
          if (s[this.page(g) + S.PG_STATE] !== S.PAGE_IN_USE) return false;
          if (firstRef[g] === none) firstRef[g] = r;
        }
        continue;
      }
      const g = this.named(kind, v);
      if (g <= 0 || g > this.lastPage || !this.inSet[g]) continue;
      if (s[this.page(g) + S.PG_STATE] !== S.PAGE_IN_USE) return false;
      if (firstRef[g] === none) firstRef[g] = r;
    }
    // A page a fault's orig_pte names, in a gather that will free it: its pte_same may see ABA.
    for (let i = 0; i < this.origPtes.length; i++) {
      const v = s[this.origPtes[i]!]!;
      if (v === 0 || v === S.POISON) continue;
      const g = this.named(PTE, v);
      if (g < 1 || g > this.poolPages || g > 31) continue;
      for (let j = 0; j < this.tlbs.length; j++) if (s[this.tlbs[j]!]! & (1 << (g - 1))) return false;
    }
    let moved = false;
    for (let k = 0; k < sets; k++) {
      const a = this.first[k]!;
      const b = this.last[k]!;
      // Insertion sort: a set has a few pages.
      const n = b - a + 1;
      for (let i = 0; i < n; i++) {
        const g = a + i;
        let j = i;
        while (j > 0 && this.before(s, g, order[j - 1]!)) {
          order[j] = order[j - 1]!;
          j--;
        }
        order[j] = g;
      }
      for (let i = 0; i < n; i++) {
        to[order[i]!] = a + i;
        if (order[i] !== a + i) moved = true;
      }
    }
    return moved;
  }

  /** Does page g come before page h in the canonical order (h < g as ids)? */
  private before(s: Int32Array, g: number, h: number): boolean {
    const pg = this.page(g);
    const ph = this.page(h);
    const ug = s[pg + S.PG_STATE] === S.PAGE_IN_USE;
    const uh = s[ph + S.PG_STATE] === S.PAGE_IN_USE;
    if (ug !== uh) return ug;
    // Free slots keep their order: the allocators take them by number.
    if (!ug) return false;
    for (let w = 0; w < S.PAGE_SIZE_WORDS; w++) {
      const d = s[pg + w]! - s[ph + w]!;
      if (d) return d < 0;
    }
    return this.firstRef[g]! < this.firstRef[h]!;
  }

  canonicalize(s: Int32Array): void {
    let hi = 0;
    let lo = 0;
    if (this.plan(s)) {
      const to = this.to;
      for (let k = 0; k < this.first.length; k++)
        for (let g = this.first[k]!; g <= this.last[k]!; g++) {
          if (to[g] === g) continue;
          // Page g's words go to slot to[g]; every slot of a moved page is some page's target.
          const from = this.page(g);
          const at = this.page(to[g]!);
          for (let w = 0; w < S.PAGE_SIZE_WORDS; w++) {
            const old = s[at + w]!;
            const v = s[from + w]!;
            if (old === v) continue;
            hi ^= xorHi(at + w, old) ^ xorHi(at + w, v);
            lo ^= xorLo(at + w, old) ^ xorLo(at + w, v);
          }
        }
      const { refs, kinds } = this;
      for (let r = 0; r < refs.length; r++) {
        const i = refs[r]!;
        const v = s[i]!;
        if (v === 0) continue;
        const v2 = this.rename(kinds[r]!, v);
        if (v2 === v) continue;
        hi ^= xorHi(i, v) ^ xorHi(i, v2);
        lo ^= xorLo(i, v) ^ xorLo(i, v2);
      }
    }
    this.hi = hi >>> 0;
    this.lo = lo >>> 0;
  }

  canonical(s: Int32Array, out: Int32Array): void {
    out.set(s);
    if (!this.plan(s)) return;
    const to = this.to;
    for (let k = 0; k < this.first.length; k++)
      for (let g = this.first[k]!; g <= this.last[k]!; g++) if (to[g] !== g) out.set(s.subarray(this.page(g), this.page(g) + S.PAGE_SIZE_WORDS), this.page(to[g]!));
    for (let r = 0; r < this.refs.length; r++) {
      const i = this.refs[r]!;
      if (s[i] !== 0) out[i] = this.rename(this.kinds[r]!, s[i]!);
    }
  }
}
