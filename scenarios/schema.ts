/**
 * The scenario file format (YAML or JSON), validated with zod. Addresses, lengths, offsets and
 * sizes are in huge pages; the 4 KiB operations name a huge-page slot of the address space
 * (`addr`) and 4 KiB pages inside it (`page`, `pages`).
 */
import { z } from "zod";
import { ZERO_PAGE_MODES } from "../model/config.js";
import { RESULT_NAMES } from "../model/types.js";

const count = z.number().int().nonnegative();
const positive = z.number().int().positive();
const name = z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, "a name of letters, digits, _ and -");

/** 4 KiB pages in a 2 MiB huge page: a 4 KiB mapping takes one huge-page slot, and stays in it. */
export const SMALL_PER_HUGE = 512;
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
  }),
  /** `fail_add_to_page_cache`: fault injection, the new page's page-cache insertion fails (-ENOMEM). */
  fault: z.strictObject({ addr, write: z.boolean().default(false), fail_add_to_page_cache: z.boolean().default(false) }),
  munmap: z.strictObject({ addr, len }),
  mprotect: z.strictObject({ addr, len, write: z.boolean() }),
  fork: z.strictObject({ child: name }),
  exit: z.strictObject({}),
  ftruncate: z.strictObject({ file: name, size: fileIndex }),
  unlink: z.strictObject({ file: name }),
  /** fallocate(FALLOC_FL_PUNCH_HOLE) of file pages [offset, offset + len). */
  punch_hole: z.strictObject({ file: name, offset: fileIndex, len: fileLen }),
  /**
   * mmap of `pages` 4 KiB pages at the start of slot `addr`: anonymous memory (MAP_SHARED:
   * shmem), or with `file` a MAP_PRIVATE mapping of a 4 KiB file (files4k) from its start.
   */
  mmap4k: z.strictObject({
    addr,
    pages: positive.max(SMALL_PAGES_MAX),
    file: name.optional(),
    shared: z.boolean().default(false),
    write: z.boolean().default(true),
    populate: z.boolean().default(false),
  }),
  /** A load (or store) of 4 KiB page `page` of slot `addr`. */
  access4k: z.strictObject({ addr, page: count.max(SMALL_PER_HUGE - 1), write: z.boolean().default(false) }),
  /** mlock and munlock of the 4 KiB mapping in slot `addr` (the whole of it). */
  mlock4k: z.strictObject({ addr, page: count.max(SMALL_PER_HUGE - 1).default(0), pages: positive.max(SMALL_PAGES_MAX) }),
  munlock4k: z.strictObject({ addr, page: count.max(SMALL_PER_HUGE - 1).default(0), pages: positive.max(SMALL_PAGES_MAX) }),
  /** get_user_pages of one 4 KiB page (pin: pin_user_pages), then the kernel reads or writes it. */
  gup4k: z.strictObject({
    addr,
    page: count.max(SMALL_PER_HUGE - 1),
    write: z.boolean().default(false),
    force: z.boolean().default(false),
    pin: z.boolean().default(false),
    longterm: z.boolean().default(false),
  }),
  /** ftruncate of a 4 KiB file (files4k) to `size` 4 KiB pages. */
  ftruncate4k: z.strictObject({ file: name, size: count.max(SMALL_PAGES_MAX) }),
  /** madvise(MADV_DONTNEED) of huge pages [addr, addr + len). */
  madvise_dontneed: z.strictObject({ addr, len }),
  /** madvise(MADV_DONTNEED) of 4 KiB pages [page, page + pages) of slot `addr`. */
  dontneed4k: z.strictObject({ addr, page: count.max(SMALL_PER_HUGE - 1).default(0), pages: positive.max(SMALL_PAGES_MAX).default(1) }),
} as const;

export type OpName = keyof typeof OpSchemas;

/**
 * The result a scenario's author expects of an operation (`expect: SIGBUS` among its arguments),
 * checked as the invariant expected-result on every path.
 */
const expectedResult = z.enum(RESULT_NAMES, { error: `expect: one of ${RESULT_NAMES.join(", ")}` });

/**
 * An operation entry: checked by hand inside zod so that an error names the operation's own
 * field (`threads.0.ops.1.fault.addr`) and the reason, not just "invalid input".
 */
const opEntry = z.unknown().transform((entry, ctx): Record<string, Record<string, unknown>> => {
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
  const result = expectedResult.safeParse(expect);
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
export const KernelConfigSchema = z.strictObject({ zeroPage: z.enum(ZERO_PAGE_MODES).optional() });

export const ScenarioSchema = z.strictObject({
  name,
  summary: z.string().min(1),
  kernel: KernelConfigSchema.default({}),
  pool: z.strictObject({ pages: count.max(POOL_PAGES_MAX), overcommit: count.max(POOL_PAGES_MAX).default(0) }),
  /**
   * hugetlbfs files; `anon: true` is the file behind a MAP_ANONYMOUS|MAP_HUGETLB mapping;
   * `device: true` is seed 002's /dev/page-huge (MAP_HUGETLB in today's kernel).
   */
  files: z
    .array(
      z.strictObject({
        name,
        pages: fileLen,
        isize: fileIndex.optional(),
        anon: z.boolean().default(false),
        device: z.boolean().default(false),
      }),
    )
    .max(FILES_MAX)
    .default([]),
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
    .default([]),
  processes: z.array(name).min(1).max(PROCESSES_MAX),
  /** Each process's address space, in huge pages (default: the end of the highest mapping). */
  addressSpace: positive.max(30).optional(),
  setup: z.array(z.strictObject({ proc: name, ops: z.array(opEntry) })).default([]),
  threads: z.array(z.strictObject({ name, proc: name, ops: z.array(opEntry).min(1) })).min(1).max(8),
  expect: z.record(z.string(), expectation).default({}),
});

export type ScenarioFile = z.infer<typeof ScenarioSchema>;
export type Expectation = z.infer<typeof expectation>;
