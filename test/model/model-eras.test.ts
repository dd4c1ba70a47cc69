/**
 * The mm model built for a variant: each procedure carries the steps of the vm_ops and the eras
 * its variant has (model/ops/index.ts operations), and no other era's.
 */
import { describe, expect, it } from "vitest";
import { operations } from "../../model/ops/index.js";
import { findVariant } from "../../model/variant.js";

/** The step labels of `op` as `variant` builds it. */
function labels(variant: string, op: string): string[] {
  return operations(findVariant(variant)!)[op]!.steps.map((s) => s.label);
}

const SMALL_FAULTING = ["access4k", "gup4k", "mmap4k", "mlock4k", "munlock4k"];

describe("procedures built for a variant", () => {
  it("a 4 KiB procedure reaches the DAX fault of its variant's era only", () => {
    for (const op of SMALL_FAULTING) {
      expect(labels("modern", op)).toContain("dax_iomap_pte_fault:grab_mapping_entry");
      expect(labels("modern", op)).not.toContain("do_dax_fault:find_get_page");
      expect(labels("seed-004", op)).toContain("do_dax_fault:find_get_page");
      expect(labels("seed-004", op)).not.toContain("ext4_dax_huge_fault:filemap_invalidate_lock_shared");
    }
  });

  it("only seed 001's do_wp_page has the cow_user_page step", () => {
    expect(labels("seed-001", "access4k")).toContain("do_wp_page:cow_user_page");
    for (const v of ["modern", "seed-004", "bug-dax-cow-unlock-mode"]) expect(labels(v, "access4k")).not.toContain("do_wp_page:cow_user_page");
  });

  it("only seed 002's hugetlb fault has the /dev/page-huge driver's page_fault", () => {
    expect(labels("seed-002", "fault")).toContain("page_fault:mutex_lock");
    for (const v of ["modern", "seed-000", "seed-003"]) expect(labels(v, "fault").some((l) => l.startsWith("page_fault:"))).toBe(false);
  });

  it("is built once per variant", () => {
    const v = findVariant("seed-001")!;
    expect(operations(v)).toBe(operations(v));
    expect(operations(v).access4k).not.toBe(operations(findVariant("modern")!).access4k);
  });
});
