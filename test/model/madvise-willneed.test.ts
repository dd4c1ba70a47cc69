/**
 * madvise(MADV_WILLNEED) (v6.18 madvise_willneed): the file paths drop mmap_lock around
 * vfs_fadvise with a reference on the file; hugetlbfs ignores the advice, a 4 KiB file is read
 * ahead into its page cache up to i_size; anonymous memory, shmem and DAX keep the lock and
 * change nothing. A hole is ENOMEM after the rest is done.
 */
import { describe, expect, it } from "vitest";
import { Machine } from "../../model/machine.js";
import { Result } from "../../model/types.js";
import { findVariant } from "../../model/variant.js";
import { resolveScenario } from "../../scenarios/load.js";
import { ScenarioSchema } from "../../scenarios/schema.js";

function machine(s: Record<string, unknown>) {
  const { config } = resolveScenario(ScenarioSchema.parse({ name: "willneed", summary: "willneed", pool: { pages: 0 }, processes: ["p"], ...s }));
  return new Machine(config, findVariant("modern")!);
}

/** Steps thread t of `m` once from `s`. */
function step(m: Machine, s: Int32Array, t: number): Int32Array {
  const next = new Int32Array(m.stateWords);
  expect(m.step(s, t, next)).not.toBeNull();
  return next;
}

/** Runs thread t's current operation to its end. */
function finish(m: Machine, s: Int32Array, t: number): Int32Array {
  const op = m.k.view(s).thread_op(t);
  while (m.k.view(s).thread_op(t) === op && !m.done(s, t)) s = step(m, s, t);
  return s;
}

const unlinkedPair = {
  pool: { pages: 2 },
  files: [{ name: "f", pages: 2 }],
  setup: [{ proc: "p", ops: [{ mmap: { addr: 0, len: 1, file: "f", shared: true } }, { mmap: { addr: 1, len: 1, file: "f", pgoff: 1, shared: true } }, { unlink: { file: "f" } }] }],
};

describe("madvise(MADV_WILLNEED)", () => {
  it("hugetlbfs: nothing reserved, faulted or freed; 0", () => {
    const m = machine({ ...unlinkedPair, threads: [{ name: "a", proc: "p", ops: [{ madvise_willneed: { addr: 0, len: 2 } }] }] });
    const s = finish(m, m.initial().slice(), 0);
    const k = m.k.view(s);
    expect(k.thread_result(0)).toBe(Result.OK);
    expect([k.resv_huge_pages, k.free_huge_pages, k.page_cache(0, 0), k.page_cache(0, 1)]).toEqual([2, 2, 0, 0]);
  });

  it("a munmap in the window: the walk's find_vma finds nothing (ENOMEM), the file is evicted at madvise's fput", () => {
    const m = machine({
      ...unlinkedPair,
      threads: [
        { name: "a", proc: "p", ops: [{ madvise_willneed: { addr: 0, len: 2 } }] },
        { name: "b", proc: "p", ops: [{ munmap: { addr: 0, len: 2 } }] },
      ],
    });
    let s = step(m, m.initial().slice(), 0); // mmap_read_lock, get_file, mmap_read_unlock
    s = finish(m, s, 1);
    expect(m.k.view(s).thread_result(1)).toBe(Result.OK);
    expect(m.k.view(s).resv_huge_pages).toBe(2); // madvise still holds the file
    s = step(m, s, 0); // vfs_fadvise, fput: iput_final evicts
    expect(m.k.view(s).resv_huge_pages).toBe(0);
    s = finish(m, s, 0);
    expect(m.k.view(s).thread_result(0)).toBe(Result.ENOMEM);
  });

  it("without a racing munmap the file outlives madvise in its mappings", () => {
    const m = machine({ ...unlinkedPair, threads: [{ name: "a", proc: "p", ops: [{ madvise_willneed: { addr: 0, len: 2 } }, { munmap: { addr: 0, len: 2 } }] }] });
    let s = finish(m, m.initial().slice(), 0);
    expect(m.k.view(s).resv_huge_pages).toBe(2);
    s = finish(m, s, 0);
    expect(m.k.view(s).resv_huge_pages).toBe(0);
  });

  it("a hole in the range: ENOMEM after the VMA past it is done", () => {
    const m = machine({
      pool: { pages: 2 },
      files: [{ name: "f", pages: 2 }],
      setup: [{ proc: "p", ops: [{ mmap: { addr: 0, len: 1, file: "f" } }, { mmap: { addr: 2, len: 1, file: "f", pgoff: 1 } }] }],
      threads: [{ name: "a", proc: "p", ops: [{ madvise_willneed: { addr: 0, len: 3 } }] }],
    });
    const s = finish(m, m.initial().slice(), 0);
    expect(m.k.view(s).thread_result(0)).toBe(Result.ENOMEM);
  });

  it("a 4 KiB file: pages inside i_size are read ahead into the page cache, 4 KiB units inside the VMA", () => {
    const m = machine({
      files4k: [{ name: "g", pages: 4, isize: 3 }],
      setup: [{ proc: "p", ops: [{ mmap4k: { addr: 0, pages: 4, file: "g" } }] }],
      threads: [{ name: "a", proc: "p", ops: [{ madvise_willneed: { addr: 1, len: 3, unit: "4k" } }] }],
    });
    const s = finish(m, m.initial().slice(), 0);
    const k = m.k.view(s);
    expect(k.thread_result(0)).toBe(Result.OK);
    expect([0, 1, 2, 3].map((i) => k.file4k_cache(0, i) !== 0)).toEqual([false, true, true, false]);
  });

  it("anonymous memory and shmem keep mmap_lock and change nothing", () => {
    for (const shared of [false, true]) {
      const m = machine({
        setup: [{ proc: "p", ops: [{ mmap4k: { addr: 0, pages: 2, shared } }] }],
        threads: [{ name: "a", proc: "p", ops: [{ madvise_willneed: { addr: 0, len: 2, unit: "4k" } }] }],
      });
      const s = step(m, m.initial().slice(), 0);
      expect(m.done(s, 0)).toBe(true);
      expect(m.k.view(s).thread_result(0)).toBe(Result.OK);
    }
  });

  it("no VMA at or after the address: ENOMEM", () => {
    const m = machine({
      pool: { pages: 1 },
      files: [{ name: "f", pages: 1 }],
      addressSpace: 3,
      setup: [{ proc: "p", ops: [{ mmap: { addr: 0, len: 1, file: "f" } }] }],
      threads: [{ name: "a", proc: "p", ops: [{ madvise_willneed: { addr: 1, len: 2 } }] }],
    });
    const s = finish(m, m.initial().slice(), 0);
    expect(m.k.view(s).thread_result(0)).toBe(Result.ENOMEM);
  });
});
