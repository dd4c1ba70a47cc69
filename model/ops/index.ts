/**
 * The operations a scenario can name, each the procedure that models its kernel path, built for
 * a variant: where the variant follows another kernel's version of a whole function, it is
 * resolved here, once, to that era's implementation (model/README: "The mm model"), marked as
 * code the variant changes when it is not modern's (model/changed.ts era).
 */
import { page_pagetable_ops, page_mmap } from "../drivers/char/page.js";
import { hugetlb_fault_v6_18, hugetlbFault } from "../hugetlb/fault.js";
import { handle_hugetlb_mm_fault_v2_6_5 } from "../hugetlb/fault.v2.6.5.js";
import { hugetlb_fault_v2_6_27 } from "../hugetlb/fault.v2.6.27.js";
import { hugetlb_prefault } from "../hugetlb/prefault.v2.6.5.js";
import { ext4_dax_vm_ops } from "../mm/dax.js";
import { ext2_dax_vm_ops } from "../mm/dax.v4.0.js";
import { generic_file_vm_ops } from "../mm/filemap.js";
import { __get_user_pages_v6_18 } from "../mm/gup.js";
import { __get_user_pages_v2_6_31 } from "../mm/gup.v2.6.31.js";
import { __get_user_pages_v4_8 } from "../mm/gup.v4.8.js";
import { __get_user_pages_v4_14 } from "../mm/gup.v4.14.js";
import { do_huge_pmd_wp_page_v6_18 } from "../mm/huge_memory.js";
import { __mm_populate_v6_18 } from "../mm/populate.js";
import { make_pages_present_v2_6_31 } from "../mm/populate.v2.6.31.js";
import { do_anonymous_page_v6_18, do_wp_page_v6_18, smallFault } from "../mm/memory.js";
import { do_anonymous_page_v2_6_31, do_wp_page_v2_6_31 } from "../mm/memory.v2.6.31.js";
import { shmem_anon_vm_ops } from "../mm/shmem.js";
import type { Procedure } from "../types.js";
import { stepRegistry } from "../../core/procedure.js";
import { access4k } from "./access.js";
import { exitMmap } from "./exit.js";
import { fallocatePunchHole } from "./fallocate.js";
import { copy_page_range_v6_18, fork } from "./fork.js";
import { copy_page_range_v2_6_26 } from "./fork.v2.6.26.js";
import { copy_page_range_v2_6_5 } from "./fork.v2.6.5.js";
import { ftruncate } from "./ftruncate.js";
import { ftruncate4k } from "./ftruncate4k.js";
import { gup4k, gupHugetlb } from "./gup.js";
import { follow_page_mask_v6_18 } from "../hugetlb/gup.js";
import { follow_hugetlb_page_v2_6_24 } from "../hugetlb/gup.v2.6.24.js";
import { follow_hugetlb_page_v2_6_21 } from "../hugetlb/gup.v2.6.21.js";
import { dontneed4k } from "./madvise.js";
import { madviseDontneed } from "./madvise_hugetlb.js";
import { madviseWillneed } from "./madvise_willneed.js";
import { migrate } from "./migrate.js";
import { mlock4k, munlock4k } from "./mlock.js";
import { mmap } from "./mmap.js";
import { mmap4k } from "./mmap4k.js";
import { mprotect } from "./mprotect.js";
import { munmap } from "./munmap.js";
import { unlink } from "./unlink.js";
import { write4k } from "./write4k.js";
import { VARIANTS, type Variant } from "../variant.js";
import { era } from "../changed.js";
import type { KernelEras } from "../kernel.js";
import { resv_map_private } from "../hugetlb/reserve.js";
import { vm_private_data_count } from "../hugetlb/reserve.v2.6.26.js";

/** The eras the Kernel carries for kernel functions called from everywhere (model/kernel.ts). */
export function kernelEras(variant: Variant): KernelEras {
  return { privateReserve: era(variant.privateResv === "count" ? vm_private_data_count : resv_map_private, resv_map_private) };
}

const built = new WeakMap<Variant, Readonly<Record<string, Procedure>>>();

/** The procedures of every operation, as `variant` has them. */
export function operations(variant: Variant): Readonly<Record<string, Procedure>> {
  let ops = built.get(variant);
  if (!ops) built.set(variant, (ops = build(variant)));
  return ops;
}

function build(variant: Variant): Readonly<Record<string, Procedure>> {
  const fault4k = smallFault(
    {
      shmem: shmem_anon_vm_ops,
      file: generic_file_vm_ops,
      dax: era(variant.daxFault === "do_dax_fault" ? ext2_dax_vm_ops : ext4_dax_vm_ops, ext4_dax_vm_ops),
    },
    era(variant.zeroPage === "use_zero_page" ? do_anonymous_page_v2_6_31 : do_anonymous_page_v6_18, do_anonymous_page_v6_18),
    era(variant.cowCopy === "cow_user_page" ? do_wp_page_v2_6_31 : do_wp_page_v6_18, do_wp_page_v6_18),
    do_huge_pmd_wp_page_v6_18,
  );
  const gupEras = {
    follow_page_pte: __get_user_pages_v6_18,
    "follow_page_pte_v4.8": __get_user_pages_v4_8,
    "follow_trans_huge_pmd_v4.14": __get_user_pages_v4_14,
    follow_page: __get_user_pages_v2_6_31,
  };
  const gup = { fault: fault4k, era: era(gupEras[variant.gup], __get_user_pages_v6_18) };
  const pop = { gup, era: era(variant.populate === "make_pages_present" ? make_pages_present_v2_6_31 : __mm_populate_v6_18, __mm_populate_v6_18) };
  // Seed 000 (2.6.5): prefault at mmap, COW-only faults. Seed 002: the /dev/page-huge driver.
  const seed000 = variant.hugetlbPrefault;
  const device = variant.hugepageCharDevice;
  const hugetlbFaultEra = era(
    seed000 ? handle_hugetlb_mm_fault_v2_6_5 : variant.hugetlbCow === "hugetlb_cow" ? hugetlb_fault_v2_6_27 : hugetlb_fault_v6_18,
    hugetlb_fault_v6_18,
  );
  const hugeDev = era(device ? page_pagetable_ops : null, null);
  const gupHugetlbEras = {
    follow_page_mask: follow_page_mask_v6_18,
    follow_hugetlb_page: follow_hugetlb_page_v2_6_24,
    "follow_hugetlb_page_v2.6.21": follow_hugetlb_page_v2_6_21,
  };
  return {
    mmap: mmap({ hugetlb_prefault: era(seed000 ? hugetlb_prefault : null, null), page_mmap: era(device ? page_mmap : null, null) }),
    fault: hugetlbFault(hugetlbFaultEra, hugeDev),
    munmap,
    mprotect,
    fork: fork(
      era(
        variant.forkCopy === "dup_mmap_page_table_lock"
          ? copy_page_range_v2_6_5
          : variant.forkCopy === "VM_HUGETLB"
            ? copy_page_range_v2_6_26
            : copy_page_range_v6_18,
        copy_page_range_v6_18,
      ),
    ),
    exit: exitMmap,
    ftruncate,
    punch_hole: fallocatePunchHole,
    unlink,
    mmap4k: mmap4k(pop),
    access4k: access4k(fault4k),
    mlock4k: mlock4k(pop),
    munlock4k: munlock4k(pop),
    gup4k: gup4k(gup),
    gup: gupHugetlb(era(gupHugetlbEras[variant.gupHugetlb], follow_page_mask_v6_18), hugetlbFaultEra, hugeDev),
    vmsplice: gupHugetlb(era(gupHugetlbEras[variant.gupHugetlb], follow_page_mask_v6_18), hugetlbFaultEra, hugeDev, "vmsplice"),
    dontneed4k,
    ftruncate4k,
    write4k,
    madvise_dontneed: madviseDontneed,
    madvise_willneed: madviseWillneed,
    migrate,
  };
}

/** Today's procedures, by operation name: the scenario loader's list of what a scenario can name. */
export const OPERATIONS = operations(VARIANTS[0]!);

/** A step of the model as `mmcheck list --steps` shows it. */
export interface ModelStep {
  readonly label: string;
  readonly fn: string;
  /** The file whose code builds the step's procedure (an era's steps are built into today's). */
  readonly file: string;
  /** The variants whose procedures have it: an era's steps, only those that select the era. */
  readonly variants: readonly string[];
}

/** Every step of the model, over every variant's procedures (and so every era), by label. */
export function modelSteps(): ModelStep[] {
  const steps = new Map<string, { label: string; fn: string; file: string; variants: string[] }>();
  for (const v of VARIANTS)
    for (const p of Object.values(operations(v)))
      for (const s of p.steps) {
        let e = steps.get(s.label);
        if (!e) steps.set(s.label, (e = { label: s.label, fn: s.fn, file: stepRegistry()[s.id]!.file, variants: [] }));
        if (!e.variants.includes(v.name)) e.variants.push(v.name);
      }
  return [...steps.values()].sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
}
