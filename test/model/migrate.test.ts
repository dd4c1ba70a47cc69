/**
 * Page migration (move_pages of one anonymous page, v6.18 mm/migrate.c) of a 4 KiB page and of
 * a hugetlb page: sequentially, its failure paths, a fault that meets the migration entry and
 * waits, and the invariants: they hold in the shipped scenarios, and a deliberately broken
 * remove_migration_ptes fails them.
 */
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { search } from "../helpers/search.js";
import type { ModelConfig, OpCall } from "../../model/config.js";
import type { Kernel } from "../../model/kernel.js";
import { PAGE_FREE, PAGE_IN_USE } from "../../model/layout.js";
import { Machine } from "../../model/machine.js";
import { folio_put } from "../../model/mm/page_alloc.js";
import { is_migration_entry, mk_pte, pte_page, pte_present } from "../../model/mm/pte.js";
import { Result } from "../../model/types.js";
import { findVariant } from "../../model/variant.js";
import { mmModel } from "../../models/mm.js";
import { loadScenario, resolveScenario, ScenarioError } from "../../scenarios/load.js";
import { ScenarioSchema } from "../../scenarios/schema.js";

const modern = findVariant("modern")!;
type ScenarioInput = z.input<typeof ScenarioSchema>;
type Op = ScenarioInput["threads"][number]["ops"][number];

function config(s: Partial<ScenarioInput> & Pick<ScenarioInput, "threads" | "processes">): ModelConfig {
  return resolveScenario(ScenarioSchema.parse({ name: "migrate-test", summary: "migration", pool: { pages: 0 }, ...s })).config;
}

const HUGE = { pool: { pages: 2 }, files: [{ name: "a", pages: 1, anon: true }] };
const hugeSetup: Op[] = [{ mmap: { addr: 0, len: 1, file: "a" } }, { fault: { addr: 0, write: true } }];
const smallSetup: Op[] = [{ mmap4k: { addr: 0, pages: 1 } }, { access4k: { addr: 0, page: 0, write: true } }];

/** Runs one thread's operations one after another; the kernel view and each result. */
function sequence(cfg: ModelConfig) {
  const m = new Machine(cfg, modern);
  const k = m.view(m.initial());
  const results = cfg.threads[0]!.ops.map((op) => m.runToCompletion(k, op));
  return { k, results };
}

describe("move_pages of one anonymous page, run alone", () => {
  it("4 KiB: the pte maps a new page with the same data, writable and exclusive as before; the old page is freed", () => {
    const before = sequence(config({ processes: ["p"], threads: [{ name: "t", proc: "p", ops: smallSetup }] })).k;
    const old = pte_page(before.small_pte(0, 0, 0));
    const { k, results } = sequence(config({ processes: ["p"], threads: [{ name: "t", proc: "p", ops: [...smallSetup, { migrate: { addr: 0 } }] }] }));
    expect(results.at(-1)).toBe(Result.OK);
    const pte = k.small_pte(0, 0, 0);
    expect(pte_present(pte)).toBe(true);
    expect(pte_page(pte)).not.toBe(old);
    expect(k.page_content(pte_page(pte))).toBe(before.page_content(old));
    expect(pte).toBe(mk_pte(pte_page(pte), true)); // writable, as it was
    expect(k.page_state(old)).not.toBe(PAGE_IN_USE);
  });

  it("hugetlb: the new page comes from the free pool and the old one goes back to it; the counters end as they began", () => {
    const { k, results } = sequence(config({ ...HUGE, processes: ["p"], threads: [{ name: "t", proc: "p", ops: [...hugeSetup, { migrate: { addr: 0 } }] }] }));
    expect(results).toEqual([Result.OK, Result.OK, Result.OK]);
    expect(pte_page(k.pte(0, 0))).toBe(2);
    expect(k.page_state(1)).toBe(PAGE_FREE);
    expect([k.nr_huge_pages, k.free_huge_pages, k.resv_huge_pages]).toEqual([2, 1, 0]);
  });

  it("hugetlb: no free page that no reservation holds: -ENOMEM, nothing moved", () => {
    const cfg = config({ ...HUGE, pool: { pages: 1 }, processes: ["p"], threads: [{ name: "t", proc: "p", ops: [...hugeSetup, { migrate: { addr: 0 } }] }] });
    const { k, results } = sequence(cfg);
    expect(results.at(-1)).toBe(Result.ENOMEM);
    expect(pte_page(k.pte(0, 0))).toBe(1);
    expect([k.page_ref(1), k.page_mapcount(1)]).toEqual([1, 1]);
  });

  for (const [what, pin] of [
    ["an exclusive page pinned for DMA cannot be shared by try_to_migrate", true],
    ["a get_user_pages reference fails folio_migrate_mapping's refcount check, and the entry goes back", false],
  ] as const)
    it(`4 KiB: ${what}: EAGAIN, the same page mapped as before`, () => {
      const cfg = config({
        processes: ["p"],
        setup: [{ proc: "p", ops: [...smallSetup] }],
        threads: [
          { name: "gup", proc: "p", ops: [{ gup4k: { addr: 0, page: 0, write: true, pin } }] },
          { name: "migrator", proc: "p", ops: [{ migrate: { addr: 0 } }] },
        ],
      });
      const m = new Machine(cfg, modern);
      const cur = { s: m.initial() };
      const before = m.view(cur.s).small_pte(0, 0, 0);
      runThread(m, cur, 0, 2); // mmap_read_lock, follow_page: the reference (or pin) is held
      expect(m.view(cur.s).page_ref(pte_page(before))).toBe(2);
      expect(runThread(m, cur, 1)).toBe(true);
      const k = m.view(cur.s);
      expect(k.thread_result(1)).toBe(Result.EAGAIN);
      expect(k.small_pte(0, 0, 0)).toBe(before);
      expect(runThread(m, cur, 0)).toBe(true);
    });

  it("MPOL_MF_MOVE leaves a page two processes map alone; MPOL_MF_MOVE_ALL moves it for both", () => {
    const run = (all: boolean) =>
      sequence(
        config({
          processes: ["p", "c"],
          threads: [{ name: "t", proc: "p", ops: [...smallSetup, { fork: { child: "c" } }, { migrate: { addr: 0, all } }] }],
        }),
      ).k;
    const stay = run(false);
    expect(pte_page(stay.small_pte(0, 0, 0))).toBe(pte_page(stay.small_pte(1, 0, 0)));
    const moved = run(true);
    const g = pte_page(moved.small_pte(0, 0, 0));
    expect(pte_page(moved.small_pte(1, 0, 0))).toBe(g);
    expect(g).not.toBe(pte_page(stay.small_pte(0, 0, 0)));
    expect([moved.page_mapcount(g), moved.page_ref(g)]).toEqual([2, 2]);
  });
});

/** Steps thread t until its operation ends or it is blocked; returns whether it ended. */
function runThread(m: Machine, cur: { s: Int32Array }, t: number, steps = Infinity): boolean {
  const k = () => m.view(cur.s);
  const op = k().thread_op(t);
  for (let i = 0; i < steps; i++) {
    if (m.done(cur.s, t) || k().thread_op(t) !== op) return true;
    const next = new Int32Array(m.stateWords);
    if (!m.step(cur.s, t, next)) return false;
    cur.s = next;
  }
  return m.done(cur.s, t) || k().thread_op(t) !== op;
}

describe("a fault meets the migration entry and waits for the folio lock", () => {
  for (const [kind, setup, access, entryOf] of [
    ["4 KiB (do_swap_page → migration_entry_wait)", smallSetup, { access4k: { addr: 0, page: 0, write: true } }, (k: Kernel) => k.small_pte(0, 0, 0)],
    ["hugetlb (migration_entry_wait_huge)", hugeSetup, { fault: { addr: 0, write: true } }, (k: Kernel) => k.pte(0, 0)],
  ] as const) {
    it(kind, () => {
      const cfg = config({
        ...(kind.startsWith("hugetlb") ? HUGE : {}),
        processes: ["p"],
        setup: [{ proc: "p", ops: [...setup] }],
        threads: [
          { name: "migrator", proc: "p", ops: [{ migrate: { addr: 0 } }] },
          { name: "user", proc: "p", ops: [access as Op] },
        ],
      });
      const m = new Machine(cfg, modern);
      const cur = { s: m.initial() };
      runThread(m, cur, 0, 3); // add_page_for_migration, get_new_folio, migrate_folio_unmap
      expect(is_migration_entry(entryOf(m.view(cur.s)))).toBe(true);
      expect(runThread(m, cur, 1)).toBe(false); // blocked in migration_entry_wait_on_locked
      expect(runThread(m, cur, 0)).toBe(true);
      expect(m.view(cur.s).thread_result(0)).toBe(Result.OK);
      expect(runThread(m, cur, 1)).toBe(true);
      const k = m.view(cur.s);
      expect(k.thread_result(1)).toBe(Result.OK);
      expect(pte_present(entryOf(k))).toBe(true);
    });
  }
});

describe("the invariants under migration", () => {
  it("hold in the shipped scenarios under modern", async () => {
    for (const name of ["migrate-fault-4k", "migrate-fault-hugetlb"]) {
      const r = await search(mmModel(loadScenario(name).config, modern).system, mmModel(loadScenario(name).config, modern).invariants);
      expect(r.verdict, name).toBe("pass");
    }
  });

  it("fail when remove_migration_ptes forgets the reference its pte holds", async () => {
    const cfg = loadScenario("migrate-fault-4k").config;
    const broken = (op: OpCall): OpCall => {
      if (op.op !== "migrate") return op;
      const steps = op.procedure.steps.map((s) =>
        s.fn !== "remove_migration_ptes"
          ? s
          : {
              ...s,
              run(k: Kernel, t: number) {
                const r = s.run(k, t);
                // Drop one reference the restored pte should hold.
                const g = pte_page(k.small_pte(0, 0, 0));
                if (r !== -2 && pte_present(k.small_pte(0, 0, 0)) && k.page_ref(g) > 0) folio_put(k, g);
                return r;
              },
            },
      );
      // Under a name of its own: the machine builds the variant's procedure for a known one.
      return { ...op, op: "migrate_broken", procedure: { ...op.procedure, steps } } as OpCall;
    };
    const bad: ModelConfig = { ...cfg, threads: cfg.threads.map((th) => ({ ...th, ops: th.ops.map(broken) })) };
    const model = mmModel(bad, modern);
    const r = await search(model.system, model.invariants);
    expect(r.verdict).toBe("violation");
    expect(r.violation?.invariant).toBe("refcount-balance");
  });
});

describe("the loader", () => {
  const file = (ops: Op[], files: ScenarioInput["files"] = [{ name: "f", pages: 1 }]) =>
    ScenarioSchema.parse({ name: "x", summary: "x", pool: { pages: 1 }, files, processes: ["p"], threads: [{ name: "t", proc: "p", ops }] });
  it("refuses migrate of page-cache pages, naming the field", () => {
    expect(() => resolveScenario(file([{ mmap: { addr: 0, len: 1, file: "f" } }, { migrate: { addr: 0 } }]))).toThrow(ScenarioError);
    expect(() => resolveScenario(file([{ mmap: { addr: 0, len: 1, file: "f" } }, { migrate: { addr: 0 } }]))).toThrow(/migrate\.addr: .*page-cache pages is not modelled/);
    expect(() => resolveScenario(file([{ mmap4k: { addr: 0, pages: 1, shared: true } }, { migrate: { addr: 0 } }], []))).toThrow(/migrate\.addr/);
    expect(() => resolveScenario(file([{ mmap4k: { addr: 0, pages: 1 } }, { migrate: { addr: 0, page: 3 } }], []))).toThrow(/migrate\.page: past the 1 pages/);
  });
  it("accepts a private MAP_HUGETLB mapping and a private anonymous 4 KiB one", () => {
    expect(() => resolveScenario(file([{ mmap: { addr: 0, len: 1, file: "a" } }, { migrate: { addr: 0 } }], [{ name: "a", pages: 1, anon: true }]))).not.toThrow();
    expect(() => resolveScenario(file([{ mmap4k: { addr: 0, pages: 2 } }, { migrate: { addr: 0, page: 1 } }], []))).not.toThrow();
  });
});
