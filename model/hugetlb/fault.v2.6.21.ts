/**
 * hugetlb_cow of mm/hugetlb.c in 2.6.21 (2007), which seed 002's /dev/page-huge fault calls:
 * "If no-one else is actually using this page" — page_count() == 1 — the page is reused in
 * place; a failed copy is VM_FAULT_OOM.
 */
import { Result } from "../types.js";
import type { HugetlbCow } from "./fault.js";

export const hugetlb_cow_v2_6_21: HugetlbCow = {
  reuse: (k, _vma, old) => k.page_ref(old) === 1,
  oom: Result.ENOMEM,
};
