/** A host profile as the probe would measure it, for tests that need no kernel. */
import type { HostProfile } from "../../conform/host.js";

export const SOME_HOST: HostProfile = {
  release: "6.18.0-test",
  cmdline: "",
  zeroPage: "mapped",
  thp: { enabled: "madvise", defrag: "madvise", useZeroPage: true },
  hugepages: { defaultKb: 2048, sizesKb: [2048] },
  kpagecount: "per-page",
  hugetlbOvercommit: 0,
};
