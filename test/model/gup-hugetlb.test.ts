/**
 * get_user_pages of hugetlb mappings (model/hugetlb/gup.ts, the `gup` operation): run alone,
 * a FOLL_FORCE write of a read-only private mapping breaks COW into an exclusive anonymous page
 * and leaves the pte read-only (v6.18); a pin is taken and given back; a R/O long-term pin of a
 * page-cache page unshares it; the loader's refusal. The races are the shipped scenarios
 * gup-hugetlb-dontneed, gup-hugetlb-fork-cow and gup-hugetlb-pin-fork* (scenarios.test.ts); a pin
 * held across fork is fork-pin-hugetlb.test.ts.
 */
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import type { ModelConfig } from "../../model/config.js";
import { PG_ANON, PG_ANON_EXCLUSIVE } from "../../model/layout.js";
import { Machine } from "../../model/machine.js";
import { huge_pte_write, pte_page } from "../../model/mm/pte.js";
import { Result } from "../../model/types.js";
import { findVariant } from "../../model/variant.js";
import { resolveScenario, ScenarioError } from "../../scenarios/load.js";
import { ScenarioSchema } from "../../scenarios/schema.js";

type ScenarioInput = z.input<typeof ScenarioSchema>;
type Op = ScenarioInput["threads"][number]["ops"][number];

function config(ops: Op[], extra: Partial<ScenarioInput> = {}): ModelConfig {
  return resolveScenario(
    ScenarioSchema.parse({
      name: "gup-hugetlb-test",
      summary: "gup of a hugetlb mapping",
      pool: { pages: 2 },
      files: [{ name: "f", pages: 1 }],
      processes: ["p"],
      threads: [{ name: "t", proc: "p", ops }],
      ...extra,
    }),
  ).config;
}

/** Runs the thread's operations one after another: the kernel view and each result. */
function sequence(cfg: ModelConfig, variant = "modern") {
  const m = new Machine(cfg, findVariant(variant)!);
  const k = m.view(m.initial());
  const results = cfg.threads[0]!.ops.map((op) => m.runToCompletion(k, op));
  return { k, results };
}

const readOnly: Op = { mmap: { addr: 0, len: 1, file: "f", write: false } };

describe("get_user_pages of a hugetlb mapping, run alone", () => {
  it("a FOLL_FORCE write of a read-only private mapping copies into an exclusive anonymous page, the pte left read-only (v6.18)", () => {
    const { k, results } = sequence(config([readOnly, { fault: { addr: 0 } }, { gup: { addr: 0, write: true, force: true } }]));
    expect(results).toEqual([Result.OK, Result.OK, Result.OK]);
    const pte = k.pte(0, 0);
    const g = pte_page(pte);
    expect(huge_pte_write(pte)).toBe(false);
    expect(k.page_test(g, PG_ANON) && k.page_test(g, PG_ANON_EXCLUSIVE)).toBe(true);
    expect(k.page_content(g)).not.toBe(0); // the write
    expect(k.page_cache(0, 0)).not.toBe(g);
    expect(k.page_content(k.page_cache(0, 0))).toBe(0);
  });

  it("before v6.0 the COW fault of the same write maps the copy writable whatever the VMA (follow_hugetlb_page, 2.6.24–v6.4)", () => {
    const { k, results } = sequence(config([readOnly, { fault: { addr: 0 } }, { gup: { addr: 0, write: true, force: true } }]), "seed-003");
    expect(results.at(-1)).toBe(Result.OK);
    expect(huge_pte_write(k.pte(0, 0))).toBe(true);
    expect(k.page_content(pte_page(k.pte(0, 0)))).not.toBe(0);
  });

  it("a write without FOLL_FORCE to a read-only mapping is -EFAULT (check_vma_flags)", () => {
    const { results } = sequence(config([readOnly, { gup: { addr: 0, write: true } }]));
    expect(results.at(-1)).toBe(Result.EFAULT);
  });

  it("pin_user_pages takes a pin and a reference, and unpin gives both back", () => {
    const { k, results } = sequence(config([{ mmap: { addr: 0, len: 1, file: "f" } }, { gup: { addr: 0, write: true, pin: true } }]));
    expect(results).toEqual([Result.OK, Result.OK]);
    const g = pte_page(k.pte(0, 0));
    expect(k.page_pins(g)).toBe(0);
    expect(k.page_ref(g)).toBe(1);
    expect(k.page_content(g)).not.toBe(0);
  });

  it("a read-only long-term pin of a page-cache page in a private mapping unshares it first (gup_must_unshare)", () => {
    const { k } = sequence(config([readOnly, { fault: { addr: 0 } }, { gup: { addr: 0, pin: true, longterm: true } }]));
    const g = pte_page(k.pte(0, 0));
    expect(g).not.toBe(k.page_cache(0, 0));
    expect(k.page_test(g, PG_ANON_EXCLUSIVE)).toBe(true);
    expect(huge_pte_write(k.pte(0, 0))).toBe(false);
  });
});

describe("the loader", () => {
  const refused = (s: Partial<ScenarioInput>) => () =>
    resolveScenario(ScenarioSchema.parse({ name: "x", summary: "x", pool: { pages: 1 }, files: [{ name: "f", pages: 1 }], processes: ["p", "c"], ...s }));

  it("refuses gup of a 4 KiB slot", () => {
    const s = { threads: [{ name: "t", proc: "p", ops: [{ mmap4k: { addr: 0, pages: 1 } }, { gup: { addr: 0 } }] }] };
    expect(refused(s)).toThrow(ScenarioError);
    expect(refused(s)).toThrow("threads.0.ops.1.gup.addr: slot 0 holds a 4 KiB mapping (mmap4k): get_user_pages of it is gup4k");
  });
});
