/**
 * The scenario grammar (issue 20): a world — what the setup maps, in which processes the threads
 * run — and an alphabet of operations that make sense in it, each operation of `OpSchemas` with
 * the arguments that fit the world (mostly valid, some not: mmap over a mapping, a fault of a
 * page truncated away). `mmcheck sweep` enumerates every scenario of a bound over it
 * (`enumerate`), `mmcheck fuzz` draws larger ones at random (`scenarioArbitrary`, fast-check,
 * which also shrinks them). Either way the result is an ordinary scenario file, validated by
 * the same zod schema, that `mmcheck explore` runs.
 */
import fc from "fast-check";
import { SMALL_PER_HUGE, type OpName } from "./schema.js";

export type Op = Record<string, Record<string, unknown>> | "exit";

/** A hugetlbfs mapping: MAP_PRIVATE, MAP_SHARED, MAP_NORESERVE (private, and shared), MAP_ANONYMOUS|MAP_HUGETLB. */
export const HUGE_KINDS = ["private", "shared", "noreserve", "anon", "shared-noreserve"] as const;
/** 4 KiB memory: anonymous, shmem, a 4 KiB file mapped private (read-only too: Dirty COW's), shared, or on DAX; or a THP mapping (read-only too: Huge Dirty COW's). */
export const SMALL_KINDS = ["anon", "shmem", "file", "dax", "file-shared", "file-ro", "thp", "thp-ro"] as const;
/**
 * Where the threads run: `same` all in p0; `fork` alternately in p0 and p1, p0's fork child
 * from the setup; `child` the same, but p1 is forked by thread 0's first operation; `two`
 * alternately in p0 and p1, each with the setup's mappings of its own; `empty` alternately in
 * p0 and p1, which has nothing mapped.
 */
export const PLACEMENTS = ["same", "fork", "child", "two", "empty"] as const;

export interface World {
  /**
   * A hugetlbfs file `f` of `pages` pages (MAP_HUGETLB's own for `anon`), mapped at slots
   * [0, pages); `size` and `min_size` mount its hugetlbfs with those options (a subpool).
   */
  readonly huge?: {
    readonly kind: (typeof HUGE_KINDS)[number];
    readonly pages: number;
    readonly size?: number;
    readonly min_size?: number;
    /** How p1 maps `f` (its setup in `two`, a thread's mmap otherwise) when not as p0 does: a shared mapping beside a private one. */
    readonly other?: (typeof HUGE_KINDS)[number];
  };
  /** The setup writes every page of `f` through a shared mapping it then unmaps: the pages are in the page cache, mapped by nobody. */
  readonly cached?: boolean;
  /**
   * `f` mapped again, one page of it in the free slot (both mappings of one file: page cache
   * against COW): by the threads (`threads`: each index, shared or private), or by p0's setup
   * (`setup`: page 0, shared, before the prefault and the fork, which p1 then inherits).
   */
  readonly alias?: "threads" | "setup";
  /** 4 KiB memory of `pages` pages in the slot after the huge ones: anonymous, shmem, a 4 KiB file `g` (block or DAX), or a THP mapping. */
  readonly small?: { readonly kind: (typeof SMALL_KINDS)[number]; readonly pages: number };
  readonly placement: (typeof PLACEMENTS)[number];
  /** Huge pages in the pool, and surplus allowed. */
  readonly pool: number;
  readonly overcommit: number;
  /** Pages the setup writes in p0 before any fork (huge page slots, then 4 KiB pages). */
  readonly prefault: boolean;
}

/** A world's slots: the huge mapping's, a free one, then the 4 KiB mapping's. */
export function slots(w: World) {
  const P = w.huge?.pages ?? 0;
  return { P, free: P, small: w.huge ? P + 1 : 0, space: (w.huge ? P + 1 : 0) + (w.small ? 1 : 0) };
}

/** Every [addr, addr + len) inside [0, n), shortest first. */
function ranges(n: number): { addr: number; len: number }[] {
  const out: { addr: number; len: number }[] = [];
  for (let len = 1; len <= n; len++) for (let addr = 0; addr + len <= n; addr++) out.push({ addr, len });
  return out;
}

const named = (w: World) => w.huge !== undefined && w.huge.kind !== "anon";
/** The free slot maps a page of `f` (the alias). */
const aliased = (w: World) => w.alias !== undefined && named(w);
const smallAnon = (w: World) => w.small !== undefined && (w.small.kind === "anon" || w.small.kind === "shmem");
const thp = (w: World) => w.small?.kind === "thp" || w.small?.kind === "thp-ro";
/** A 4 KiB file `g` (block or DAX). */
const smallFile = (w: World) => w.small !== undefined && !smallAnon(w) && !thp(w);
/** A 4 KiB file in the page cache (not DAX), which write(2) reaches. */
const smallCached = (w: World) => smallFile(w) && w.small!.kind !== "dax";

/** Every range of the small slot's pages in 4 KiB units (munmap, mprotect: unit 4k); none of a THP mapping (a part would split its pmd). */
function smallRanges(w: World): { addr: number; len: number; unit: "4k" }[] {
  if (!w.small || thp(w)) return [];
  const base = slots(w).small * SMALL_PER_HUGE;
  return ranges(w.small.pages).map((r) => ({ addr: base + r.addr, len: r.len, unit: "4k" }));
}

/** Every range of the small slot's pages, as mlock4k and munlock4k take it (not DAX, not THP: refused). */
function smallLockRanges(w: World): { addr: number; page: number; pages: number }[] {
  if (!w.small || w.small.kind === "dax" || thp(w)) return [];
  const addr = slots(w).small;
  return ranges(w.small.pages).map((r) => ({ addr, page: r.addr, pages: r.len }));
}

/** The setup's mmap of the world's huge file (a thread's mmap of it is the same call), or with `k` mapped another way. */
function hugeMmap(w: World, k = w.huge!.kind) {
  return { mmap: { addr: 0, len: w.huge!.pages, file: "f", shared: k === "shared" || k === "shared-noreserve", noreserve: k === "noreserve" || k === "shared-noreserve" } };
}

/**
 * Huge pages the setup takes from the pool (and the mount's quota): the mapping's reservation,
 * and the cached pages, which a private mapping reserves again.
 */
export function hugeNeed(w: World): number {
  if (!w.huge) return 0;
  const reserves = w.huge.kind === "private" || w.huge.kind === "anon" || w.huge.kind === "shared";
  // The setup's shared alias reserves page 0 in the file's map, unless a shared mapping or the cache holds it already.
  const alias = w.alias === "setup" && !w.cached && w.huge.kind !== "shared" ? 1 : 0;
  return w.huge.pages * ((reserves ? 1 : 0) + (w.cached && w.huge.kind !== "shared" ? 1 : 0)) + alias;
}

function smallMmap(w: World) {
  const s = w.small!;
  const at = slots(w).small;
  if (s.kind === "thp" || s.kind === "thp-ro") return { mmap4k: { addr: at, pages: s.pages, thp: true, ...(s.kind === "thp-ro" && { write: false }) } };
  if (s.kind === "anon" || s.kind === "shmem") return { mmap4k: { addr: at, pages: s.pages, shared: s.kind === "shmem" } };
  return { mmap4k: { addr: at, pages: s.pages, file: "g", ...(s.kind === "file-shared" && { shared: true }), ...(s.kind === "file-ro" && { write: false }) } };
}

/**
 * Each operation's values in a world: the finite alphabet a sweep enumerates and a fuzz run
 * draws from. One entry per operation of OpSchemas (test/synth/grammar.test.ts fails when one
 * has none): a new operation needs its values here.
 */
export const OP_VALUES: Readonly<Record<OpName, (w: World) => Op[]>> = {
  // The world's file mapped each way (a mapping of one kind racing the map of another: seed 003's
  // region tracking); MAP_ANONYMOUS|MAP_HUGETLB its own way.
  mmap: (w) => [
    ...(named(w) ? [w.huge!.kind, ...HUGE_KINDS.filter((k) => k !== "anon" && k !== w.huge!.kind)].map((k) => hugeMmap(w, k)) : w.huge ? [hugeMmap(w)] : []),
    // The alias: one page of f, each index, private then shared.
    ...(w.alias === "threads" && named(w)
      ? Array.from({ length: w.huge!.pages }, (_, pgoff) => [false, true].map((shared) => ({ mmap: { addr: slots(w).free, len: 1, file: "f", pgoff, shared } }))).flat()
      : []),
  ],
  fault: (w) => {
    if (!w.huge) return [];
    const out: Op[] = [];
    const last = aliased(w) ? slots(w).free : w.huge.pages - 1;
    for (let addr = 0; addr <= last; addr++) out.push({ fault: { addr, write: false } }, { fault: { addr, write: true } });
    for (let addr = 0; addr < w.huge.pages; addr++) out.push({ fault: { addr, write: true, fail_add_to_page_cache: true } });
    return out;
  },
  // Huge pages (and the alias's page); and 4 KiB pages of the small slot (unit: 4k), which split its VMA.
  munmap: (w) => [
    ...(w.huge ? [...ranges(w.huge.pages).map((r) => ({ munmap: r })), ...(aliased(w) ? [{ munmap: { addr: slots(w).free, len: 1 } }] : [])] : []),
    ...smallRanges(w).map((r) => ({ munmap: r })),
  ],
  mprotect: (w) => [...(w.huge ? ranges(w.huge.pages) : []), ...smallRanges(w)].map((r) => ({ mprotect: { ...r, write: false } })),
  madvise_dontneed: (w) => (w.huge ? ranges(w.huge.pages).map((r) => ({ madvise_dontneed: r })) : []),
  // Huge pages, and 4 KiB pages of the small slot (a part of a THP mapping too: nothing is split).
  madvise_willneed: (w) => [
    ...(w.huge ? ranges(w.huge.pages) : []),
    ...(w.small && thp(w) ? ranges(w.small.pages).map((r) => ({ addr: slots(w).small * SMALL_PER_HUGE + r.addr, len: r.len, unit: "4k" })) : smallRanges(w)),
  ].map((r) => ({ madvise_willneed: r })),
  // A new process with no thread of its own (in `child`, thread 0 forks p1 first); fork of a
  // THP mapping (copy_huge_pmd) is not modelled.
  fork: (w) => (thp(w) ? [] : [{ fork: { child: "p2" } }]),
  exit: () => ["exit"],
  ftruncate: (w) => (named(w) ? Array.from({ length: w.huge!.pages }, (_, size) => ({ ftruncate: { file: "f", size } })) : []),
  punch_hole: (w) => (named(w) ? ranges(w.huge!.pages).map((r) => ({ punch_hole: { file: "f", offset: r.addr, len: r.len } })) : []),
  unlink: (w) => (named(w) ? [{ unlink: { file: "f" } }] : []),
  mmap4k: (w) => (w.small ? [smallMmap(w)] : []),
  access4k: (w) => {
    if (!w.small) return [];
    const addr = slots(w).small;
    return Array.from({ length: w.small.pages }, (_, page) => [false, true].map((write) => ({ access4k: { addr, page, write } }))).flat();
  },
  // mlock of a DAX mapping is not modelled (the loader refuses it).
  mlock4k: (w) => smallLockRanges(w).map((r) => ({ mlock4k: r })),
  munlock4k: (w) => smallLockRanges(w).map((r) => ({ munlock4k: r })),
  gup4k: (w) => {
    // get_user_pages of a DAX mapping is not modelled (the loader refuses it).
    if (!w.small || w.small.kind === "dax") return [];
    const addr = slots(w).small;
    // ptrace's read and its FOLL_FORCE write; direct I/O's pin, and a longterm one.
    const kinds = [{}, { write: true, force: true }, { write: true, pin: true }, { write: true, pin: true, longterm: true }];
    return Array.from({ length: w.small!.pages }, (_, page) => kinds.map((k) => ({ gup4k: { addr, page, ...k } }))).flat();
  },
  gup: (w) => {
    if (!w.huge) return [];
    // ptrace's read and its FOLL_FORCE write; direct I/O's pin, and a longterm one.
    const kinds = [{}, { write: true, force: true }, { write: true, pin: true }, { write: true, pin: true, longterm: true }];
    return Array.from({ length: w.huge.pages }, (_, addr) => kinds.map((k) => ({ gup: { addr, ...k } }))).flat();
  },
  vmsplice: (w) => (w.huge ? Array.from({ length: w.huge.pages }, (_, addr) => ({ vmsplice: { addr } })) : []),
  dontneed4k: (w) => {
    if (!w.small) return [];
    const addr = slots(w).small;
    // Part of a THP mapping would split its pmd, which is not modelled: the whole of it only.
    if (thp(w)) return [{ dontneed4k: { addr, page: 0, pages: w.small.pages } }];
    return ranges(w.small.pages).map((r) => ({ dontneed4k: { addr, page: r.addr, pages: r.len } }));
  },
  write4k: (w) =>
    smallCached(w) ? Array.from({ length: w.small!.pages }, (_, page) => ({ write4k: { file: "g", page } })) : [],
  // move_pages of an anonymous page (page-cache pages are not modelled), with and without MPOL_MF_MOVE_ALL.
  migrate: (w) => [
    ...(w.huge?.kind === "anon" ? Array.from({ length: w.huge.pages }, (_, addr) => [{ migrate: { addr } }, { migrate: { addr, all: true } }]).flat() : []),
    ...(w.small?.kind === "anon" ? Array.from({ length: w.small.pages }, (_, page) => ({ migrate: { addr: slots(w).small, page } })) : []),
  ],
  ftruncate4k: (w) =>
    w.small && smallFile(w) ? Array.from({ length: w.small.pages + 1 }, (_, size) => ({ ftruncate4k: { file: "g", size } })) : [],
};

/** The world's alphabet, in a fixed order: operation by operation as OP_VALUES lists them. */
export function alphabet(w: World): Op[] {
  return Object.values(OP_VALUES).flatMap((values) => values(w));
}

/** The process of thread `i`. */
function threadProc(w: World, i: number): string {
  return w.placement === "same" || i % 2 === 0 ? "p0" : "p1";
}

/** A thread as the scenario file has it: its process and operations. */
export interface PlacedThread {
  readonly proc: string;
  readonly ops: readonly Op[];
}

/** The threads' operations placed in their processes (thread 0 of `child` forks p1 first). */
export function place(w: World, threads: readonly (readonly Op[])[]): PlacedThread[] {
  return threads.map((ops, i) => ({ proc: threadProc(w, i), ops: i === 0 && w.placement === "child" ? [{ fork: { child: "p1" } }, ...ops] : [...ops] }));
}

/** The scenario file of a world and its threads' operations (thread 0 of `child` forks p1 first). */
export function scenarioOf(w: World, threads: readonly (readonly Op[])[], name = "generated"): Record<string, unknown> {
  return scenarioOfPlaced(w, place(w, threads), name);
}

/** The scenario file of a world and its placed threads (the minimiser's form: threads keep their process when others go). */
export function scenarioOfPlaced(w: World, threads: readonly PlacedThread[], name = "generated"): Record<string, unknown> {
  const p0: Op[] = [];
  if (w.huge && w.cached && named(w)) {
    const P = w.huge.pages;
    p0.push({ mmap: { addr: 0, len: P, file: "f", shared: true } });
    for (let addr = 0; addr < P; addr++) p0.push({ fault: { addr, write: true } });
    p0.push({ munmap: { addr: 0, len: P } });
  }
  if (w.huge) p0.push(hugeMmap(w));
  if (w.alias === "setup" && named(w)) p0.push({ mmap: { addr: slots(w).free, len: 1, file: "f", pgoff: 0, shared: true } });
  if (w.small) p0.push(smallMmap(w));
  if (w.prefault) {
    // The setup's alias first: its page 0 in the page cache, which a private mapping's write then copies.
    if (w.alias === "setup" && named(w)) p0.push({ fault: { addr: slots(w).free, write: true } });
    for (let addr = 0; addr < (w.huge?.pages ?? 0); addr++) p0.push({ fault: { addr, write: true } });
    // A read-only mapping's pages are read in.
    const write = w.small?.kind !== "file-ro" && w.small?.kind !== "thp-ro";
    for (let page = 0; page < (w.small?.pages ?? 0); page++) p0.push({ access4k: { addr: slots(w).small, page, write } });
  }
  if (w.placement === "fork") p0.push({ fork: { child: "p1" } });
  const setup = [{ proc: "p0", ops: p0 }];
  if (w.placement === "two") setup.push({ proc: "p1", ops: [...(w.huge ? [hugeMmap(w, w.huge.other)] : []), ...(w.small ? [smallMmap(w)] : [])] });
  // A thread left with no operation (fuzz leaves out what the loader refuses) is no thread.
  const placed = threads.filter((t) => t.ops.length > 0).map((t, i) => ({ name: `t${i}`, proc: t.proc, ops: [...t.ops] }));
  const h = w.huge;
  const files = h ? [{ name: "f", pages: h.pages, ...(h.kind === "anon" && { anon: true }), ...(h.size !== undefined && { size: h.size }), ...(h.min_size !== undefined && { min_size: h.min_size }) }] : [];
  const files4k = w.small && smallFile(w) ? [{ name: "g", pages: w.small.pages, ...(w.small.kind === "dax" && { dax: true }) }] : [];
  return {
    name,
    summary: `generated: ${describeWorld(w)}`,
    pool: { pages: w.pool, overcommit: w.overcommit },
    files,
    files4k,
    processes: ["p0", "p1", "p2"],
    addressSpace: slots(w).space,
    setup,
    threads: placed.length ? placed : [{ name: "t0", proc: "p0", ops: ["exit"] }],
  };
}

export function describeWorld(w: World): string {
  const parts = [
    w.huge && `${w.huge.kind} huge mapping of ${w.huge.pages}${w.huge.other ? ` (${w.huge.other} in p1)` : ""}`,
    w.huge?.size !== undefined && `mounted size=${w.huge.size}${w.huge.min_size !== undefined ? `,min_size=${w.huge.min_size}` : ""}`,
    w.cached && "its pages in the page cache",
    w.alias === "threads" && "mapped again by the threads",
    w.alias === "setup" && "its page 0 mapped again, shared, by the setup",
    w.small && `${w.small.kind} 4 KiB mapping of ${w.small.pages}`,
    `pool ${w.pool}${w.overcommit ? `+${w.overcommit}` : ""}`,
    w.prefault && "prefaulted",
    `threads ${w.placement === "same" ? "in one process" : `placed ${w.placement}`}`,
  ];
  return parts.filter(Boolean).join(", ");
}

// ---------------------------------------------------------------- sweep: every scenario of a bound

export interface SweepBound {
  readonly threads: number;
  /** Operations per thread, at most. */
  readonly ops: number;
  /** Pages of each mapping. */
  readonly pages: number;
}

/**
 * The worlds a sweep goes through, in order: each kind of huge mapping and of 4 KiB memory with
 * the placements where its races live (a private mapping's owner and its fork child, a shared
 * file that a thread of another process maps, then faults, ...). Fuzz reaches the others.
 */
export function sweepWorlds(b: SweepBound): World[] {
  const P = b.pages;
  const huge = (kind: (typeof HUGE_KINDS)[number], placement: World["placement"], prefault = false): World => ({
    huge: { kind, pages: P },
    placement,
    pool: P,
    overcommit: 0,
    prefault,
  });
  const small = (kind: (typeof SMALL_KINDS)[number], placement: World["placement"]): World => ({
    small: { kind, pages: P },
    placement,
    pool: 0,
    overcommit: 0,
    prefault: false,
  });
  return [
    huge("private", "same"),
    huge("private", "fork", true),
    huge("shared", "empty"),
    huge("noreserve", "same"),
    huge("anon", "fork", true),
    small("anon", "same"),
    small("anon", "fork"),
    small("shmem", "fork"),
    small("file", "fork"),
    small("dax", "fork"),
    small("thp", "same"),
  ];
}

/** One enumerated scenario: its place in the sweep's order, its world and its threads' operations. */
export interface Enumerated {
  readonly index: number;
  readonly world: World;
  readonly threads: readonly (readonly Op[])[];
}

/** Sequences of 1..k letters of an alphabet of n, as index lists, shortest first, then in order. */
function sequences(n: number, k: number): number[][] {
  const out: number[][] = [];
  let level: number[][] = [[]];
  for (let len = 1; len <= k; len++) {
    level = level.flatMap((s) => Array.from({ length: n }, (_, i) => [...s, i]));
    out.push(...level);
  }
  return out;
}

/**
 * Renames the pages of an operation by `perm` (huge pages: slots and file indices at once; the
 * 4 KiB pages of the small slot), or undefined when the operation is not about single pages
 * (a range of several, a truncation to a size, a munmap or mprotect that splits the mapping): a
 * scenario with such an operation is its own class. The whole-mapping operations (mmap, mlock, fork, exit, unlink) rename to themselves.
 */
function renameOp(o: Op, huge: readonly number[], small: readonly number[], smallSlot: number): Op | undefined {
  if (o === "exit") return o;
  const [name, a] = Object.entries(o)[0]! as [string, Record<string, unknown>];
  const at = (x: unknown, perm: readonly number[]) => perm[x as number] ?? (x as number);
  switch (name) {
    case "fault":
    case "gup":
    case "vmsplice":
      return { [name]: { ...a, addr: at(a.addr, huge) } };
    // A part of a mapping splits its VMA, at its head or its tail: kernel paths that differ.
    case "munmap":
    case "mprotect":
    case "madvise_willneed":
      return a.len === (a.unit === "4k" ? small.length : huge.length) ? o : undefined;
    case "madvise_dontneed":
      return a.len === 1 ? { [name]: { ...a, addr: at(a.addr, huge) } } : a.len === huge.length ? o : undefined;
    case "punch_hole":
      return a.len === 1 ? { punch_hole: { ...a, offset: at(a.offset, huge) } } : a.len === huge.length ? o : undefined;
    case "access4k":
    case "gup4k":
      return a.addr === smallSlot ? { [name]: { ...a, page: at(a.page, small) } } : o;
    case "dontneed4k":
      return a.pages === 1 ? { dontneed4k: { ...a, page: at(a.page, small) } } : a.pages === small.length ? o : undefined;
    // mlock of a part splits the VMA, at its head, its tail or both.
    case "mlock4k":
    case "munlock4k":
      return a.pages === small.length ? o : undefined;
    case "ftruncate":
    case "ftruncate4k":
      return undefined;
    default:
      return o;
  }
}

function permutations(n: number): number[][] {
  if (n <= 1) return [Array.from({ length: n }, (_, i) => i)];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, at) => [...p.slice(0, at), n - 1, ...p.slice(at)]));
}

/**
 * A world's letters under renaming its pages (the setup maps and prefaults every page alike, so
 * a renamed scenario runs the same up to the renaming), made once a world: each letter's JSON,
 * and its JSON under each renaming other than the identity (which leaves every scenario as it
 * is). A letter that renameOp leaves undefined puts its scenarios in a class of their own.
 */
class Renamings {
  private readonly json: string[];
  /** Per renaming, each letter's JSON renamed. */
  private readonly images: string[][] = [];
  private readonly alone: boolean[];

  constructor(w: World, letters: readonly Op[]) {
    this.json = letters.map((l) => JSON.stringify(l));
    const smallSlot = slots(w).small;
    const hugePerms = permutations(w.huge?.pages ?? 0);
    const smallPerms = permutations(w.small?.pages ?? 0);
    const identity = (p: readonly number[]) => p.every((x, i) => x === i);
    // Whether renameOp gives an operation depends on the mappings' sizes alone, not the renaming.
    this.alone = letters.map((l) => renameOp(l, hugePerms[0]!, smallPerms[0]!, smallSlot) === undefined);
    for (const hp of hugePerms)
      for (const sp of smallPerms)
        if (!identity(hp) || !identity(sp)) this.images.push(letters.map((l, i) => (this.alone[i] ? "" : JSON.stringify(renameOp(l, hp, sp, smallSlot)))));
  }

  /** JSON.stringify of the threads' operations, each letter's JSON taken from `json`. */
  private static text(threads: readonly (readonly number[])[], json: readonly string[]): string {
    let s = "[";
    for (let t = 0; t < threads.length; t++) {
      s += t ? ",[" : "[";
      const ops = threads[t]!;
      for (let j = 0; j < ops.length; j++) s += (j ? "," : "") + json[ops[j]!];
      s += "]";
    }
    return `${s}]`;
  }

  /** Whether the threads (letter indices) are the least, as JSON, of their renamed images. */
  least(threads: readonly (readonly number[])[]): boolean {
    if (this.images.length === 0 || threads.some((ops) => ops.some((l) => this.alone[l]))) return true;
    const key = Renamings.text(threads, this.json);
    return this.images.every((image) => Renamings.text(threads, image) >= key);
  }
}

/**
 * Every scenario of the bound, in a fixed order: world by world (sweepWorlds), then the threads'
 * operation lists in order of their indices, with the obvious symmetries removed — threads of
 * one process are interchangeable (their lists are taken in non-decreasing order), and so are
 * pages the setup treats alike (only the least of a scenario's renamings is kept).
 */
export function* enumerate(b: SweepBound): Generator<Enumerated> {
  let index = 0;
  for (const world of sweepWorlds(b)) for (const threads of enumerateWorld(world, b)) yield { index: index++, world, threads };
}

/** Every scenario of one world up to the bound's threads and operations (its pages are the world's), in the sweep's order. */
export function* enumerateWorld(world: World, b: Omit<SweepBound, "pages">): Generator<Op[][]> {
  const letters = alphabet(world);
  const renamings = new Renamings(world, letters);
  const seqs = sequences(letters.length, b.ops);
  const procs = Array.from({ length: b.threads }, (_, i) => threadProc(world, i));
  // The pairs of threads j < i of one process: thread j's list comes first.
  const pairs: [number, number][] = [];
  for (let i = 0; i < b.threads; i++) for (let j = 0; j < i; j++) if (procs[j] === procs[i]) pairs.push([j, i]);
  const pick = new Array<number>(b.threads).fill(0);
  for (;;) {
    if (pairs.every(([j, i]) => pick[j]! <= pick[i]!)) {
      const chosen = pick.map((s) => seqs[s]!);
      if (renamings.least(chosen)) yield chosen.map((seq) => seq.map((l) => letters[l]!));
    }
    let i = b.threads - 1;
    while (i >= 0 && pick[i] === seqs.length - 1) pick[i--] = 0;
    if (i < 0) break;
    pick[i]!++;
  }
}

// ---------------------------------------------------------------- fuzz: random scenarios, shrinkable

export interface FuzzBound {
  readonly threads: { readonly min: number; readonly max: number };
  readonly ops: number;
  readonly pages: number;
}

/** Larger than a sweep reaches: up to 4 threads of 4 operations, mappings of up to 3 pages. */
export const FUZZ_BOUND: FuzzBound = { threads: { min: 2, max: 4 }, ops: 4, pages: 3 };
/**
 * The small scope most races need (two or three threads of one or two operations, searched
 * exhaustively in a few milliseconds): three draws in four are of this bound.
 */
export const FUZZ_SMALL: FuzzBound = { threads: { min: 2, max: 3 }, ops: 2, pages: 2 };

/**
 * A world drawn at random, any of its parts. They shrink towards the first of each list (a
 * private mapping, one page, all threads in one process) and towards nothing (no 4 KiB memory,
 * no prefault).
 */
function anyWorld(b: FuzzBound): fc.Arbitrary<World> {
  const pages = fc.integer({ min: 1, max: b.pages });
  /** A size= mount: pages beyond (or short of) what the setup needs; and min_size=1 or none. */
  const mount = fc.option(fc.record({ spare: fc.integer({ min: -1, max: 1 }), min: fc.boolean() }), { freq: 3, nil: undefined });
  return fc
    .record({
      huge: fc.option(fc.record({ kind: fc.constantFrom(...HUGE_KINDS), pages, mount, other: fc.option(fc.constantFrom(...HUGE_KINDS), { nil: undefined }) }), {
        freq: 4,
        nil: undefined,
      }),
      small: fc.option(fc.record({ kind: fc.constantFrom(...SMALL_KINDS), pages }), { freq: 2, nil: undefined }),
      placement: fc.constantFrom(...PLACEMENTS),
      /** Pool pages beyond (or short of) what the setup needs: shrinks to a pool of that size. */
      spare: fc.integer({ min: -1, max: 1 }),
      overcommit: fc.nat(1),
      prefault: fc.boolean(),
      cached: fc.boolean(),
      alias: fc.option(fc.constantFrom("threads" as const, "setup" as const), { freq: 2, nil: undefined }),
    })
    .filter((w) => w.huge !== undefined || w.small !== undefined)
    .map(({ spare, huge, ...rest }) => sized({ ...rest, huge: huge ?? undefined, small: rest.small ?? undefined }, spare));
}

/**
 * The drawn parts of a world made one: what applies to its kind of mapping kept, the pool (and
 * a size= mount) `spare` pages beyond what the setup needs (-1: a page short).
 */
function sized(
  d: Omit<World, "huge" | "pool"> & {
    huge?: { kind: (typeof HUGE_KINDS)[number]; pages: number; mount?: { spare: number; min: boolean }; other?: (typeof HUGE_KINDS)[number] };
  },
  spare: number,
): World {
  const { huge, cached, alias, ...rest } = d;
  const named = huge !== undefined && huge.kind !== "anon";
  // fork of a THP mapping (copy_huge_pmd) is not modelled: its threads run in p0, or beside a p1 of its own.
  const thpFork = (rest.small?.kind === "thp" || rest.small?.kind === "thp-ro") && (rest.placement === "fork" || rest.placement === "child");
  const base = { ...rest, ...(thpFork && { placement: "same" as const }), ...(named && cached && { cached }), ...(named && alias && { alias }) };
  if (!huge) return { ...base, pool: 0 };
  const { mount: m, other, ...drawn } = huge;
  // Another way to map the file is for a named one, and another than p0's.
  const h = named && other && other !== "anon" && other !== drawn.kind ? { ...drawn, other } : drawn;
  const need = Math.max(h.pages, hugeNeed({ ...base, huge: h, pool: 0 }));
  const mounted = m && named ? { ...h, size: Math.max(1, need + m.spare), ...(m.min && { min_size: 1 }) } : h;
  return { ...base, huge: mounted, pool: Math.max(0, need + spare) };
}

const NAMED_KINDS = HUGE_KINDS.filter((k) => k !== "anon");

/**
 * Shapes of world that races live in and that a draw of every part at once seldom gives (each a
 * product of several one-in-three choices), drawn as often as all the others together:
 * - a file mapped by two processes, each its own way: p1 maps it as a thread does (every way of
 *   mapping it is a letter), while p0's threads fault it; their mmaps and faults edit one
 *   reserve map (seed 003's region tracking); a p1 with a mapping of its own from the setup is
 *   anyWorld's `two`;
 * - COW at the pool's limit: a private mapping's pages, written, shared with a fork child, and
 *   a pool with nothing beyond what the setup took (the COW's page is one short), perhaps with
 *   the file's page cache mapped beside it (unmap_ref_private, the owner's failure path);
 * - the last free page: a shared file's page reserved by the setup's mapping, and the pool
 *   without a page beyond it, faulted by threads of one process or of two that each map it
 *   (the instantiation race: two faults of one index, one free page between them);
 * - THP memory (the default kernel's THP, its huge zero page), read-only too;
 * - a read-only private mapping of a 4 KiB file (Dirty COW's: a FOLL_FORCE write must COW
 *   what the threads can only read), its page read in by the setup or not.
 */
function shapedWorld(b: FuzzBound): fc.Arbitrary<World> {
  const pages = fc.integer({ min: 1, max: b.pages });
  const shared = fc
    .record({ kind: fc.constantFrom(...NAMED_KINDS), pages })
    // A page beyond what the setup takes: one thread's fault and the other's reserving mmap both fit.
    .map(({ kind, pages }) => sized({ huge: { kind, pages }, placement: "empty", overcommit: 0, prefault: false }, 1));
  const cow = fc
    .record({
      kind: fc.constantFrom("private" as const, "anon" as const),
      pages,
      placement: fc.constantFrom("fork" as const, "child" as const),
      cached: fc.boolean(),
      alias: fc.option(fc.constant("setup" as const), { freq: 2, nil: undefined }),
    })
    .map(({ kind, pages, ...rest }) => sized({ huge: { kind, pages }, overcommit: 0, prefault: true, ...rest }, 0));
  const lastPage = fc
    .record({ pages, placement: fc.constantFrom("same" as const, "two" as const) })
    .map(({ pages, placement }) => sized({ huge: { kind: "shared", pages }, placement, overcommit: 0, prefault: false }, 0));
  const thpWorld = fc
    .record({ kind: fc.constantFrom("thp" as const, "thp-ro" as const), pages, prefault: fc.boolean() })
    .map(({ kind, pages, prefault }): World => ({ small: { kind, pages }, placement: "same", pool: 0, overcommit: 0, prefault }));
  const readOnlyFile = fc
    .record({ pages, prefault: fc.boolean() })
    .map(({ pages, prefault }): World => ({ small: { kind: "file-ro", pages }, placement: "same", pool: 0, overcommit: 0, prefault }));
  return fc.oneof(shared, cow, lastPage, thpWorld, readOnlyFile);
}

/** A world drawn at random: half of them any, half of the shapes races live in (shapedWorld). */
export function worldArbitrary(b: FuzzBound = FUZZ_BOUND): fc.Arbitrary<World> {
  return fc.oneof(anyWorld(b), shapedWorld(b));
}

/**
 * A generated scenario: its world and, per thread, indices into the world's alphabet; or
 * (`sweep`) the world alone, whose small scenarios fuzz then searches every one (WORLD_SWEEP).
 */
export interface Drawn {
  readonly world: World;
  readonly threads: readonly (readonly number[])[];
  readonly sweep?: true;
}

/**
 * A drawn world's sweep: every scenario of two threads of one operation, and of three when the
 * world's alphabet is small enough (a 4 KiB or THP world) for their number to stay near the
 * two's: a world's races of one operation a thread, a few hundred scenarios.
 */
export const WORLD_SWEEP = { threads: [2, 3], ops: 1, maxLetters3: 12 } as const;

/** The scenarios of a drawn world's sweep, in order. */
export function* worldSweep(w: World): Generator<Op[][]> {
  const letters = alphabet(w).length;
  for (const threads of WORLD_SWEEP.threads) if (threads < 3 || letters <= WORLD_SWEEP.maxLetters3) yield* enumerateWorld(w, { threads, ops: WORLD_SWEEP.ops });
}

/** Random scenarios of a bound as drawn, shrinkable: fewer threads, fewer and earlier operations, a smaller world. */
function boundedArbitrary(b: FuzzBound): fc.Arbitrary<Drawn> {
  return fc.record({
    world: worldArbitrary(b),
    threads: fc.array(fc.array(fc.nat(), { minLength: 1, maxLength: b.ops }), { minLength: b.threads.min, maxLength: b.threads.max }),
  });
}

/**
 * A world's sweep is a few hundred scenarios: drawn once for this many random scenarios, it
 * takes about as long as they do.
 */
const SWEEP_EVERY = 300;

/**
 * Random scenarios as drawn: mostly of the small scope (FUZZ_SMALL), else up to `b`; and, about
 * half the time, a world of a shape races live in (shapedWorld), of one page, whose every small
 * scenario is searched (worldSweep): a race of two particular operations in a particular world
 * is a few hundred scenarios of that world away, not a draw of all of them at random.
 */
export function drawnArbitrary(b: FuzzBound = FUZZ_BOUND): fc.Arbitrary<Drawn> {
  return fc.oneof(
    { arbitrary: boundedArbitrary(FUZZ_SMALL), weight: (SWEEP_EVERY * 3) / 4 },
    { arbitrary: boundedArbitrary(b), weight: SWEEP_EVERY / 4 },
    { arbitrary: shapedWorld({ ...FUZZ_SMALL, pages: 1 }).map((world): Drawn => ({ world, threads: [], sweep: true })), weight: 1 },
  );
}

/**
 * The operation a drawn number stands for in a world: an operation the world has, each alike
 * (a fault, with a letter per page and kind, is not drawn more often than an mmap), then one of
 * its values. Small numbers are the first operations' first values: shrinking goes there.
 */
function letterOf(groups: readonly (readonly Op[])[], n: number): Op {
  const values = groups[n % groups.length]!;
  return values[Math.floor(n / groups.length) % values.length]!;
}

/**
 * The threads' operations of a drawn scenario: each index taken modulo the world's alphabet,
 * leaving out what the loader would refuse the whole scenario for, so that runs are not spent
 * on it: operations after a thread's exit, a second fork of p2, and an unlink of the file that
 * another operation names.
 */
export function opsOf(d: Drawn): Op[][] {
  const groups = Object.values(OP_VALUES)
    .map((values) => values(d.world))
    .filter((values) => values.length > 0);
  const drawn = d.threads.map((t) => t.map((i) => letterOf(groups, i)));
  const namesFile = (o: Op) => o !== "exit" && Object.values(o)[0]!.file === "f";
  const named = drawn.flat().filter((o) => namesFile(o) && !(o !== "exit" && "unlink" in o)).length > 0;
  let forked = false;
  return drawn.map((ops) => {
    const kept: Op[] = [];
    for (const o of ops) {
      if (o !== "exit" && "unlink" in o && named) continue;
      if (o !== "exit" && "fork" in o) {
        if (forked) continue;
        forked = true;
      }
      kept.push(o);
      if (o === "exit") break;
    }
    return kept;
  });
}

/** The scenario file of a drawn scenario. */
export function drawnScenario(d: Drawn, name = "generated"): Record<string, unknown> {
  return scenarioOf(d.world, opsOf(d), name);
}

/** Random scenario files (fast-check): ordinary scenario files, which the loader may still refuse (a second fork of p2, a file named after its unlink). */
export function scenarioArbitrary(b: FuzzBound = FUZZ_BOUND): fc.Arbitrary<Record<string, unknown>> {
  return drawnArbitrary(b).map((d) => drawnScenario(d));
}
