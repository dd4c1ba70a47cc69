/**
 * The mm model's canonical renaming (model/symmetry.ts) as the search uses it: a canonical form
 * of every renaming of a state's pages in use, and the search's shortcut (explorer/expand.ts:
 * a step that writes no word the renaming reads keeps its parent's delta; a parent's delta is
 * its level fingerprint against its own) gives the fingerprints the renaming gives from scratch.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { fingerprint } from "../../core/fingerprint.js";
import type { Symmetry } from "../../core/system.js";
import { Checker } from "../../explorer/check.js";
import { expandRange } from "../../explorer/expand.js";
import { levelFrom } from "../../explorer/level.js";
import * as S from "../../model/layout.js";
import type { PageSymmetry } from "../../model/symmetry.js";
import { buildMm, type MmModel } from "../../models/mm.js";

const SCENARIOS = ["split-unmap", "fork-cow-write", "gup-pin-fork", "migrate-fault-4k", "truncate-fault", join(import.meta.dirname, "../../bench/fault-three.yaml")];
const XL = join(import.meta.dirname, "../../bench/split-unmap-xl.yaml");

/** The fingerprint of s's canonical form, from scratch. */
function canonicalFp(sym: Symmetry, s: Int32Array): string {
  const c = new Int32Array(s.length);
  sym.canonical(s, c);
  return fingerprint(c).join();
}

/**
 * A breadth-first search through expandRange, states known by the fingerprints it hands out
 * (as the search's visited table knows them), up to `most` states. Returns how many of those
 * fingerprints differ from the canonical form's computed from scratch, and how many it checked.
 */
function search(model: MmModel, symmetry: Symmetry, most = 10_000): { wrong: number; checked: number } {
  const sys = model.system;
  const words = sys.stateWords;
  const checker = new Checker(sys, []);
  const init = sys.initial().slice();
  const seen = new Set([canonicalFp(sys.symmetry, init)]);
  let entries = Int32Array.of(...fingerprint(init.slice()), ...init);
  entries.set(canonicalFp(sys.symmetry, init).split(",").map(Number), 0);
  let count = 1;
  let wrong = 0;
  let checked = 0;
  while (count > 0 && seen.size < most) {
    const next: number[] = [];
    let found = 0;
    expandRange(
      sys,
      checker,
      levelFrom(entries, count, words, false),
      0,
      count,
      {
        violated: () => {},
        found(_pos, _t, hi, lo, s) {
          checked++;
          const fp = `${hi},${lo}`;
          if (fp !== canonicalFp(sys.symmetry, s)) wrong++;
          if (seen.has(fp)) return;
          seen.add(fp);
          next.push(hi, lo, ...s);
          found++;
        },
      },
      symmetry,
    );
    entries = Int32Array.from(next);
    count = found;
  }
  return { wrong, checked };
}

describe("the search's canonical fingerprints (explorer/expand.ts with model/symmetry.ts)", () => {
  it("equal the canonical form's from scratch on every transition of shipped scenarios", () => {
    let all = 0;
    for (const scenario of [...SCENARIOS, XL]) {
      const model = buildMm({ scenario, variant: scenario === XL ? "fix-unmap-restore-reserve" : "modern" });
      const { wrong, checked } = search(model, model.system.symmetry);
      expect(wrong, scenario).toBe(0);
      all += checked;
    }
    expect(all).toBeGreaterThan(10_000);
  });

  it("differ where the symmetry misses words it reads: one that leaves out the threads' locals", () => {
    const model = buildMm({ scenario: XL, variant: "fix-unmap-restore-reserve" });
    const sym = model.system.symmetry;
    const L = model.system.k.L;
    for (let t = 0; t < L.threads; t++) sym.reads.fill(0, L.thread(t), L.thread(t) + S.THREAD_SIZE);
    expect(search(model, sym, 3_000).wrong).toBeGreaterThan(0);
  });
});

/** Every state of a plain search (no merging), concrete, up to `most`. */
function reachable(model: MmModel, most = 3_000): Int32Array[] {
  const sys = model.system;
  const seen = new Set<string>();
  const out = [sys.initial().slice()];
  for (let i = 0; i < out.length && out.length < most; i++)
    for (let t = 0; t < sys.threads; t++) {
      const next = new Int32Array(sys.stateWords);
      if (!sys.step(out[i]!, t, next)) continue;
      const fp = fingerprint(next).join();
      if (!seen.has(fp)) out.push(next);
      seen.add(fp);
    }
  return out;
}

/**
 * A renaming of s's pages: in each set the pages in use go to the slots `perm` picks; the free
 * slots keep their order among themselves (the allocators take the lowest: model/symmetry.ts).
 */
function renaming(sym: PageSymmetry, s: Int32Array, L: S.Layout, perm: (n: number) => number[]): Int32Array {
  const to = Int32Array.from({ length: L.lastBlock + 1 }, (_, g) => g);
  for (let k = 0; k < sym.first.length; k++) {
    const slots: number[] = [];
    for (let g = sym.first[k]!; g <= sym.last[k]!; g++) slots.push(g);
    const used = slots.filter((g) => s[L.page(g) + S.PG_STATE] === S.PAGE_IN_USE);
    const free = slots.filter((g) => s[L.page(g) + S.PG_STATE] !== S.PAGE_IN_USE);
    // The used pages' new slots: any |used| of the set, in perm's order; the free ones fill the rest in order.
    const order = perm(slots.length).map((i) => slots[i]!);
    const taken = order.slice(0, used.length);
    const left = slots.filter((g) => !taken.includes(g));
    used.forEach((g, i) => (to[g] = taken[i]!));
    free.forEach((g, i) => (to[g] = left[i]!));
  }
  const out = new Int32Array(s.length);
  sym.renamed(s, to, out);
  return out;
}

describe("the canonical form (model/symmetry.ts) of renamed states", () => {
  const permutation = (seed: number) => (n: number) => {
    const p = Array.from({ length: n }, (_, i) => i);
    let x = seed >>> 0 || 1;
    for (let i = n - 1; i > 0; i--) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const j = x % (i + 1);
      [p[i], p[j]] = [p[j]!, p[i]!];
    }
    return p;
  };

  for (const scenario of SCENARIOS) {
    it(`${scenario.split("/").pop()}: any renaming of a reachable state's pages in use has the state's canonical fingerprint`, () => {
      const model = buildMm({ scenario, variant: "modern" });
      const sym = model.system.symmetry;
      const L = model.system.k.L;
      const states = reachable(model);
      fc.assert(
        fc.property(fc.nat(states.length - 1), fc.integer(), (i, seed) => {
          const s = states[i]!;
          const r = renaming(sym, s, L, permutation(seed));
          const left = new Int32Array(s.length);
          // A state the renaming leaves alone (a stale pte names a free page) is merged with none.
          sym.canonical(s, left);
          const alone = sym.hi === 0 && left.every((v, w) => v === s[w]) && canonicalFp(sym, r) !== canonicalFp(sym, s);
          if (alone) return;
          expect(canonicalFp(sym, r)).toBe(canonicalFp(sym, s));
        }),
        { numRuns: 400, seed: 22 },
      );
    });
  }

  it("tells apart what is no renaming: a page's words or a pte's bits changed", () => {
    const model = buildMm({ scenario: "split-unmap", variant: "modern" });
    const sym = model.system.symmetry;
    const L = model.system.k.L;
    const s = reachable(model).find((x) => x[L.page(1) + S.PG_STATE] === S.PAGE_IN_USE && x[L.pte(0, 0)] !== 0)!;
    const refcount = s.slice();
    refcount[L.page(1) + S.PG_REF]! += 1;
    const pte = s.slice();
    pte[L.pte(0, 0)]! ^= S.PTE_WRITE;
    expect(canonicalFp(sym, refcount)).not.toBe(canonicalFp(sym, s));
    expect(canonicalFp(sym, pte)).not.toBe(canonicalFp(sym, s));
  });
});
