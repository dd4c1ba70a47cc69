/**
 * The findings: bugs of today's kernel (the `modern` variant) that mmcheck found, each written
 * up for the kernel's reviewers in findings/NNN-<slug>.md. A shipped scenario that violates an
 * invariant under `modern` names its finding (`expect: { modern: { verdict: violation,
 * invariant, finding } }`); the tests hold an open finding's scenarios to their violation, and
 * its `fix` variant to passing them. Closing a finding (the kernel fixed it, and `modern`
 * follows) makes those expectations stale: the tests then ask for `modern: pass`.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** How the finding is shown on a live kernel (run by the suite with MMCHECK_LIVE_KERNEL=1). */
export type Reproducer =
  /** Conformance scenarios (conform/scenarios/) whose kernel column shows the bug. */
  | { readonly kind: "conform"; readonly scenarios: readonly string[] }
  /** A C stress program (conform/stress/NAME.c), for a timing race: its modes' hit rates. */
  | { readonly kind: "stress"; readonly program: string };

export interface Finding {
  readonly id: string;
  readonly slug: string;
  readonly title: string;
  readonly status: "open" | "closed";
  /** The invariant today's kernel breaks. */
  readonly invariant: string;
  /** The commit that introduced it, from the kernel's history. */
  readonly introduced: string;
  /** The proposed fix, a variant of model/variant.ts. */
  readonly fix: string;
  readonly reproducer: Reproducer;
  /** Other findings its fix also fixes (their recorded kernel runs differ under it too). */
  readonly alsoFixes?: readonly string[];
}

export const FINDINGS: readonly Finding[] = [
  {
    id: "001",
    slug: "unmap-restore-reserve-cow-shared",
    title: "HugePages_Rsvd falls below the reservations outstanding, and wraps, when a reservation owner unmaps a page its fork child still maps",
    status: "open",
    invariant: "reservation-conservation",
    introduced: "df7a6d1f6405 (\"mm/hugetlb: restore the reservation if needed\", v6.10)",
    fix: "fix-unmap-restore-reserve",
    reproducer: { kind: "conform", scenarios: ["fork-owner-unmaps", "fork-owner-unmaps-part", "fork-owner-dontneed"] },
  },
  {
    id: "002",
    slug: "dontneed-fault-race-without-vma-lock",
    title: "MADV_DONTNEED vs fault still gives SIGBUS in a private hugetlb mapping without a reserve map",
    status: "open",
    invariant: "zap-fault-serializable",
    introduced:
      "90e7e7f5ef3f (\"mm: enable MADV_DONTNEED for hugetlb mappings\", v5.18); 2820b0f09be9 and bf4916922c60 (v6.7) closed it only for VMAs with a hugetlb VMA lock",
    fix: "fix-dontneed-noreserve",
    reproducer: { kind: "stress", program: "dontneed-fault" },
  },
  {
    id: "003",
    slug: "subpool-quota-leak-on-alloc-failure",
    title: "A huge page allocation that fails on a hugetlbfs mount with size= keeps its page of the mount's quota charged",
    status: "open",
    invariant: "pool-counters",
    introduced:
      "the \"map_chg && !gbl_chg\" condition of alloc_hugetlb_folio's out_subpool_put (v6.15-era subpool fallback fix, as read; the commit was not checked out here)",
    fix: "fix-subpool-alloc-failure",
    reproducer: { kind: "conform", scenarios: ["subpool-size-quota"] },
  },
  {
    id: "004",
    slug: "unmap-restore-reserve-referenced",
    title:
      "HugePages_Rsvd wraps when a reservation owner unmaps (or exits from) a private huge page that a GUP reference or pin still holds, vmsplice's pipe buffer or direct I/O",
    status: "open",
    invariant: "pool-counters",
    introduced: "df7a6d1f6405 (\"mm/hugetlb: restore the reservation if needed\", v6.10)",
    fix: "fix-unmap-restore-reserve-refs",
    reproducer: { kind: "conform", scenarios: ["gup-owner-unmaps"] },
    alsoFixes: ["001"],
  },
  {
    id: "005",
    slug: "free-surplus-restore-reserve",
    title:
      "free_huge_folio restores a reservation and still gives a surplus page to the buddy allocator: HugePages_Rsvd exceeds HugePages_Free (a min_size= mount on an overcommitted pool)",
    status: "open",
    invariant: "pool-counters",
    introduced: "1c5ecae3a93f (\"hugetlbfs: add minimum size accounting to subpools\", v4.1)",
    fix: "fix-free-surplus-restore-reserve",
    reproducer: { kind: "conform", scenarios: ["subpool-min-size-surplus"] },
  },
];

export function findFinding(id: string): Finding | undefined {
  return FINDINGS.find((f) => f.id === id);
}

/** The folder of the write-ups (beside this file in the source tree, or above dist/). */
export function findingsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return [here, resolve(here, "../../findings")].find((d) => existsSync(join(d, "index.ts"))) ?? here;
}

/** The write-up of a finding: findings/NNN-<slug>.md. */
export function findingFile(f: Finding): string {
  return join(findingsDir(), `${f.id}-${f.slug}.md`);
}
