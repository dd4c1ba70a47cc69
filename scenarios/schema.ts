/**
 * The scenario file format (YAML or JSON), validated with zod. Addresses, lengths, offsets and
 * sizes are in huge pages; the 4 KiB operations name a huge-page slot of the address space
 * (`addr`) and 4 KiB pages inside it (`page`, `pages`).
 */
import { z } from "zod";
import { THP_MODES, ZERO_PAGE_MODES } from "../model/config.js";
import { SMALL_PER_HUGE } from "../model/layout.js";
import { RESULT_NAMES } from "../model/types.js";

const count = z.number().int().nonnegative();
const positive = z.number().int().positive();
const name = z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, "a name of letters, digits, _ and -");

/** 4 KiB pages in a 2 MiB huge page: a 4 KiB mapping takes one huge-page slot, and stays in it. */
export { SMALL_PER_HUGE };
/** The most 4 KiB pages a mapping may have in a scenario (each is a pte in every mm). */
export const SMALL_PAGES_MAX = 16;
/**
 * The model's limits, checked before anything is allocated or looped over. A file's reserve map
 * is a bit mask of its indices (model/region.ts), which keeps them below 31; so are the huge pages
 * of the pool, which a zap gathers in one word (model/mm/mmu_gather.ts). Each page of the address
 * space is a pte word in every process: a scenario's `addressSpace` is at most 30 pages, but
 * conformance scenarios (conform/schema.ts) watch slots up to 44 with these operations.
 */
export const FILE_PAGES_MAX = 30;
export const ADDR_PAGES_MAX = 64;
export const POOL_PAGES_MAX = 31;
/** Processes and files: each is a block of every state (model/layout.ts). */
export const PROCESSES_MAX = 16;
export const FILES_MAX = 16;

/** A huge-page address (a slot of the address space), a length, a file index or size. */
const addr = count.max(ADDR_PAGES_MAX - 1);
const len = positive.max(ADDR_PAGES_MAX);
const fileIndex = count.max(FILE_PAGES_MAX);
const fileLen = positive.max(FILE_PAGES_MAX);

/**
 * A range of huge pages, or with `unit: 4k` of 4 KiB pages (a hugetlb range the kernel may
 * refuse: hugetlb_vm_op_split splits a hugetlb VMA only at a huge-page boundary, EINVAL).
 */
const rangeIn4k = {
  addr: count.max(ADDR_PAGES_MAX * SMALL_PER_HUGE - 1),
  len: positive.max(ADDR_PAGES_MAX * SMALL_PER_HUGE),
  unit: z.enum(["huge", "4k"]).default("huge"),
};
function checkUnit(r: { addr: number; len: number; unit: "huge" | "4k" }, ctx: z.RefinementCtx): void {
  if (r.unit === "4k") return;
  if (r.addr > ADDR_PAGES_MAX - 1)
    ctx.addIssue({ code: "custom", path: ["addr"], message: `at most ${ADDR_PAGES_MAX - 1} huge pages (unit: 4k counts 4 KiB pages)` });
  if (r.len > ADDR_PAGES_MAX)
    ctx.addIssue({ code: "custom", path: ["len"], message: `at most ${ADDR_PAGES_MAX} huge pages (unit: 4k counts 4 KiB pages)` });
}

/** Each operation is a one-key map, `{fault: {addr: 1, write: true}}`, or a bare name (`exit`). */
export const OpSchemas = {
  mmap: z.strictObject({
    addr,
    len,
    file: name,
    pgoff: fileIndex.default(0),
    shared: z.boolean().default(false),
    noreserve: z.boolean().default(false),
    write: z.boolean().default(true),
  }).meta({ description: "mmap of huge pages [addr, addr + len) of a hugetlbfs file from page pgoff; shared: MAP_SHARED; noreserve: MAP_NORESERVE; write: PROT_WRITE" }),
  /** `fail_add_to_page_cache`: fault injection, the new page's page-cache insertion fails (-ENOMEM). */
  fault: z
    .strictObject({ addr, write: z.boolean().default(false), fail_add_to_page_cache: z.boolean().default(false) })
    .meta({ description: "a page fault (a load, or a store with write) at huge page addr; fail_add_to_page_cache injects -ENOMEM from the page-cache insertion" }),
  munmap: z
    .strictObject(rangeIn4k)
    .superRefine(checkUnit)
    .meta({ description: "munmap of huge pages [addr, addr + len) (unit: 4k: in 4 KiB pages, as the kernel takes them; inside a slot of 4 KiB memory it splits its VMAs at 4 KiB)" }),
  mprotect: z
    .strictObject({ ...rangeIn4k, write: z.boolean() })
    .superRefine(checkUnit)
    .meta({ description: "mprotect of huge pages [addr, addr + len) (unit: 4k: in 4 KiB pages; inside a slot of 4 KiB memory it splits its VMAs at 4 KiB), writable or read-only" }),
  fork: z.strictObject({ child: name }).meta({ description: "fork: the process named child starts as a copy of this one; ENOMEM (the child never runs) when the early copy of a pinned huge page cannot be allocated" }),
  exit: z.strictObject({}).meta({ description: "the process exits (exit_mmap); written as the bare name exit" }),
  ftruncate: z.strictObject({ file: name, size: fileIndex }).meta({ description: "ftruncate of a hugetlbfs file to size huge pages" }),
  unlink: z.strictObject({ file: name }).meta({ description: "unlink of a hugetlbfs file: it lives on in its mappings" }),
  /** fallocate(FALLOC_FL_PUNCH_HOLE) of file pages [offset, offset + len). */
  punch_hole: z.strictObject({ file: name, offset: fileIndex, len: fileLen }).meta({ description: "fallocate(FALLOC_FL_PUNCH_HOLE) of file pages [offset, offset + len)" }),
  /**
   * mmap of `pages` 4 KiB pages at the start of slot `addr`: anonymous memory (MAP_SHARED:
   * shmem), or with `file` a mapping of a 4 KiB file (files4k) from its start.
   */
  mmap4k: z.strictObject({
    addr,
    pages: positive.max(SMALL_PAGES_MAX),
    file: name.optional(),
    shared: z.boolean().default(false),
    write: z.boolean().default(true),
    populate: z.boolean().default(false),
    thp: z.boolean().default(false),
  }).meta({
    description:
      "mmap of pages 4 KiB pages at the start of slot addr: anonymous (shared: shmem), or with file a mapping of a 4 KiB file from its start (shared: MAP_SHARED); populate: MAP_POPULATE; thp: the whole 2 MiB slot, private anonymous, with madvise(MADV_HUGEPAGE) (pages: the 4 KiB pages the model keeps ptes for)",
  }),
  /** A load (or store) of 4 KiB page `page` of slot `addr`. */
  access4k: z.strictObject({ addr, page: count.max(SMALL_PER_HUGE - 1), write: z.boolean().default(false) }).meta({ description: "a load (or a store, write) of 4 KiB page page of slot addr" }),
  /** mlock and munlock of 4 KiB pages [page, page + pages) of slot `addr`: a part of a VMA is split off, a hole is ENOMEM. */
  mlock4k: z
    .strictObject({ addr, page: count.max(SMALL_PER_HUGE - 1).default(0), pages: positive.max(SMALL_PAGES_MAX) })
    .meta({ description: "mlock of 4 KiB pages [page, page + pages) of slot addr (a part of a VMA is split off; a hole is ENOMEM), then populates them" }),
  munlock4k: z
    .strictObject({ addr, page: count.max(SMALL_PER_HUGE - 1).default(0), pages: positive.max(SMALL_PAGES_MAX) })
    .meta({ description: "munlock of 4 KiB pages [page, page + pages) of slot addr (a part of a VMA is split off; a hole is ENOMEM)" }),
  /** get_user_pages of 4 KiB pages [page, page + pages) (pin: pin_user_pages), then the kernel reads or writes them. */
  gup4k: z.strictObject({
    addr,
    page: count.max(SMALL_PER_HUGE - 1),
    pages: positive.max(SMALL_PAGES_MAX).default(1),
    write: z.boolean().default(false),
    force: z.boolean().default(false),
    pin: z.boolean().default(false),
    longterm: z.boolean().default(false),
  }).meta({
    description:
      "get_user_pages of 4 KiB pages [page, page + pages) of slot addr (as ptrace uses it; pin: pin_user_pages as direct I/O does), then the kernel reads or writes them; across VMAs, it stops at a hole or a VMA it may not use and returns the pages it has (partial), or EFAULT with none",
  }),
  /** get_user_pages of the huge page at `addr` (pin: pin_user_pages), then the kernel reads or writes it. */
  gup: z.strictObject({
    addr,
    write: z.boolean().default(false),
    force: z.boolean().default(false),
    pin: z.boolean().default(false),
    longterm: z.boolean().default(false),
  }).meta({ description: "get_user_pages of the huge page at addr of a hugetlb mapping (as ptrace and /proc/pid/mem use it, force: FOLL_FORCE; pin: pin_user_pages as direct I/O does, longterm: FOLL_LONGTERM), then the kernel reads or writes it" }),
  /** vmsplice of the huge page at `addr` into a pipe: get_user_pages, the reference held until the pipe lets go of it. */
  vmsplice: z
    .strictObject({ addr })
    .meta({ description: "vmsplice of the huge page at addr of a hugetlb mapping into a pipe: get_user_pages (a read), the page's reference held by the pipe after the call until the pipe is drained (pipe_buf_release)" }),
  /** ftruncate of a 4 KiB file (files4k) to `size` 4 KiB pages. */
  ftruncate4k: z.strictObject({ file: name, size: count.max(SMALL_PAGES_MAX) }).meta({ description: "ftruncate of a 4 KiB file (files4k) to size 4 KiB pages" }),
  /** write(2) of one whole 4 KiB page `page` of a 4 KiB file (files4k): the page cache only. */
  write4k: z
    .strictObject({ file: name, page: count.max(SMALL_PAGES_MAX - 1) })
    .meta({ description: "write(2) of one whole 4 KiB page of a 4 KiB file (files4k), through the page cache (no writeback)" }),
  /** madvise(MADV_DONTNEED) of huge pages [addr, addr + len). */
  madvise_dontneed: z.strictObject({ addr, len }).meta({ description: "madvise(MADV_DONTNEED) of huge pages [addr, addr + len)" }),
  /** madvise(MADV_WILLNEED) of [addr, addr + len), in huge pages or (unit: 4k) 4 KiB pages, of hugetlb or 4 KiB memory. */
  madvise_willneed: z
    .strictObject(rangeIn4k)
    .superRefine(checkUnit)
    .meta({
      description:
        "madvise(MADV_WILLNEED) of huge pages [addr, addr + len) (unit: 4k: in 4 KiB pages, inside a hugetlb VMA or the 4 KiB memory of one slot): a file mapping's pages are read ahead into the page cache (a 4 KiB file; hugetlbfs ignores the advice) with mmap_lock dropped",
    }),
  /**
   * move_pages(2) of one anonymous page to another NUMA node: the huge page at `addr`, or 4 KiB
   * page `page` of the 4 KiB mapping in slot `addr`; `all`: MPOL_MF_MOVE_ALL.
   */
  migrate: z
    .strictObject({ addr, page: count.max(SMALL_PER_HUGE - 1).default(0), all: z.boolean().default(false) })
    .meta({ description: "move_pages(2) of one anonymous page to another NUMA node: the huge page at addr, or 4 KiB page page of the 4 KiB mapping in slot addr; all: MPOL_MF_MOVE_ALL" }),
  /** madvise(MADV_DONTNEED) of 4 KiB pages [page, page + pages) of slot `addr`. */
  dontneed4k: z
    .strictObject({ addr, page: count.max(SMALL_PER_HUGE - 1).default(0), pages: positive.max(SMALL_PAGES_MAX).default(1) })
    .meta({ description: "madvise(MADV_DONTNEED) of 4 KiB pages [page, page + pages) of slot addr" }),
} as const;

export type OpName = keyof typeof OpSchemas;

/**
 * The result a scenario's author expects of an operation (`expect: SIGBUS` among its arguments),
 * checked as the invariant expected-result on every path.
 */
export const ExpectedResultSchema = z.enum(RESULT_NAMES, { error: `expect: one of ${RESULT_NAMES.join(", ")}` });

/**
 * An operation entry: checked by hand inside zod so that an error names the operation's own
 * field (`threads.0.ops.1.fault.addr`) and the reason, not just "invalid input".
 */
export const OpEntrySchema = z.unknown().transform((entry, ctx): Record<string, Record<string, unknown>> => {
  const known = Object.keys(OpSchemas).join(", ");
  if (typeof entry === "string") {
    if (entry === "exit") return { exit: {} };
    ctx.addIssue({ code: "custom", message: `unknown operation "${entry}" (known: ${known})` });
    return z.NEVER;
  }
  if (typeof entry !== "object" || entry === null || Array.isArray(entry) || Object.keys(entry).length !== 1) {
    ctx.addIssue({ code: "custom", message: "an operation is a map with one key, the operation's name, e.g. { fault: { addr: 0 } }" });
    return z.NEVER;
  }
  const [op, args] = Object.entries(entry)[0]!;
  const schema = (OpSchemas as Record<string, z.ZodType>)[op];
  if (!schema) {
    ctx.addIssue({ code: "custom", message: `unknown operation "${op}" (known: ${known})` });
    return z.NEVER;
  }
  const plain = typeof args === "object" && args !== null && !Array.isArray(args);
  const { expect, ...rest } = (plain ? args : {}) as Record<string, unknown>;
  const parsed = schema.safeParse(plain ? rest : (args ?? {}));
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ code: "custom", message: issue.message, path: [op, ...issue.path] });
    return z.NEVER;
  }
  if (expect === undefined) return { [op]: parsed.data as Record<string, unknown> };
  const result = ExpectedResultSchema.safeParse(expect);
  if (!result.success) {
    ctx.addIssue({ code: "custom", message: `one of ${RESULT_NAMES.join(", ")}`, path: [op, "expect"] });
    return z.NEVER;
  }
  return { [op]: { ...(parsed.data as Record<string, unknown>), expect: result.data } };
});


/**
 * A scenario's expected verdict under a variant. `finding` names the finding (findings/index.ts)
 * that an expected violation of `modern` belongs to: today's kernel breaks the invariant there.
 * YAML reads an unquoted 001 as the number 1: both spell finding "001".
 */
const expectation = z.union(
  [
    z.literal("pass"),
    // The run never reaches the code the variant changes (model/changed.ts): it checks nothing of it.
    z.literal("not-applicable"),
    z.strictObject({ verdict: z.literal("not-applicable") }).transform(() => "not-applicable" as const),
    z.strictObject({
      verdict: z.literal("violation"),
      invariant: z.string(),
      finding: z
        .union([z.string().regex(/^\d{3}$/, "a finding id of three digits"), z.number().int().min(0).max(999)])
        .transform((id) => String(id).padStart(3, "0"))
        .optional(),
    }),
  ],
  { error: 'expected "pass", "not-applicable" or { verdict: violation, invariant: NAME, finding: ID }' },
);

/**
 * The kernel's configuration (model/config.ts KernelConfig): how it was built and booted, not
 * its history. `explore --kernel` overrides it.
 */
export const KernelConfigSchema = z.strictObject({
  zeroPage: z.enum(ZERO_PAGE_MODES).optional(),
  thp: z.enum(THP_MODES).optional(),
  thpZeroPage: z.boolean().optional(),
});

export const ScenarioSchema = z.strictObject({
  name,
  summary: z.string().min(1).meta({ description: "one line, for mmcheck list" }),
  kernel: KernelConfigSchema.default({}).meta({
    description:
      "how the kernel was built and booted (zeroPage: mapped or forbidden; thp: always, madvise or never, as /sys/kernel/mm/transparent_hugepage/enabled; thpZeroPage: its use_zero_page); explore --kernel overrides it",
  }),
  pool: z
    .strictObject({ pages: count.max(POOL_PAGES_MAX), overcommit: count.max(POOL_PAGES_MAX).default(0) })
    .meta({ description: "the hugetlb pool: pages (nr_hugepages) and overcommit (nr_overcommit_hugepages)" }),
  /**
   * hugetlbfs files; `anon: true` is the file behind a MAP_ANONYMOUS|MAP_HUGETLB mapping;
   * `device: true` is seed 002's /dev/page-huge (MAP_HUGETLB in today's kernel). `size` and
   * `min_size` mount the file's own hugetlbfs with those options (a subpool).
   */
  files: z
    .array(
      z.strictObject({
        name,
        pages: fileLen,
        isize: fileIndex.optional(),
        anon: z.boolean().default(false),
        device: z.boolean().default(false),
        /** The hugetlbfs mount options of the file's own mount, in huge pages (its subpool). */
        size: count.max(POOL_PAGES_MAX).optional(),
        min_size: count.max(POOL_PAGES_MAX).optional(),
      }),
    )
    .max(FILES_MAX)
    .default([])
    .meta({ description: "hugetlbfs files: pages, isize (default: pages); anon: the file behind MAP_ANONYMOUS|MAP_HUGETLB (evicted with its last mapping); device: seed 002's /dev/page-huge" }),
  /**
   * Files of 4 KiB pages (seed 004): on a block filesystem, read through the page cache
   * (filemap_fault), or on a DAX filesystem (`dax: true`), mapped by pfn with no page cache.
   * `data: false` makes every block a hole.
   */
  files4k: z
    .array(
      z.strictObject({
        name,
        pages: positive.max(SMALL_PAGES_MAX),
        isize: count.max(SMALL_PAGES_MAX).optional(),
        dax: z.boolean().default(false),
        data: z.boolean().default(true),
      }),
    )
    .max(FILES_MAX)
    .default([])
    .meta({ description: "files of 4 KiB pages: on a block filesystem (read through the page cache) or dax: true; isize in 4 KiB pages (default: pages); data: false makes every block a hole" }),
  processes: z.array(name).min(1).max(PROCESSES_MAX).meta({ description: "the processes by name; one named as a fork's child starts unborn" }),
  /** PMD-order pages the buddy allocator can give at once (default: enough for every THP the scenario can hold). */
  thpPages: count
    .max(SMALL_PAGES_MAX)
    .optional()
    .meta({ description: "how many transparent huge pages the buddy allocator can give at once; beyond them a THP fault falls back to 4 KiB pages (default: enough)" }),
  /** Each process's address space, in huge pages (default: the end of the highest mapping). */
  addressSpace: positive.max(30).optional().meta({ description: "each process's address space in huge pages (default: the end of the highest mapping)" }),
  setup: z
    .array(z.strictObject({ proc: name, ops: z.array(OpEntrySchema) }))
    .default([])
    .meta({ description: "operations run one after another, each in its process, before the search" }),
  threads: z
    .array(z.strictObject({ name, proc: name, ops: z.array(OpEntrySchema).min(1) }))
    .min(1)
    .max(8)
    .meta({ description: "the threads the search interleaves: each runs its operations in order, in its process" }),
  expect: z
    .record(z.string(), expectation)
    .default({})
    .meta({ description: "per variant: pass, or { verdict: violation, invariant: NAME, finding: ID }; checked by the tests and by mmcheck check" }),
});

export type ScenarioFile = z.infer<typeof ScenarioSchema>;
export type Expectation = z.infer<typeof expectation>;
