/**
 * The greedy pass after fast-check's shrinking. fast-check shrinks the drawn value (indices into
 * the world's alphabet, taken modulo its length, and at least two threads): a smaller world
 * renumbers every operation, and a thread the array needs stays. This pass works on the
 * scenario itself — the world and each thread's process and operations — and keeps any of these
 * changes while the same invariant still fails: a thread removed (the others keep their
 * process), an operation removed, two threads of a process made one, a thread's fork of p1 done
 * by the setup instead, a mapping made a page smaller or left out, the prefault left
 * out, an operation's arguments made smaller (an earlier value of the same operation in the
 * alphabet). It tries them in a fixed order and starts over after each change kept, until none
 * is: the same failure always gives the same minimal scenario.
 */
import { alphabet, hugeNeed, OP_VALUES, scenarioOfPlaced, slots, type Op, type PlacedThread, type World } from "../scenarios/arbitrary.js";

export interface Minimal {
  readonly world: World;
  readonly threads: readonly PlacedThread[];
}

const key = (o: Op) => JSON.stringify(o);
const opName = (o: Op) => (o === "exit" ? "exit" : Object.keys(o)[0]!);

/** The whole-mapping operations, which a smaller world rewrites to its own. */
const WHOLE = ["mmap", "mmap4k", "mlock4k", "munlock4k"] as const;

/** An operation of world `from` in the smaller world `to`: the same call, the 4 KiB slot moved; undefined if `to` has no such call. */
function rehome(o: Op, from: World, to: World, letters: ReadonlySet<string>): Op | undefined {
  const name = opName(o);
  if (name === "exit" || name === "fork") return o;
  const a = (o as Record<string, Record<string, unknown>>)[name]!;
  const alias = from.alias && a.addr === slots(from).free;
  if ((WHOLE as readonly string[]).includes(name) && !alias) {
    // The same call over the smaller mapping: every argument but the length (the 4 KiB slot's address) alike.
    const same = (l: Op) => Object.entries((l as Record<string, Record<string, unknown>>)[name]!).every(([arg, v]) => ["len", "pages", "addr"].includes(arg) || v === a[arg]);
    return OP_VALUES[name as (typeof WHOLE)[number]](to).find(same);
  }
  // The 4 KiB slot and the alias's free slot move with the huge mapping's size.
  const moved =
    from.small && "page" in a && a.addr === slots(from).small
      ? { [name]: { ...a, addr: slots(to).small } }
      : alias && to.alias
        ? { [name]: { ...a, addr: slots(to).free } }
        : o;
  return letters.has(key(moved)) ? moved : undefined;
}

/**
 * The worlds a page or a mapping smaller, or without the prefault, the cached pages, the alias,
 * the mount's options; with a pool a page smaller, or no overcommit; in order.
 */
function smallerWorlds(w: World): World[] {
  const out: World[] = [];
  const h = w.huge;
  if (h && h.pages > 1) {
    const size = h.size !== undefined ? { size: Math.max(1, h.size - 1) } : {};
    out.push({ ...w, huge: { ...h, pages: h.pages - 1, ...size }, pool: Math.max(0, w.pool - 1) });
  }
  if (w.small && w.small.pages > 1) out.push({ ...w, small: { ...w.small, pages: w.small.pages - 1 } });
  if (h && w.small) out.push({ ...w, small: undefined }, { ...w, huge: undefined, pool: 0, overcommit: 0, cached: undefined, alias: undefined });
  if (w.prefault) out.push({ ...w, prefault: false });
  if (w.cached) out.push({ ...w, cached: undefined, pool: Math.max(0, w.pool - hugeNeed(w) + hugeNeed({ ...w, cached: undefined })) });
  if (w.alias) out.push({ ...w, alias: undefined, pool: Math.max(0, w.pool - hugeNeed(w) + hugeNeed({ ...w, alias: undefined })) });
  if (h?.other) out.push({ ...w, huge: { ...h, other: undefined } });
  if (h?.min_size !== undefined) out.push({ ...w, huge: { ...h, min_size: undefined } });
  if (h?.size !== undefined && h.min_size === undefined) out.push({ ...w, huge: { ...h, size: undefined } });
  if (w.pool > 0) out.push({ ...w, pool: w.pool - 1 });
  if (w.overcommit > 0) out.push({ ...w, overcommit: 0 });
  return out;
}

/** Every one-step smaller scenario, in the order they are tried. */
function* candidates(m: Minimal): Generator<Minimal> {
  const { world, threads } = m;
  for (let i = 0; i < threads.length && threads.length > 1; i++) yield { world, threads: threads.filter((_, k) => k !== i) };
  for (let i = 0; i < threads.length; i++)
    for (let j = 0; j < threads[i]!.ops.length; j++) {
      const ops = threads[i]!.ops.filter((_, k) => k !== j);
      if (ops.length > 0) yield { world, threads: threads.map((t, k) => (k === i ? { ...t, ops } : t)) };
    }
  // Two threads of a process as one, the other's operations after or before its own: a thread fewer.
  for (let i = 0; i < threads.length; i++)
    for (let j = 0; j < threads.length; j++) {
      if (i === j || threads[i]!.proc !== threads[j]!.proc) continue;
      const into = (ops: readonly Op[]) => threads.flatMap((t, k) => (k === i ? [] : k === j ? [{ ...t, ops }] : [t]));
      yield { world, threads: into([...threads[j]!.ops, ...threads[i]!.ops]) };
      yield { world, threads: into([...threads[i]!.ops, ...threads[j]!.ops]) };
    }
  // `child`'s fork of p1 (thread 0's first operation) done by the setup instead (`fork`): an operation fewer.
  const forksP1 = (o: Op | undefined) => o !== undefined && o !== "exit" && (o.fork as { child?: string } | undefined)?.child === "p1";
  const forker = threads.findIndex((t) => forksP1(t.ops[0]));
  if (world.placement === "child" && forker >= 0) yield { world: { ...world, placement: "fork" }, threads: threads.map((t, k) => (k === forker ? { ...t, ops: t.ops.slice(1) } : t)) };
  for (const to of smallerWorlds(world)) {
    const letters = new Set(alphabet(to).map(key));
    const moved = threads.map((t) => ({ ...t, ops: t.ops.map((o) => rehome(o, world, to, letters)) }));
    if (moved.every((t) => t.ops.every((o) => o !== undefined))) yield { world: to, threads: moved as PlacedThread[] };
  }
  const letters = alphabet(world);
  for (let i = 0; i < threads.length; i++)
    for (let j = 0; j < threads[i]!.ops.length; j++) {
      const o = threads[i]!.ops[j]!;
      const at = letters.findIndex((l) => key(l) === key(o));
      for (const smaller of letters.slice(0, Math.max(0, at)).filter((l) => opName(l) === opName(o)))
        yield { world, threads: threads.map((t, k) => (k === i ? { ...t, ops: t.ops.map((x, n) => (n === j ? smaller : x)) } : t)) };
    }
}

/**
 * The scenario made as small as `fails` allows (fails: the scenario file still fails on the same
 * invariant). A stop signal ends it with what it has.
 */
export async function minimise(start: Minimal, fails: (file: Record<string, unknown>) => Promise<boolean>, interrupted: () => boolean): Promise<Minimal> {
  let m = start;
  for (let changed = true; changed && !interrupted(); ) {
    changed = false;
    for (const c of candidates(m)) {
      if (interrupted()) break;
      if (await fails(scenarioOfPlaced(c.world, c.threads))) {
        m = c;
        changed = true;
        break;
      }
    }
  }
  return m;
}
