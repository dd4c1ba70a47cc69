/**
 * fork of a private hugetlb mapping whose page a pin holds (model/ops/fork.ts): today
 * copy_hugetlb_page_range copies the page for the child at once (the early COW of v5.12), from
 * the pages no reservation holds; without one fork fails with ENOMEM and the child's half-built
 * mm is torn down; before v5.12 (bug-fork-shares-pinned-huge-page) the page is shared. The pin
 * is taken by hand here (as pin_user_pages holds it across the I/O); the races are the shipped
 * scenarios gup-hugetlb-pin-fork and gup-hugetlb-pin-fork-enomem (scenarios.test.ts).
 */
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { MM_ALIVE, MM_EXITED, PG_ANON_EXCLUSIVE } from "../../model/layout.js";
import { decode } from "../../model/decode.js";
import { Machine } from "../../model/machine.js";
import { huge_pte_write, pte_page } from "../../model/mm/pte.js";
import { Result } from "../../model/types.js";
import { findVariant } from "../../model/variant.js";
import { INVARIANTS } from "../../invariants/index.js";
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { resolveScenario } from "../../scenarios/load.js";
import { search } from "../helpers/search.js";
import { ScenarioSchema } from "../../scenarios/schema.js";

type ScenarioInput = z.input<typeof ScenarioSchema>;

/** Two private mappings, each faulted for write, the second's page pinned; then fork. */
function forkPinned(pool: number, variant = "modern") {
  const input: ScenarioInput = {
    name: "fork-pin-test",
    summary: "fork of a pinned huge page",
    pool: { pages: pool },
    files: [{ name: "a", pages: 1 }, { name: "b", pages: 1 }],
    processes: ["p", "c"],
    threads: [
      {
        name: "t",
        proc: "p",
        ops: [
          { mmap: { addr: 0, len: 1, file: "a" } },
          { fault: { addr: 0, write: true } },
          { mmap: { addr: 1, len: 1, file: "b" } },
          { fault: { addr: 1, write: true } },
          { fork: { child: "c" } },
        ],
      },
    ],
  };
  const cfg = resolveScenario(ScenarioSchema.parse(input)).config;
  const m = new Machine(cfg, findVariant(variant)!);
  const k = m.view(m.initial());
  const ops = cfg.threads[0]!.ops;
  for (const op of ops.slice(0, -1)) expect(m.runToCompletion(k, op)).toBe(Result.OK);
  const pinned = pte_page(k.pte(0, 1));
  // pin_user_pages' pin, held across the fork.
  k.folio_get(pinned);
  k.add_pins(pinned, 1);
  const before = { free: k.free_huge_pages, resv: k.resv_huge_pages, ref: k.page_ref(pinned) };
  const result = m.runToCompletion(k, ops.at(-1)!);
  return { k, result, pinned, before };
}

describe("fork of a pinned private huge page", () => {
  it("copies the page for the child at once, from a page no reservation holds; the parent keeps its page writable and exclusive", () => {
    const { k, result, pinned, before } = forkPinned(3);
    expect(result).toBe(Result.OK);
    expect(k.mm_state(1)).toBe(MM_ALIVE);
    const copy = pte_page(k.pte(1, 1));
    expect(copy).not.toBe(pinned);
    expect(huge_pte_write(k.pte(1, 1))).toBe(true);
    expect(k.page_test(copy, PG_ANON_EXCLUSIVE)).toBe(true);
    expect(pte_page(k.pte(0, 1))).toBe(pinned);
    expect(huge_pte_write(k.pte(0, 1))).toBe(true);
    expect(k.page_test(pinned, PG_ANON_EXCLUSIVE)).toBe(true);
    expect(k.page_ref(pinned)).toBe(before.ref);
    expect([k.free_huge_pages, k.resv_huge_pages]).toEqual([before.free - 1, before.resv]);
    // The unpinned page is shared as usual: read-only in both, no longer exclusive.
    expect(pte_page(k.pte(1, 0))).toBe(pte_page(k.pte(0, 0)));
    expect(huge_pte_write(k.pte(0, 0)) || huge_pte_write(k.pte(1, 0))).toBe(false);
  });

  it("fails with ENOMEM when no page is free for the copy, and tears the child down: nothing it took is kept", () => {
    const { k, result, pinned, before } = forkPinned(2);
    expect(result).toBe(Result.ENOMEM);
    expect(k.mm_state(1)).toBe(MM_EXITED);
    expect([k.pte(1, 0), k.pte(1, 1)]).toEqual([0, 0]);
    const shared = pte_page(k.pte(0, 0));
    expect([k.page_ref(shared), k.page_mapcount(shared)]).toEqual([1, 1]);
    expect(k.page_ref(pinned)).toBe(before.ref);
    expect([k.free_huge_pages, k.resv_huge_pages]).toEqual([before.free, before.resv]);
    // The parent is as fork found it, but its first page is no longer exclusive (the copy of
    // the first VMA made it shared before the failure) and its pte stays read-only.
    expect(huge_pte_write(k.pte(0, 0))).toBe(false);
    expect(huge_pte_write(k.pte(0, 1))).toBe(true);
  });

  it("before v5.12 shares the pinned page with the child (bug-fork-shares-pinned-huge-page)", () => {
    const { k, result, pinned } = forkPinned(2, "bug-fork-shares-pinned-huge-page");
    expect(result).toBe(Result.OK);
    expect(pte_page(k.pte(1, 1))).toBe(pinned);
    expect(huge_pte_write(k.pte(0, 1))).toBe(false);
  });
});

describe("fork's ENOMEM in a search", () => {
  const scenario = (forkExpect: string | undefined) => {
    const raw = parseYaml(readFileSync("scenarios/gup-hugetlb-pin-fork-enomem.yaml", "utf8")) as ScenarioInput & { threads: { ops: (string | Record<string, object>)[] }[] };
    const threads = raw.threads.map((t) => ({
      ...t,
      ops: t.ops.map((op) => (typeof op === "object" && "fork" in op && forkExpect !== undefined ? { fork: { ...op.fork, expect: forkExpect } } : op)),
    }));
    return resolveScenario(ScenarioSchema.parse({ ...raw, threads })).config;
  };

  it("some interleaving ends fork in ENOMEM (expected-result fails on ok), the child left exited with no mapping", async () => {
    const m = new Machine(scenario("ok"), findVariant("modern")!);
    const r = await search(m, INVARIANTS);
    expect(r.violation?.invariant).toBe("expected-result");
    expect(r.violation?.message).toBe("forker's fork(child=child) returned ENOMEM, the scenario expects ok");
    // The counterexample's last state, as a trace shows it (model/decode.ts).
    const s = m.initial();
    for (const t of r.violation!.threads) expect(m.stepInPlace(s, t)).not.toBeNull();
    const last = decode(m.view(s));
    expect(last.mms.find((mm) => mm.name === "child")).toMatchObject({ state: "exited", vmas: [] });
    expect(last.threads.find((t) => t.name === "forker")?.last_result).toBe("ENOMEM");
  });

  it("and every other one ends it ok (expected-result fails on ENOMEM)", async () => {
    const r = await search(new Machine(scenario("ENOMEM"), findVariant("modern")!), INVARIANTS);
    expect(r.violation?.message).toBe("forker's fork(child=child) returned ok, the scenario expects ENOMEM");
  });
});
