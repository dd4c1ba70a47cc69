/**
 * The host profile: what the running kernel does where kernels differ, learnt once per run.
 * The zero page and kpagecount are measured by the probe (`probe --profile`: a read fault, and
 * /proc/kpageflags, /proc/kpagecount), never guessed from the command line; the rest is read
 * from /proc and /sys. The model is run as the profiled kernel (kernelConfigOf).
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { release } from "node:os";
import { promisify } from "node:util";
import { z } from "zod";
import { ZERO_PAGE_MODES, type KernelConfig } from "../model/config.js";

export const HostProfileSchema = z.strictObject({
  /** uname -r. */
  release: z.string(),
  /** /proc/cmdline, for the record only: nothing is decided from it. */
  cmdline: z.string(),
  /** Measured: a private anonymous read fault maps the zero page, or a page of its own. */
  zeroPage: z.enum(ZERO_PAGE_MODES),
  /** /sys/kernel/mm/transparent_hugepage (null: no THP in this kernel). */
  thp: z.strictObject({ enabled: z.string(), defrag: z.string(), useZeroPage: z.boolean() }).nullable(),
  /** The default huge page size and every size the kernel offers, in kB. */
  hugepages: z.strictObject({ defaultKb: z.number().int().nonnegative(), sizesKb: z.array(z.number().int().positive()) }),
  /**
   * Measured on a half-unmapped THP: /proc/kpagecount counts each page's own mappings
   * (CONFIG_PAGE_MAPCOUNT) or reads the folio's average; unknown without a THP to try.
   */
  kpagecount: z.enum(["per-page", "per-folio", "unknown"]),
  /** nr_overcommit_hugepages as found: how many surplus pages the pool may borrow. */
  hugetlbOvercommit: z.number().int().nonnegative(),
});

export type HostProfile = z.infer<typeof HostProfileSchema>;

/** The model's kernel configuration for a profiled host. */
export function kernelConfigOf(host: HostProfile): KernelConfig {
  const enabled = host.thp?.enabled;
  const thp = enabled === "always" || enabled === "madvise" ? enabled : "never";
  return { zeroPage: host.zeroPage, thp, thpZeroPage: host.thp?.useZeroPage ?? false };
}

/** Why a scenario means nothing on this host (a `requires:` it does not meet), or null. */
export function unmetRequirement(
  requires: { readonly zeroPage?: KernelConfig["zeroPage"]; readonly kernel?: string },
  host: HostProfile,
): string | null {
  if (requires.zeroPage !== undefined && requires.zeroPage !== host.zeroPage)
    return `requires zeroPage: ${requires.zeroPage}; this host's kernel has it ${host.zeroPage}`;
  if (requires.kernel !== undefined && olderThan(host.release, requires.kernel))
    return `requires kernel ${requires.kernel} or later; this host runs ${host.release}`;
  return null;
}

/** Is release (`6.18.44-…`) older than version `major.minor`? */
function olderThan(release: string, version: string): boolean {
  const [major = 0, minor = 0] = (/^(\d+)\.(\d+)/.exec(release) ?? []).slice(1).map(Number);
  const [wantMajor, wantMinor] = version.split(".").map(Number) as [number, number];
  return major < wantMajor || (major === wantMajor && minor < wantMinor);
}

/** The selected word of a sysfs choice line, `always [madvise] never` → `madvise`. */
function selected(path: string): string {
  const text = readFileSync(path, "utf8").trim();
  return /\[([^\]]+)\]/.exec(text)?.[1] ?? text;
}

function thpProfile(): HostProfile["thp"] {
  const dir = "/sys/kernel/mm/transparent_hugepage";
  if (!existsSync(`${dir}/enabled`)) return null;
  return {
    enabled: selected(`${dir}/enabled`),
    defrag: selected(`${dir}/defrag`),
    useZeroPage: readFileSync(`${dir}/use_zero_page`, "utf8").trim() === "1",
  };
}

function hugepageSizes(): HostProfile["hugepages"] {
  const meminfo = readFileSync("/proc/meminfo", "utf8");
  const defaultKb = Number(/^Hugepagesize:\s+(\d+) kB/m.exec(meminfo)?.[1] ?? 0);
  const dir = "/sys/kernel/mm/hugepages";
  const sizesKb = existsSync(dir)
    ? readdirSync(dir)
        .map((d) => Number(/^hugepages-(\d+)kB$/.exec(d)?.[1]))
        .filter((n) => n > 0)
        .sort((a, b) => a - b)
    : [];
  return { defaultKb, sizesKb };
}

/**
 * Profiles this host with a built probe binary (conform/kernel.ts builds it). The probe first
 * puts back what a killed run left (a `swept` line, passed on to stderr), so the overcommit it
 * reads is the host's own.
 */
export async function profileHost(probeBinary: string): Promise<HostProfile> {
  const { stdout } = await promisify(execFile)(probeBinary, ["--profile"]);
  const lines = stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const l of lines) if (typeof l.swept === "string") console.error(`mmcheck conform: ${l.swept}`);
  const measured = z
    .strictObject({
      zeroPage: z.enum(ZERO_PAGE_MODES),
      kpagecount: z.enum(["per-page", "per-folio", "unknown"]),
      overcommit: z.number().int().nonnegative(),
    })
    .safeParse(lines.find((l) => "zeroPage" in l));
  if (!measured.success) throw new Error(`probe --profile: unreadable answer ${stdout.slice(0, 120)}`);
  return {
    release: release(),
    cmdline: readFileSync("/proc/cmdline", "utf8").trim(),
    zeroPage: measured.data.zeroPage,
    thp: thpProfile(),
    hugepages: hugepageSizes(),
    kpagecount: measured.data.kpagecount,
    hugetlbOvercommit: measured.data.overcommit,
  };
}

/** The profile as lines, for the head of `mmcheck conform`'s table and for `mmcheck host`. */
export function formatHost(h: HostProfile): string {
  const thp = h.thp ? `enabled=${h.thp.enabled} defrag=${h.thp.defrag} use_zero_page=${h.thp.useZeroPage ? 1 : 0}` : "not built in";
  return [
    `host: Linux ${h.release}`,
    `  zero page:        ${h.zeroPage === "mapped" ? "mapped (a private anonymous read maps the zero page)" : "forbidden (a private anonymous read allocates a zeroed page)"}`,
    `  THP:              ${thp}`,
    `  huge pages:       default ${h.hugepages.defaultKb} kB; sizes ${h.hugepages.sizesKb.map((s) => `${s} kB`).join(", ") || "none"}`,
    `  kpagecount:       ${h.kpagecount}`,
    `  hugetlb overcommit: nr_overcommit_hugepages=${h.hugetlbOvercommit}`,
    `  cmdline:          ${h.cmdline}`,
  ].join("\n");
}
