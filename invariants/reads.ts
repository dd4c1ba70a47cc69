/**
 * The state words the state invariants read (core/invariant.ts Invariant.reads), by kind of
 * object: the search skips an invariant for a state whose step wrote none of its words.
 * test/model/invariant-reads.test.ts holds each invariant's list against every word it reads.
 */
import type { Kernel } from "../model/kernel.js";
import { TH_LOCALS, TH_OP } from "../model/layout.js";

/** Fields `fields` of every VMA slot of every mm. */
export function vmaWords(k: Kernel, fields: readonly number[]): number[] {
  const out: number[] = [];
  for (let p = 0; p < k.L.procs; p++) for (let s = 0; s < k.L.vmaSlots; s++) for (const f of fields) out.push(k.L.vma(p, s) + f);
  return out;
}

/** Every pte of every mm, huge and 4 KiB. */
export function pteWords(k: Kernel): number[] {
  const out: number[] = [];
  for (let p = 0; p < k.L.procs; p++) {
    for (let a = 0; a < k.L.addrPages; a++) out.push(k.L.pte(p, a));
    const [from, to] = k.L.smallPteRange(p);
    for (let off = from; off < to; off++) out.push(off);
  }
  return out;
}

/** Fields `fields` of pages 1…last. */
export function pageWords(k: Kernel, last: number, fields: readonly number[]): number[] {
  const out: number[] = [];
  for (let g = 1; g <= last; g++) for (const f of fields) out.push(k.L.page(g) + f);
  return out;
}

/** Locals `locals` of threads 0…threads − 1 (L.threads: the setup slot too). */
export function localWords(k: Kernel, threads: number, locals: readonly number[]): number[] {
  const out: number[] = [];
  for (let t = 0; t < threads; t++) for (const i of locals) out.push(k.L.thread(t) + TH_LOCALS + i);
  return out;
}

/** The words of the pages past the first (L_GUP) that a get_user_pages call holds (gup4k pages). */
export function gupExtraWords(k: Kernel): number[] {
  const out: number[] = [];
  for (let t = 0; t < k.L.threads; t++) for (let j = 1; j < k.L.gupPages; j++) out.push(k.L.gupExtra(t, j));
  return out;
}

/** The operation index of each scenario thread (what k.op(t) reads). */
export function opWords(k: Kernel): number[] {
  return k.cfg.threads.map((_, t) => k.L.thread(t) + TH_OP);
}

/** Fields `fields` of every hugetlbfs inode. */
export function inodeWords(k: Kernel, fields: readonly number[]): number[] {
  const out: number[] = [];
  for (let f = 0; f < k.L.files; f++) for (const i of fields) out.push(k.L.inode(f) + i);
  return out;
}

/** Every page-cache slot: hugetlbfs files', 4 KiB files' and shmem inodes'. */
export function cacheWords(k: Kernel): number[] {
  const out: number[] = [];
  for (let f = 0; f < k.L.files; f++) for (let i = 0; i < k.L.filePages; i++) out.push(k.L.cache(f, i));
  for (let f = 0; f < k.L.files4k; f++) for (let i = 0; i < k.L.file4kPages; i++) out.push(k.L.file4kCache(f, i));
  for (let s = 0; s < k.L.shmemInodes; s++) for (let i = 0; i < k.cfg.shmem[s]!.pages; i++) out.push(k.L.shmemCache(s, i));
  return out;
}

/** Fields `fields` of every private reserve map. */
export function resvWords(k: Kernel, fields: readonly number[]): number[] {
  const out: number[] = [];
  for (let id = 1; id <= k.L.resvMaps; id++) for (const f of fields) out.push(k.L.resv(id) + f);
  return out;
}
