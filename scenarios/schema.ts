/**
 * The scenario file format (YAML or JSON), validated with zod. Addresses, lengths, offsets and
 * sizes are in huge pages; the 4 KiB operations name a huge-page slot of the address space
 * (`addr`) and 4 KiB pages inside it (`page`, `pages`).
 */
import { z } from "zod";
import { ZERO_PAGE_MODES } from "../model/config.js";

const count = z.number().int().nonnegative();
const positive = z.number().int().positive();
const name = z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, "a name of letters, digits, _ and -");

/** 4 KiB pages in a 2 MiB huge page: a 4 KiB mapping takes one huge-page slot, and stays in it. */
export const SMALL_PER_HUGE = 512;
/** The most 4 KiB pages a mapping may have in a scenario (each is a pte in every mm). */
export const SMALL_PAGES_MAX = 16;

/** Each operation is a one-key map, `{fault: {addr: 1, write: true}}`, or a bare name (`exit`). */
export const OpSchemas = {
  mmap: z.strictObject({
    addr: count,
    len: positive,
    file: name,
    pgoff: count.default(0),
    shared: z.boolean().default(false),
    noreserve: z.boolean().default(false),
    write: z.boolean().default(true),
  }),
  /** `fail_add_to_page_cache`: fault injection, the new page's page-cache insertion fails (-ENOMEM). */
  fault: z.strictObject({ addr: count, write: z.boolean().default(false), fail_add_to_page_cache: z.boolean().default(false) }),
  munmap: z.strictObject({ addr: count, len: positive }),
  mprotect: z.strictObject({ addr: count, len: positive, write: z.boolean() }),
  fork: z.strictObject({ child: name }),
  exit: z.strictObject({}),
  ftruncate: z.strictObject({ file: name, size: count }),
  unlink: z.strictObject({ file: name }),
  /** fallocate(FALLOC_FL_PUNCH_HOLE) of file pages [offset, offset + len). */
  punch_hole: z.strictObject({ file: name, offset: count, len: positive }),
  /**
   * mmap of `pages` 4 KiB pages at the start of slot `addr`: anonymous memory (MAP_SHARED:
   * shmem), or with `file` a MAP_PRIVATE mapping of a 4 KiB file (files4k) from its start.
   */
  mmap4k: z.strictObject({
    addr: count,
    pages: positive.max(SMALL_PAGES_MAX),
    file: name.optional(),
    shared: z.boolean().default(false),
    write: z.boolean().default(true),
    populate: z.boolean().default(false),
  }),
  /** A load (or store) of 4 KiB page `page` of slot `addr`. */
  access4k: z.strictObject({ addr: count, page: count.max(SMALL_PER_HUGE - 1), write: z.boolean().default(false) }),
  /** mlock and munlock of the 4 KiB mapping in slot `addr` (the whole of it). */
  mlock4k: z.strictObject({ addr: count, page: count.max(SMALL_PER_HUGE - 1).default(0), pages: positive.max(SMALL_PAGES_MAX) }),
  munlock4k: z.strictObject({ addr: count, page: count.max(SMALL_PER_HUGE - 1).default(0), pages: positive.max(SMALL_PAGES_MAX) }),
  /** get_user_pages of one 4 KiB page (pin: pin_user_pages), then the kernel reads or writes it. */
  gup4k: z.strictObject({
    addr: count,
    page: count.max(SMALL_PER_HUGE - 1),
    write: z.boolean().default(false),
    force: z.boolean().default(false),
    pin: z.boolean().default(false),
    longterm: z.boolean().default(false),
  }),
  /** ftruncate of a 4 KiB file (files4k) to `size` 4 KiB pages. */
  ftruncate4k: z.strictObject({ file: name, size: count.max(SMALL_PAGES_MAX) }),
  /** madvise(MADV_DONTNEED) of huge pages [addr, addr + len). */
  madvise_dontneed: z.strictObject({ addr: count, len: positive }),
  /** madvise(MADV_DONTNEED) of 4 KiB pages [page, page + pages) of slot `addr`. */
  dontneed4k: z.strictObject({ addr: count, page: count.max(SMALL_PER_HUGE - 1).default(0), pages: positive.max(SMALL_PAGES_MAX).default(1) }),
} as const;

export type OpName = keyof typeof OpSchemas;

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
  const parsed = schema.safeParse(args ?? {});
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ code: "custom", message: issue.message, path: [op, ...issue.path] });
    return z.NEVER;
  }
  return { [op]: parsed.data as Record<string, unknown> };
});


const expectation = z.union(
  [z.literal("pass"), z.strictObject({ verdict: z.literal("violation"), invariant: z.string() })],
  { error: 'expected "pass" or { verdict: violation, invariant: NAME }' },
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
  pool: z.strictObject({ pages: count, overcommit: count.default(0) }),
  /**
   * hugetlbfs files; `anon: true` is the file behind a MAP_ANONYMOUS|MAP_HUGETLB mapping;
   * `device: true` is seed 002's /dev/page-huge (MAP_HUGETLB in today's kernel).
   */
  files: z
    .array(
      z.strictObject({
        name,
        pages: positive.max(30),
        isize: count.optional(),
        anon: z.boolean().default(false),
        device: z.boolean().default(false),
      }),
    )
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
    .default([]),
  processes: z.array(name).min(1),
  /** Each process's address space, in huge pages (default: the end of the highest mapping). */
  addressSpace: positive.max(30).optional(),
  setup: z.array(z.strictObject({ proc: name, ops: z.array(opEntry) })).default([]),
  threads: z.array(z.strictObject({ name, proc: name, ops: z.array(opEntry).min(1) })).min(1).max(8),
  expect: z.record(z.string(), expectation).default({}),
});

export type ScenarioFile = z.infer<typeof ScenarioSchema>;
export type Expectation = z.infer<typeof expectation>;
