/** The greedy pass after fast-check's shrinking (synth/minimise.ts), against a predicate that says what still fails. */
import { describe, expect, it } from "vitest";
import type { World } from "../../scenarios/arbitrary.js";
import { minimise } from "../../synth/minimise.js";

const world: World = { huge: { kind: "shared", pages: 2 }, small: { kind: "anon", pages: 2 }, placement: "fork", pool: 2, overcommit: 0, prefault: true };
const threads = [
  { proc: "p0", ops: [{ fault: { addr: 1, write: true } }, { munmap: { addr: 0, len: 2 } }] },
  { proc: "p1", ops: [{ access4k: { addr: 3, page: 1, write: true } }] },
  { proc: "p0", ops: [{ ftruncate: { file: "f", size: 1 } }] },
];
type File = { threads: { proc: string; ops: unknown[] }[] };
const ops = (f: Record<string, unknown>) => (f as File).threads.flatMap((t) => t.ops.map((o) => JSON.stringify(o)));

describe("minimise", () => {
  it("removes threads, operations, pages and the prefault, and takes smaller arguments, while the failure stays", async () => {
    // "Fails" while some thread faults a huge page.
    const m = await minimise({ world, threads }, async (f) => ops(f).some((o) => o.startsWith('{"fault"')), () => false);
    expect(m.threads).toEqual([{ proc: "p0", ops: [{ fault: { addr: 0, write: false } }] }]);
    expect(m.world).toEqual({ huge: { kind: "shared", pages: 1 }, placement: "fork", pool: 0, overcommit: 0, prefault: false });
  });

  it("merges two threads of a process, and keeps what the failure needs", async () => {
    // "Fails" while a fault, an ftruncate and a 4 KiB access are all there; the 4 KiB page moves with its slot when the huge mapping shrinks.
    const fails = async (f: Record<string, unknown>) => {
      const all = (f as File).threads.map((t) => t.ops.map((o) => Object.keys(o as object)[0]));
      const flat = all.flat();
      return flat.includes("fault") && flat.includes("ftruncate") && flat.includes("access4k");
    };
    const m = await minimise({ world, threads }, fails, () => false);
    expect(m.threads.length).toBe(2);
    expect(m.threads.flatMap((t) => t.ops).map((o) => Object.keys(o)[0]).sort()).toEqual(["access4k", "fault", "ftruncate"]);
    expect(m.world.huge!.pages).toBe(1);
    expect(m.threads.flatMap((t) => t.ops)).toContainEqual({ access4k: { addr: 2, page: 0, write: false } });
  });

  it("keeps every thread and operation the failure needs, each thread in its process", async () => {
    const m = await minimise({ world, threads }, async (f) => ops(f).length === 4 && (f as File).threads.length === 3, () => false);
    expect(m.threads.map((t) => t.ops.length)).toEqual([2, 1, 1]);
    expect(m.threads.map((t) => t.proc)).toEqual(["p0", "p1", "p0"]);
    expect(m.world).toEqual({ ...world, huge: { kind: "shared", pages: 1 }, pool: 0, prefault: false, small: { kind: "anon", pages: 1 } });
  });

  it("moves `child`'s fork of p1 into the setup (`fork`) when the failure stays; keeps it where it does not", async () => {
    const child: World = { huge: { kind: "private", pages: 1 }, placement: "child", pool: 1, overcommit: 0, prefault: true };
    const forked = [
      { proc: "p0", ops: [{ fork: { child: "p1" } }, { fault: { addr: 0, write: true } }] },
      { proc: "p1", ops: [{ fault: { addr: 0, write: true } }] },
    ];
    // "Fails" while both processes write the page, p1 forked by the setup or by a thread.
    const forkedBy = (f: Record<string, unknown>) => JSON.stringify(f).includes('{"fork":{"child":"p1"}}');
    const writes = async (f: Record<string, unknown>) =>
      forkedBy(f) && (f as File).threads.filter((t) => t.ops.some((o) => JSON.stringify(o).includes('"write":true'))).length === 2;
    const moved = await minimise({ world: child, threads: forked }, writes, () => false);
    expect(moved.world.placement).toBe("fork");
    expect(moved.threads).toEqual([
      { proc: "p0", ops: [{ fault: { addr: 0, write: true } }] },
      { proc: "p1", ops: [{ fault: { addr: 0, write: true } }] },
    ]);
    // "Fails" only while a thread forks: the fork stays with the thread.
    const forks = async (f: Record<string, unknown>) => ops(f).some((o) => o.startsWith('{"fork"')) && (await writes(f));
    const kept = await minimise({ world: child, threads: forked }, forks, () => false);
    expect(kept.world.placement).toBe("child");
    expect(kept.threads).toEqual(forked);
  });

  it("drops the cached pages, the alias, p1's other mapping and the mount's options the failure does not need, and keeps the call of each mmap", async () => {
    const rich: World = {
      huge: { kind: "private", pages: 2, size: 4, min_size: 1, other: "shared" },
      cached: true,
      alias: "threads",
      placement: "empty",
      pool: 4,
      overcommit: 1,
      prefault: false,
    };
    const mapped = [
      { proc: "p0", ops: [{ mmap: { addr: 2, len: 1, file: "f", pgoff: 1, shared: true } }, { fault: { addr: 2, write: true } }] },
      { proc: "p1", ops: [{ mmap: { addr: 0, len: 2, file: "f", shared: true, noreserve: false } }] },
    ];
    // "Fails" while p1 maps the file shared and the alias is faulted.
    const fails = async (f: Record<string, unknown>) =>
      ops(f).some((o) => o.includes('"shared":true,"noreserve":false')) && ops(f).some((o) => o.startsWith('{"fault":{"addr":1'));
    const m = await minimise({ world: rich, threads: mapped }, fails, () => false);
    // p1's other mapping goes too: a thread's mmap of the file each way is a letter of every world.
    expect(m.world).toEqual({ huge: { kind: "private", pages: 1 }, alias: "threads", placement: "empty", pool: 0, overcommit: 0, prefault: false });
    expect(m.threads.flatMap((t) => t.ops)).toContainEqual({ mmap: { addr: 0, len: 1, file: "f", shared: true, noreserve: false } });
    expect(m.threads.flatMap((t) => t.ops)).toContainEqual({ fault: { addr: 1, write: false } });
  });
});
