/**
 * The invariants that judge what the kernel does rather than what it holds: kernel-splat,
 * uninitialised, the stricter lock-balance (misuse the unlock helpers record), result-guarantee
 * and expected-result. Each fails on a state or a run that shows it, and holds where it should.
 */
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { search } from "../helpers/search.js";
import { Checker, writtenBetween } from "../../explorer/check.js";
import { INVARIANTS } from "../../invariants/index.js";
import type { Invariant } from "../../invariants/types.js";
import type { ModelConfig } from "../../model/config.js";
import { Kernel } from "../../model/kernel.js";
import { LOCK_MISUSE, POISON, SPLAT, UNINIT_USE } from "../../model/layout.js";
import { Machine } from "../../model/machine.js";
import { folio_put } from "../../model/mm/page_alloc.js";
import { free_huge_folio } from "../../model/hugetlb/pool.js";
import { filemap_add_folio, truncate_inode_page } from "../../model/mm/filemap.js";
import { move_to_new_folio } from "../../model/mm/migrate.js";
import { folio_alloc } from "../../model/mm/page_alloc.js";
import { unmap_hugepage_range } from "../../model/mm/unmap.js";
import { find_vma } from "../../model/mm/vma.js";
import { PAGE_IN_USE, PG_ANON, VM_END } from "../../model/layout.js";
import { Result } from "../../model/types.js";
import { findVariant } from "../../model/variant.js";
import { loadScenario, resolveScenario, ScenarioError } from "../../scenarios/load.js";
import { ScenarioSchema } from "../../scenarios/schema.js";

const modern = findVariant("modern")!;

function config(lit: z.input<typeof ScenarioSchema>): ModelConfig {
  return resolveScenario(ScenarioSchema.parse(lit)).config;
}

function invariant(name: string): Invariant {
  const inv = INVARIANTS.find((i) => i.name === name);
  if (!inv) throw new Error(`no invariant ${name} in invariants/index.ts`);
  return inv;
}

/** A shared 2-page file mapped by p, page 0 faulted; a faulter of page 1 and a munmap. */
const SHARED = config({
  name: "shared",
  summary: "a shared mapping, one page faulted",
  pool: { pages: 3 },
  files: [{ name: "hugefile", pages: 2 }],
  processes: ["p"],
  setup: [{ proc: "p", ops: [{ mmap: { addr: 0, len: 2, file: "hugefile", shared: true } }, { fault: { addr: 0, write: true } }] }],
  threads: [
    { name: "faulter", proc: "p", ops: [{ fault: { addr: 1, write: true } }] },
    { name: "unmapper", proc: "p", ops: [{ munmap: { addr: 0, len: 2 } }] },
  ],
});

function initial(cfg: ModelConfig = SHARED): { m: Machine; s: Int32Array; k: Kernel } {
  const m = new Machine(cfg, modern);
  const s = m.initial().slice();
  return { m, s, k: m.k.view(s) };
}

/** The state invariant `name` on k's state. */
function stateCheck(name: string, k: Kernel): string | null {
  return invariant(name).state!({ k, allDone: false });
}

/** Runs thread t to its end from s; the kernel-splat verdict then. */
function runThread(m: Machine, s: Int32Array, t: number): string | null {
  let cur = s;
  while (!m.done(cur, t)) {
    const next = new Int32Array(m.stateWords);
    if (!m.step(cur, t, next)) throw new Error("blocked");
    cur = next;
  }
  return stateCheck("kernel-splat", m.k.view(cur));
}

describe("kernel-splat", () => {
  it("holds on the initial state and on a clean run", async () => {
    const { k } = initial();
    expect(stateCheck("kernel-splat", k)).toBeNull();
    expect((await search(new Machine(SHARED, modern), INVARIANTS)).verdict).toBe("pass");
  });

  it("fails: free_huge_folio of a page still mapped (VM_BUG_ON_FOLIO(folio_mapcount(folio)))", () => {
    const { k } = initial();
    const g = k.page_cache(0, 0);
    k.folio_ref_dec(g); // the page cache's reference, as if dropped twice
    k.folio_ref_dec(g);
    free_huge_folio(k, g);
    expect(stateCheck("kernel-splat", k)).toBe(
      "kernel BUG at mm/hugetlb.c:free_huge_folio (freed while still mapped): free_huge_folio: VM_BUG_ON_FOLIO(folio_mapcount(folio), folio)",
    );
  });

  it("fails: folio_put of a page with no reference left (a free page of the pool)", () => {
    const { k } = initial();
    const g = k.page_cache(0, 0) + 1;
    expect(k.page_ref(g)).toBe(0);
    folio_put(k, k.page_cache(0, 0)); // one of the page-cache page's two references: fine
    expect(k.a[SPLAT]).toBe(0);
    folio_put(k, g);
    expect(stateCheck("kernel-splat", k)).toMatch(/^kernel BUG at include\/linux\/mm.h:folio_put_testzero/);
  });

  it("fails: a mutex taken while the same thread holds the page-table lock (sleeping in atomic context)", () => {
    const { k } = initial();
    expect(k.spin_lock(k.ptl(0), 0)).toBe(true);
    expect(k.trylock(k.hugetlb_fault_mutex(0, 1), 1)).toBe(true); // another thread: fine
    expect(k.a[SPLAT]).toBe(0);
    expect(k.down_read_trylock(k.i_mmap_rwsem(0), 0)).toBe(true);
    expect(stateCheck("kernel-splat", k)).toBe(
      "BUG: sleeping function called from invalid context: __might_sleep: might_sleep() with preempt_count() != 0 (a spinlock held) (thread faulter)",
    );
  });
});

describe("kernel-splat in get_user_pages", () => {
  const GUP = config({
    name: "gup",
    summary: "get_user_pages of a written 4 KiB page",
    pool: { pages: 0 },
    processes: ["p"],
    setup: [{ proc: "p", ops: [{ mmap4k: { addr: 0, pages: 1 } }, { access4k: { addr: 0, page: 0, write: true } }] }],
    threads: [{ name: "ptrace", proc: "p", ops: [{ gup4k: { addr: 0, page: 0 } }] }],
  });


  it("holds: the page has its pte's reference", () => {
    const { m, s } = initial(GUP);
    expect(runThread(m, s, 0)).toBeNull();
  });

  it("fails: try_grab_folio finds a page whose references are all gone (WARN_ON_ONCE)", () => {
    const { m, s, k } = initial(GUP);
    const g = k.L.zeroPage + 1;
    expect(k.page_ref(g)).toBe(1);
    k.folio_ref_dec(g);
    expect(runThread(m, s, 0)).toMatch(/^WARNING: mm\/gup.c:try_grab_folio .*: try_grab_folio: WARN_ON_ONCE\(folio_ref_count\(folio\) <= 0\)$/);
  });
});

describe("kernel-splat: assertions on the fault, page-cache, migration and unmap paths", () => {
  /** Page 1 of the shared file put in the page cache (as another process's fault would), flagged anon or not. */
  function cachedPage(anon: boolean): { m: Machine; s: Int32Array } {
    const { m, s, k } = initial();
    const g = k.page_cache(0, 0) + 1;
    k.set_page_state(g, PAGE_IN_USE);
    k.free_huge_pages = k.free_huge_pages - 1;
    k.set_page_refcounted(g);
    k.set_page_cache(0, 1, g);
    k.set_page_mapping(g, 1, 1);
    if (anon) k.page_set(g, PG_ANON);
    return { m, s };
  }

  it("holds: hugetlb_no_page maps a page-cache page through hugetlb_add_file_rmap", () => {
    const { m, s } = cachedPage(false);
    expect(runThread(m, s, 0)).toBeNull();
  });

  it("fails: hugetlb_add_file_rmap of a page flagged anonymous (VM_WARN_ON_FOLIO)", () => {
    const { m, s } = cachedPage(true);
    expect(runThread(m, s, 0)).toBe(
      "WARNING: include/linux/rmap.h:hugetlb_add_file_rmap (an anonymous page mapped as a file page): hugetlb_add_file_rmap: VM_WARN_ON_FOLIO(folio_test_anon(folio), folio) (thread faulter)",
    );
  });

  const FILE4K = config({
    name: "file4k",
    summary: "a 4 KiB file and an anonymous 4 KiB mapping",
    pool: { pages: 1 },
    files: [{ name: "hugefile", pages: 1 }],
    files4k: [{ name: "data", pages: 1 }],
    processes: ["p"],
    setup: [{ proc: "p", ops: [{ mmap: { addr: 0, len: 1, file: "hugefile", shared: true } }, { mmap4k: { addr: 2, pages: 1 } }] }],
    threads: [{ name: "writer", proc: "p", ops: [{ write4k: { file: "data", page: 0 } }] }],
  });

  it("__filemap_add_folio: holds for a locked new page, fails for an unlocked one", () => {
    const { k } = initial(FILE4K);
    const g = folio_alloc(k);
    k.lock_uncontended(k.folio_lock_word(g), 0, "test");
    filemap_add_folio(k, 0, 0, 0, g);
    expect(stateCheck("kernel-splat", k)).toBeNull();
    const { k: k2 } = initial(FILE4K);
    filemap_add_folio(k2, 0, 0, 0, folio_alloc(k2));
    expect(stateCheck("kernel-splat", k2)).toBe(
      "kernel BUG at mm/filemap.c:__filemap_add_folio (a page added to the page cache unlocked): __filemap_add_folio: VM_BUG_ON_FOLIO(!folio_test_locked(folio), folio) (thread writer)",
    );
  });

  it("filemap_unaccount_folio: holds for a page truncate unmapped, fails for one still mapped", () => {
    const { k } = initial(FILE4K);
    const g = folio_alloc(k);
    k.lock_uncontended(k.folio_lock_word(g), 0, "test");
    filemap_add_folio(k, 0, 0, 0, g);
    k.unlock(k.folio_lock_word(g), 0);
    expect(truncate_inode_page(k, 0, 0, 0)).toBe(true);
    expect(stateCheck("kernel-splat", k)).toBeNull();
    const { k: k2 } = initial(FILE4K);
    const g2 = folio_alloc(k2);
    k2.lock_uncontended(k2.folio_lock_word(g2), 0, "test");
    filemap_add_folio(k2, 0, 0, 0, g2);
    k2.unlock(k2.folio_lock_word(g2), 0);
    k2.add_mapcount(g2, 1); // a mapping no rmap walk finds
    expect(truncate_inode_page(k2, 0, 0, 0)).toBe(true);
    expect(stateCheck("kernel-splat", k2)).toMatch(/^kernel BUG at mm\/filemap.c:filemap_unaccount_folio .*VM_BUG_ON_FOLIO\(folio_mapped\(folio\), folio\) \(thread writer\)$/);
  });

  it("hugetlb_add_new_anon_rmap: holds for a private fault, fails when the VMA no longer covers the address", () => {
    const PRIVATE = config({
      name: "private",
      summary: "a private write fault",
      pool: { pages: 2 },
      files: [{ name: "hugefile", pages: 2 }],
      processes: ["p"],
      setup: [{ proc: "p", ops: [{ mmap: { addr: 0, len: 2, file: "hugefile" } }] }],
      threads: [{ name: "writer", proc: "p", ops: [{ fault: { addr: 1, write: true } }] }],
    });
    const { m, s } = initial(PRIVATE);
    expect(runThread(m, s, 0)).toBeNull();
    // Past lock_mm_and_find_vma, the VMA is cut short under the fault (a broken state: munmap
    // needs mmap_lock for write).
    const next = new Int32Array(m.stateWords);
    expect(m.step(s, 0, next)).toBeTruthy();
    const k = m.k.view(next);
    const vma = find_vma(k, 0, 0);
    k.w(vma + VM_END, k.vm_start(vma) + 1);
    expect(runThread(m, next, 0)).toBe(
      "kernel BUG at mm/rmap.c:hugetlb_add_new_anon_rmap (an anonymous page mapped outside its VMA): hugetlb_add_new_anon_rmap: BUG_ON(address < vma->vm_start || address >= vma->vm_end) (thread writer)",
    );
  });

  it("move_to_new_folio: holds with the source locked, fails without", () => {
    const { k } = initial(FILE4K);
    const src = folio_alloc(k);
    const dst = folio_alloc(k);
    k.lock_uncontended(k.folio_lock_word(src), 0, "test");
    move_to_new_folio(k, dst, src);
    expect(stateCheck("kernel-splat", k)).toBeNull();
    const { k: k2 } = initial(FILE4K);
    move_to_new_folio(k2, folio_alloc(k2), folio_alloc(k2));
    expect(stateCheck("kernel-splat", k2)).toMatch(/^kernel BUG at mm\/migrate.c:move_to_new_folio .*VM_BUG_ON_FOLIO\(!folio_test_locked\(src\), src\)$/);
  });

  it("__unmap_hugepage_range: holds on a hugetlb VMA, warns on a 4 KiB one", () => {
    const { k } = initial(FILE4K);
    const [huge, small] = [find_vma(k, 0, 0), find_vma(k, 0, 2)];
    unmap_hugepage_range(k, huge, 0, 1);
    expect(stateCheck("kernel-splat", k)).toBeNull();
    unmap_hugepage_range(k, small, 2, 3);
    expect(stateCheck("kernel-splat", k)).toMatch(/^WARNING: mm\/hugetlb.c:__unmap_hugepage_range .*WARN_ON\(!is_vm_hugetlb_page\(vma\)\)$/);
  });
});

describe("uninitialised", () => {
  it("fails under seed 002 as posted: page_fault returns its uninitialised ret to a second fault of the pte", async () => {
    const sc = loadScenario("chardev-refault");
    const r = await search(new Machine(sc.config, findVariant("seed-002")!), INVARIANTS);
    expect(r.violation?.invariant).toBe("uninitialised");
    expect(r.violation?.message).toBe("reader: a variable never assigned on this path was returned to the caller");
  });

  it("holds today, where hugetlb_fault returns 0 for a pte already there", async () => {
    const sc = loadScenario("chardev-refault");
    expect((await search(new Machine(sc.config, modern), INVARIANTS)).verdict).toBe("pass");
  });

  it("fails: a poisoned value written into a pte or a pool counter; holds for every real value", () => {
    const { k } = initial();
    k.set_pte(0, 1, 0);
    k.free_huge_pages = k.free_huge_pages - 1;
    expect(stateCheck("uninitialised", k)).toBeNull();
    k.set_pte(0, 1, POISON);
    expect(stateCheck("uninitialised", k)).toBe("a variable never assigned on this path was written into a pte");
    const { k: k2 } = initial();
    k2.resv_huge_pages = POISON;
    expect(k2.a[UNINIT_USE]).not.toBe(0);
    expect(stateCheck("uninitialised", k2)).toMatch(/written into a pool counter/);
  });
});

describe("lock-balance: misuse the unlock helpers record", () => {
  const inv = invariant("lock-balance");

  it("holds when each lock is released by its holder in its mode", () => {
    const { k } = initial();
    expect(k.down_write_trylock(k.mmap_lock(0), 1)).toBe(true);
    k.up_write(k.mmap_lock(0), 1);
    expect(k.down_read_trylock(k.mmap_lock(0), 0)).toBe(true);
    k.up_read(k.mmap_lock(0), 0);
    expect(k.trylock(k.hugetlb_fault_mutex(0, 1), 0)).toBe(true);
    k.unlock(k.hugetlb_fault_mutex(0, 1), 0);
    expect(k.spin_lock(k.ptl(0), 1)).toBe(true);
    k.spin_unlock(k.ptl(0), 1);
    expect(k.a[LOCK_MISUSE]).toBe(0);
    expect(inv.state!({ k, allDone: false })).toBeNull();
  });

  it("fails: mutex_unlock of a free mutex", () => {
    const { k } = initial();
    k.unlock(k.hugetlb_fault_mutex(0, 1), 0);
    expect(inv.state!({ k, allDone: false })).toBe("thread 0 (faulter) released hugetlb_fault_mutex(file0, 1), which was not held");
  });

  it("fails: a spinlock released by a thread that does not hold it", () => {
    const { k } = initial();
    k.spin_lock(k.ptl(0), 1);
    k.spin_unlock(k.ptl(0), 0);
    expect(inv.state!({ k, allDone: false })).toBe("thread 0 (faulter) released page_table_lock(mm0) held by thread 1");
  });

  it("fails: up_read of a write-held rwsem", () => {
    const { k } = initial();
    k.down_write_trylock(k.mmap_lock(0), 1);
    k.up_read(k.mmap_lock(0), 1);
    expect(inv.state!({ k, allDone: false })).toBe(
      "thread 1 (unmapper) released mmap_lock(mm0) for read (up_read) while thread 1 holds it for write",
    );
  });

  it("fails: up_write of a read-held rwsem", () => {
    const { k } = initial();
    k.down_read_trylock(k.i_mmap_rwsem(0), 0);
    k.up_write(k.i_mmap_rwsem(0), 0);
    expect(inv.state!({ k, allDone: false })).toBe(
      "thread 0 (faulter) released i_mmap_rwsem(file0) for write (up_write) while thread 0 holds it for read",
    );
  });

  it("finds the 2015 DAX bug at the release itself: do_cow_fault's i_mmap_unlock_write of the read-held rwsem", async () => {
    const sc = loadScenario("dax-cow-truncate");
    const r = await search(new Machine(sc.config, findVariant("bug-dax-cow-unlock-mode")!), INVARIANTS);
    expect(r.violation?.invariant).toBe("lock-balance");
    expect(r.violation?.message).toBe("thread 0 (writer) released i_mmap_rwsem(data) for write (up_write) while thread 0 holds it for read");
    expect(r.violation?.depth).toBe(4);
  });
});

describe("result-guarantee", () => {
  const inv = invariant("result-guarantee");

  /** The faulter of page 1 one step in (VMA and index known), and that fault ending with `result`. */
  function faultEnds(result: number, cfg: ModelConfig = SHARED): string | null {
    const { m, s } = initial(cfg);
    const mid = new Int32Array(m.stateWords);
    const tr = m.step(s, 0, mid)!;
    const after = mid.slice();
    const k = m.k.view(after);
    k.set_result(0, result);
    return inv.step!({ before: m.k.view(mid), after: k, thread: 0, step: tr.step, opEnded: true, written: writtenBetween(mid, after) });
  }

  it("fails: a fault on a reserved index of a shared mapping gets VM_FAULT_OOM", () => {
    expect(faultEnds(Result.ENOMEM)).toBe("fault(addr=1, write) got VM_FAULT_OOM although file index 1 holds a reservation");
  });

  it("holds: the same fault succeeds, or its page-cache insertion fails by injection", () => {
    expect(faultEnds(Result.OK)).toBeNull();
    const injected = config({
      ...ScenarioSchema.parse({
        name: "shared-inject",
        summary: "the faulter's page-cache insertion fails",
        pool: { pages: 3 },
        files: [{ name: "hugefile", pages: 2 }],
        processes: ["p"],
        setup: [{ proc: "p", ops: [{ mmap: { addr: 0, len: 2, file: "hugefile", shared: true } }] }],
        threads: [{ name: "faulter", proc: "p", ops: [{ fault: { addr: 1, write: true, fail_add_to_page_cache: true } }] }],
      }),
    });
    expect(faultEnds(Result.ENOMEM, injected)).toBeNull();
  });

  it("holds: a MAP_NORESERVE private mapping was promised nothing", () => {
    const noreserve = config({
      name: "noreserve",
      summary: "a MAP_NORESERVE private mapping",
      pool: { pages: 1 },
      files: [{ name: "hugefile", pages: 2 }],
      processes: ["p"],
      setup: [{ proc: "p", ops: [{ mmap: { addr: 0, len: 2, file: "hugefile", noreserve: true } }] }],
      threads: [{ name: "faulter", proc: "p", ops: [{ fault: { addr: 1, write: true } }] }],
    });
    expect(faultEnds(Result.ENOMEM, noreserve)).toBeNull();
  });
});

describe("expected-result", () => {
  const BEYOND = (expect: string) =>
    config({
      name: "beyond",
      summary: "a fault past i_size",
      pool: { pages: 2 },
      files: [{ name: "hugefile", pages: 2 }],
      processes: ["p"],
      setup: [{ proc: "p", ops: [{ mmap: { addr: 0, len: 2, file: "hugefile", shared: true } }, { ftruncate: { file: "hugefile", size: 1 } }] }],
      threads: [{ name: "faulter", proc: "p", ops: [{ fault: { addr: 1, expect } }] }],
    });

  it("holds: the fault past i_size gets the SIGBUS its scenario expects", async () => {
    expect((await search(new Machine(BEYOND("SIGBUS"), modern), INVARIANTS)).verdict).toBe("pass");
  });

  it("fails: the scenario expects ok", async () => {
    const r = await search(new Machine(BEYOND("ok"), modern), INVARIANTS);
    expect(r.violation?.invariant).toBe("expected-result");
    expect(r.violation?.message).toBe("faulter's fault(addr=1) returned SIGBUS, the scenario expects ok");
  });

  it("is refused in one line naming the field: an unknown result, or an expectation in the setup", () => {
    expect(() => BEYOND("EWHATEVER")).toThrow(/"message": "one of ok, SIGBUS, SIGSEGV, ENOMEM, EINVAL, EFAULT[^"]*",\s*"path": \[\s*"threads",\s*0,\s*"ops",\s*0,\s*"fault",\s*"expect"/);
    expect(() =>
      config({
        name: "setup-expect",
        summary: "x",
        pool: { pages: 1 },
        files: [{ name: "hugefile", pages: 1 }],
        processes: ["p"],
        setup: [{ proc: "p", ops: [{ mmap: { addr: 0, len: 1, file: "hugefile", expect: "ok" } }] }],
        threads: [{ name: "faulter", proc: "p", ops: [{ fault: { addr: 0 } }] }],
      }),
    ).toThrow(ScenarioError);
  });

  it("the checker runs it on every transition: a shipped scenario's expectations hold under modern", async () => {
    const sc = loadScenario("instantiation-race");
    expect(sc.config.threads.map((t) => t.ops[0]!.expect)).toEqual([Result.OK, Result.OK]);
    const m = new Machine(sc.config, modern);
    expect(new Checker(m, INVARIANTS).state(m.initial())).toBeNull();
    expect((await search(m, INVARIANTS)).verdict).toBe("pass");
  });
});

describe("Checker: a step invariant declared onOpEnd", () => {
  /** Fails every transition it is given; named so the message says which one ran. */
  const failing = (name: string, onOpEnd: boolean): Invariant => ({ name, summary: "fails", onOpEnd, step: () => "ran" });

  /** The faulter's first step (mmap_read_lock: the fault goes on) and its step that ends the fault. */
  function transitions(): { mid: { s: Int32Array; next: Int32Array; opEnded: boolean }; end: { s: Int32Array; next: Int32Array; opEnded: boolean } } {
    const { m, s } = initial();
    const steps: { s: Int32Array; next: Int32Array; opEnded: boolean }[] = [];
    let cur = s;
    while (!m.done(cur, 0)) {
      const next = new Int32Array(m.stateWords);
      const tr = m.step(cur, 0, next)!;
      steps.push({ s: cur, next, opEnded: tr.opEnded });
      cur = next;
    }
    return { mid: steps[0]!, end: steps[steps.length - 1]! };
  }

  it("is skipped on a step that does not end the operation, and runs on one that does", () => {
    const { m } = initial();
    const { mid, end } = transitions();
    expect(mid.opEnded).toBe(false);
    expect(end.opEnded).toBe(true);
    const checker = new Checker(m, [failing("at-op-end", true)]);
    expect(checker.transition(mid.s, mid.next, m.step(mid.s, 0, new Int32Array(m.stateWords))!)).toBeNull();
    expect(checker.transition(end.s, end.next, m.step(end.s, 0, new Int32Array(m.stateWords))!)?.invariant).toBe("at-op-end");
  });

  it("keeps the invariants' order: the first listed that fails names the violation", () => {
    const { m } = initial();
    const { mid, end } = transitions();
    const checker = new Checker(m, [failing("first-at-op-end", true), failing("every-step", false)]);
    expect(checker.transition(mid.s, mid.next, m.step(mid.s, 0, new Int32Array(m.stateWords))!)?.invariant).toBe("every-step");
    expect(checker.transition(end.s, end.next, m.step(end.s, 0, new Int32Array(m.stateWords))!)?.invariant).toBe("first-at-op-end");
  });
});

describe("Checker: a step invariant that declares stepWrites", () => {
  /** The faulter's first step (mmap_read_lock) and the words it writes. */
  function firstStep(): { m: Machine; s: Int32Array; next: Int32Array; written: number[] } {
    const { m, s } = initial();
    const next = new Int32Array(m.stateWords);
    m.step(s, 0, next);
    const w = writtenBetween(s, next);
    const written: number[] = [];
    for (let i = 0; i < w.logged; i += 2) written.push(w.log[i]!);
    return { m, s, next, written };
  }
  const failing = (name: string, words: number[], onOpEnd = false): Invariant => ({ name, summary: "fails", onOpEnd, stepWrites: () => words, step: () => "ran" });

  it("is skipped on a step that writes none of its words, and runs on one that writes one", () => {
    const { m, s, next, written } = firstStep();
    const untouched = [...Array(m.stateWords).keys()].filter((w) => !written.includes(w)).slice(0, 3);
    const tr = () => m.step(s, 0, new Int32Array(m.stateWords))!;
    expect(tr().opEnded).toBe(false);
    expect(new Checker(m, [failing("elsewhere", untouched)]).transition(s, next, tr())).toBeNull();
    expect(new Checker(m, [failing("here", [written[0]!])]).transition(s, next, tr())?.invariant).toBe("here");
    // With onOpEnd as well: a step that writes none of its words still passes unless it ends its operation.
    expect(new Checker(m, [failing("elsewhere", untouched, true)]).transition(s, next, tr())).toBeNull();
  });
});
