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
 * Canonical form: in each set, the pages in use first, ordered by the first word that names
 * them, then by their words, then by the words naming them (PageSymmetry.before: pages alike by
 * all three are interchangeable), the free and buddy slots after, in their order; so every
 * renaming of a state's pages in use meets in one form (test/model/symmetry-canonical.test.ts).
 * (Free and buddy slots keep their order: a state and its renaming that swaps a free slot and
 * a buddy slot are counted apart.) A state whose order is that already costs a scan and a sort
 * in order. In the search, a step's form comes from its parent's (canonicalizeStep): most steps
 * write no word the renaming reads, and most that do leave the order of the pages as it was.
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

/** PageSymmetry.reads. */
const READ_REF = 1;
const READ_PAGE = READ_REF + 3;
const READ_STATE = READ_PAGE + 1;

/** What plan() made of a state. */
const LEFT_ALONE = 0;
const IN_ORDER = 1;
const MOVED = 2;

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
  readonly first: Int32Array;
  readonly last: Int32Array;
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
  /** The reference words naming a page of a set (refs indexes), as renamable() found them. */
  private readonly naming: Int32Array;
  private namingCount = 0;
  private readonly lastPage: number;
  private readonly poolPages: number;
  private readonly pageBase: number;
  /**
   * Per state word, what the renaming reads there: 0 nothing, READ_REF + kind a reference
   * word, READ_PAGE a word of a page of a set, READ_STATE its PG_STATE. A step that wrote none
   * keeps its parent's delta (canonicalizeStep).
   */
  readonly reads: Uint8Array;
  /** The parent's (canonicalize()) delta, plan (LEFT_ALONE, IN_ORDER, MOVED) and renaming. */
  private parentHi = 0;
  private parentLo = 0;
  private parentPlan = LEFT_ALONE;
  private readonly parentTo: Int32Array;
  /** The parent's pages in canonical order: parentOrder[first[k] + i] is the i-th of set k. */
  private readonly parentOrder: Int32Array;
  /** The pages in use of each set, in plan()'s last state and in the parent. */
  private readonly used: Int32Array;
  private readonly parentUsed: Int32Array;
  /** canonicalizeStep's marks of the log words seen (stamp[off] === epoch). */
  private readonly stamp: Int32Array;
  private epoch = 0;

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
    this.naming = new Int32Array(this.refs.length);
    this.lastPage = L.lastPage;
    this.poolPages = L.pages;
    this.pageBase = L.pageBase;
    this.parentTo = this.to.slice();
    this.parentOrder = this.to.slice();
    this.used = new Int32Array(sets.length);
    this.parentUsed = new Int32Array(sets.length);
    this.stamp = new Int32Array(L.size);
    this.reads = new Uint8Array(L.size);
    // No set, no renaming: no word matters (canonicalize does nothing).
    if (sets.length === 0) return;
    this.refs.forEach((off, r) => (this.reads[off] = READ_REF + this.kinds[r]!));
    for (const [a, b] of sets)
      for (let g = a!; g <= b!; g++) {
        this.reads.fill(READ_PAGE, this.pageOff[g]!, this.pageOff[g]! + S.PAGE_SIZE_WORDS);
        this.reads[this.pageOff[g]! + S.PG_STATE] = READ_STATE;
      }
  }

  private page(g: number): number {
    return this.pageOff[g]!;
  }

  /** The page a reference word of kind `kind` names (0: none). */
  private named(kind: number, v: number): number {
    if (kind === ID) return v;
    return kind === PTE ? (v < 0 ? ~v : v) >> S.PTE_SHIFT : 0;
  }

  /** Renames the value of a reference word by `to`. */
  private rename(kind: number, v: number, to: Int32Array): number {
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
   * Whether s may be renamed: false when a reference names a page that may come back (see
   * above). Sets firstRef for the pages of the sets, and `naming` to the reference words that
   * name one of them (refs indexes, `namingCount` of them), which are all a renaming rewrites.
   */
  renamable(s: Int32Array): boolean {
    const { refs, kinds, firstRef, naming, inSet, pageOff } = this;
    const none = refs.length;
    const sets = this.first.length;
    for (let i = 0; i < sets; i++) firstRef.fill(none, this.first[i]!, this.last[i]! + 1);
    let count = 0;
    let gathers = false;
    for (let r = 0; r < none; r++) {
      const v = s[refs[r]!]!;
      if (v === 0) continue;
      const kind = kinds[r]!;
      if (kind === MASK) {
        // Only hugetlb pages 1–31 go in a gather (tlb_remove_page); anything else: leave s be.
        if (v < 0 || v === S.POISON) return false;
        for (let m = v; m; m &= m - 1) {
          const g = 32 - Math.clz32(m & -m);
          if (s[pageOff[g]! + S.PG_STATE] !== S.PAGE_IN_USE) return false;
          if (firstRef[g] === none) firstRef[g] = r;
        }
        naming[count++] = r;
        gathers = true;
        continue;
      }
      const g = kind === ID ? v : (v < 0 ? ~v : v) >> S.PTE_SHIFT;
      if (g <= 0 || g > this.lastPage || !inSet[g]) continue;
      if (s[pageOff[g]! + S.PG_STATE] !== S.PAGE_IN_USE) return false;
      if (firstRef[g] === none) firstRef[g] = r;
      naming[count++] = r;
    }
    this.namingCount = count;
    if (!gathers) return true;
    // A page a fault's orig_pte names, in a gather that will free it: its pte_same may see ABA.
    for (let i = 0; i < this.origPtes.length; i++) {
      const v = s[this.origPtes[i]!]!;
      if (v === 0 || v === S.POISON) continue;
      const g = this.named(PTE, v);
      if (g < 1 || g > this.poolPages || g > 31) continue;
      for (let j = 0; j < this.tlbs.length; j++) if (s[this.tlbs[j]!]! & (1 << (g - 1))) return false;
    }
    return true;
  }

  /**
   * Sets this.to to s's canonical renaming (unless LEFT_ALONE: not renamable). In each set the
   * pages in use are sorted (insertion sort: a set has a few pages, and a state is mostly in
   * order already), the free slots follow in their order.
   */
  private plan(s: Int32Array): number {
    if (!this.renamable(s)) return LEFT_ALONE;
    const { to, order, pageOff } = this;
    let moved = false;
    for (let k = 0; k < this.first.length; k++) {
      const a = this.first[k]!;
      const b = this.last[k]!;
      let n = 0;
      for (let g = a; g <= b; g++) {
        if (s[pageOff[g]! + S.PG_STATE] !== S.PAGE_IN_USE) continue;
        let j = n++;
        while (j > 0 && this.before(s, g, order[j - 1]!)) {
          order[j] = order[j - 1]!;
          j--;
        }
        order[j] = g;
      }
      this.used[k] = n;
      for (let g = a; g <= b; g++) if (s[pageOff[g]! + S.PG_STATE] !== S.PAGE_IN_USE) order[n++] = g;
      for (let i = 0; i < n; i++) {
        to[order[i]!] = a + i;
        if (order[i] !== a + i) moved = true;
      }
    }
    return moved ? MOVED : IN_ORDER;
  }

  /** After renamable(s): whether the parent's order of the pages in use is s's canonical one. */
  private inParentOrder(s: Int32Array): boolean {
    const order = this.parentOrder;
    for (let k = 0; k < this.first.length; k++) {
      const a = this.first[k]!;
      for (let i = a + 1; i < a + this.parentUsed[k]!; i++) {
        const x = order[i - 1]!;
        const y = order[i]!;
        // The sort keeps ids in order among equals.
        if (this.before(s, y, x) || (x > y && !this.before(s, x, y))) return false;
      }
    }
    return true;
  }

  /**
   * Does page g, in use, come before page h, in use? By the first reference naming each (which
   * steps that only count references or set flags leave alone, so the parent's order mostly
   * holds: canonicalizeStep), then by their words; two first named by one gather, by the later
   * references naming one and not the other. Pages that tie are alike, named by nothing or by
   * the same gathers: their order is no matter.
   */
  private before(s: Int32Array, g: number, h: number): boolean {
    const rg = this.firstRef[g]!;
    const rh = this.firstRef[h]!;
    if (rg !== rh) return rg < rh;
    const pg = this.pageOff[g]!;
    const ph = this.pageOff[h]!;
    for (let w = 0; w < S.PAGE_SIZE_WORDS; w++) {
      const d = s[pg + w]! - s[ph + w]!;
      if (d) return d < 0;
    }
    for (let i = 0; i < this.namingCount; i++) {
      const r = this.naming[i]!;
      if (r <= rg) continue;
      const v = s[this.refs[r]!]!;
      const kind = this.kinds[r]!;
      const ng = kind === MASK ? +(g <= 31 && ((v >>> (g - 1)) & 1) === 1) : +(this.named(kind, v) === g);
      const nh = kind === MASK ? +(h <= 31 && ((v >>> (h - 1)) & 1) === 1) : +(this.named(kind, v) === h);
      if (ng !== nh) return ng > nh;
    }
    return false;
  }

  canonicalize(s: Int32Array): void {
    const plan = this.compute(s);
    this.parentHi = this.hi;
    this.parentLo = this.lo;
    this.parentPlan = plan;
    if (plan === LEFT_ALONE) return;
    for (let k = 0; k < this.first.length; k++) {
      for (let g = this.first[k]!; g <= this.last[k]!; g++) {
        this.parentTo[g] = this.to[g]!;
        this.parentOrder[this.to[g]!] = g;
      }
      this.parentUsed[k] = this.used[k]!;
    }
  }

  /**
   * From the parent's delta: the same where the step wrote no word the renaming reads; where it
   * wrote some but left the pages in use and their order as they were, the parent's renaming
   * applied to the words it wrote; else from scratch.
   */
  canonicalizeStep(s: Int32Array, log: Int32Array, logged: number): void {
    const reads = this.reads;
    let i = logged - 2;
    while (i >= 0 && reads[log[i]!] === 0) i -= 2;
    if (i < 0) {
      this.hi = this.parentHi;
      this.lo = this.parentLo;
      return;
    }
    for (let j = i; j >= 0; j -= 2) if (reads[log[j]!] === READ_STATE) return void this.compute(s);
    if (this.parentPlan === LEFT_ALONE) return void this.compute(s);
    if (!this.renamable(s)) {
      this.hi = this.lo = 0;
      return;
    }
    if (!this.inParentOrder(s)) return void this.compute(s);
    // Each word written once: its contribution to the delta with its first old value and now.
    if (++this.epoch === 0x7fffffff) {
      this.stamp.fill(0);
      this.epoch = 1;
    }
    const { stamp, epoch } = this;
    let hi = this.parentHi;
    let lo = this.parentLo;
    for (let j = 0; j <= i; j += 2) {
      const off = log[j]!;
      const what = reads[off]!;
      if (what === 0 || stamp[off] === epoch) continue;
      stamp[off] = epoch;
      const old = log[j + 1]!;
      const now = s[off]!;
      if (what === READ_PAGE) {
        // The canonical form holds page g's words at its new slot.
        const g = ((off - this.pageBase) / S.PAGE_SIZE_WORDS + 1) | 0;
        const to = this.parentTo[g]!;
        if (to === g) continue;
        const at = this.pageOff[to]! + (off - this.pageOff[g]!);
        hi ^= xorHi(off, old) ^ xorHi(off, now) ^ xorHi(at, old) ^ xorHi(at, now);
        lo ^= xorLo(off, old) ^ xorLo(off, now) ^ xorLo(at, old) ^ xorLo(at, now);
      } else {
        const kind = what - READ_REF;
        const o2 = this.rename(kind, old, this.parentTo);
        const n2 = this.rename(kind, now, this.parentTo);
        hi ^= xorHi(off, old) ^ xorHi(off, o2) ^ xorHi(off, now) ^ xorHi(off, n2);
        lo ^= xorLo(off, old) ^ xorLo(off, o2) ^ xorLo(off, now) ^ xorLo(off, n2);
      }
    }
    this.hi = hi >>> 0;
    this.lo = lo >>> 0;
  }

  /** Sets hi/lo for s from scratch; returns what plan() made of it. */
  private compute(s: Int32Array): number {
    let hi = 0;
    let lo = 0;
    const plan = this.first.length > 0 ? this.plan(s) : LEFT_ALONE;
    if (plan === MOVED) {
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
      const { refs, kinds, naming } = this;
      for (let n = 0; n < this.namingCount; n++) {
        const r = naming[n]!;
        const i = refs[r]!;
        const v = s[i]!;
        const v2 = this.rename(kinds[r]!, v, to);
        if (v2 === v) continue;
        hi ^= xorHi(i, v) ^ xorHi(i, v2);
        lo ^= xorLo(i, v) ^ xorLo(i, v2);
      }
    }
    this.hi = hi >>> 0;
    this.lo = lo >>> 0;
    return plan;
  }

  canonical(s: Int32Array, out: Int32Array): void {
    if (this.first.length > 0 && this.plan(s) === MOVED) this.renamed(s, this.to, out);
    else out.set(s);
  }

  /**
   * s with page g renamed to[g] into out: to maps each set onto itself and every other page
   * to itself. For canonical(), and for tests that rename states themselves.
   */
  renamed(s: Int32Array, to: Int32Array, out: Int32Array): void {
    out.set(s);
    for (let k = 0; k < this.first.length; k++)
      for (let g = this.first[k]!; g <= this.last[k]!; g++) if (to[g] !== g) out.set(s.subarray(this.page(g), this.page(g) + S.PAGE_SIZE_WORDS), this.page(to[g]!));
    for (let r = 0; r < this.refs.length; r++) {
      const i = this.refs[r]!;
      if (s[i] !== 0) out[i] = this.rename(this.kinds[r]!, s[i]!, to);
    }
  }
}
