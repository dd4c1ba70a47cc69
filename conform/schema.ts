/**
 * Conformance scenario files (conform/scenarios/*.yaml): one sequence of operations, run once
 * on the live kernel (conform/probe.c) and once in the model, step by step. Addresses, lengths,
 * sizes and offsets are in huge pages (2 MiB), as in scenarios/; the 4 KiB operations name a
 * huge-page slot of the address space and 4 KiB pages inside it.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ZERO_PAGE_MODES } from "../model/config.js";
import { OpSchemas, SMALL_PER_HUGE } from "../scenarios/schema.js";

export class ConformInputError extends Error {
  override name = "ConformInputError";
}

const count = z.number().int().nonnegative();
const positive = z.number().int().positive();
const name = z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, "a name of letters, digits, _ and -");

/**
 * Operations the model has: the same arguments as in scenarios/ (scenarios/schema.ts). The probe
 * reaches get_user_pages (gup4k, gup) through /proc/self/mem, as ptrace does (FOLL_FORCE,
 * FOLL_GET; where get_user_pages fails, the write or read of /proc/self/mem fails with EIO), or
 * pin_user_pages through direct I/O into or out of the page (FOLL_PIN; EFAULT where it fails).
 * vmsplice splices the huge page's first 4 KiB into the run's one pipe, which holds the page's
 * reference until a `pipe_read` takes that buffer out.
 */
export const MODEL_OPS = [
  "mmap",
  "fault",
  "munmap",
  "mprotect",
  "fork",
  "exit",
  "ftruncate",
  "unlink",
  "punch_hole",
  "mmap4k",
  "access4k",
  "mlock4k",
  "munlock4k",
  "dontneed4k",
  "gup4k",
  "gup",
  "vmsplice",
  "madvise_dontneed",
  "madvise_willneed",
  "ftruncate4k",
  "write4k",
] as const;

export { SMALL_PER_HUGE };

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, o[k]])) as Pick<T, K>;
}

/**
 * io_uring's registered buffers, which the probe uses to hold a pin across other calls (a fork):
 * IORING_REGISTER_BUFFERS of the huge page at `addr` pins it (pin_user_pages, FOLL_WRITE |
 * FOLL_LONGTERM) until IORING_UNREGISTER_BUFFERS. The model runs the process's
 * `gup {addr, write, pin, longterm}` up to the pin and, at the unregister, on to its unpin.
 */
export const IO_URING_OPS = {
  io_uring_register_buffers: z.strictObject({ addr: count }).meta({ description: "IORING_REGISTER_BUFFERS of the huge page at addr: a pin held until unregistered" }),
  io_uring_unregister_buffers: z.strictObject({ addr: count }).meta({ description: "IORING_UNREGISTER_BUFFERS: the pin of the register at addr goes" }),
};

export const ConformOpSchemas = {
  ...pick(OpSchemas, MODEL_OPS),
  ...IO_URING_OPS,
  /**
   * A read of one buffer out of the run's pipe, the oldest vmsplice's (any process may read it):
   * pipe_buf_release puts its page. In the model, the rest of that vmsplice operation.
   */
  pipe_read: z.strictObject({}),
};

type OpArgs = { [K in keyof typeof ConformOpSchemas]: z.infer<(typeof ConformOpSchemas)[K]> };
export type ConformOpName = keyof OpArgs;
/** One operation: its name and its arguments (defaults filled in). */
export type ConformOp = { [K in ConformOpName]: { op: K; args: OpArgs[K] } }[ConformOpName];

/** Each op's argument schema, looked up by name so that an error names the op's own field. */
function parseOp(entry: unknown, ctx: z.RefinementCtx, at: string): ConformOp | typeof z.NEVER {
  const pair: [string, unknown] | undefined =
    entry === "exit" || entry === "pipe_read"
      ? [entry, {}]
      : entry && typeof entry === "object" && Object.keys(entry).length === 1
        ? Object.entries(entry)[0]
        : undefined;
  if (!pair || !(pair[0] in ConformOpSchemas)) {
    ctx.addIssue({ code: "custom", path: [at], message: `one operation: ${Object.keys(ConformOpSchemas).join(", ")}` });
    return z.NEVER;
  }
  const op = pair[0] as ConformOpName;
  const parsed = (ConformOpSchemas[op] as z.ZodType).safeParse(pair[1]);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ code: "custom", path: [at, op, ...issue.path], message: issue.message });
    return z.NEVER;
  }
  return { op, args: parsed.data } as ConformOp;
}

/** A step: `{parent: {fault: {addr: 0, write: true}}}` or `{child: exit}`. */
const step = z
  .record(name, z.unknown())
  .refine((r) => Object.keys(r).length === 1, "a step is one process name mapped to one operation")
  .transform((r, ctx) => {
    const [proc, entry] = Object.entries(r)[0]!;
    const op = parseOp(entry, ctx, proc);
    return op === z.NEVER ? z.NEVER : { proc, ...op };
  });

export const ConformSchema = z.strictObject({
  name,
  summary: z.string().min(1),
  pool: z.strictObject({ pages: count.max(8), overcommit: count.max(8).default(0) }),
  /** hugetlbfs files; `anon: true` is the file behind one MAP_ANONYMOUS|MAP_HUGETLB mapping. */
  files: z
    .array(
      z.strictObject({
        name,
        pages: positive.max(16),
        isize: count.optional(),
        anon: z.boolean().default(false),
      }),
    )
    .default([]),
  /**
   * 4 KiB files (seed 004), created by the probe on the filesystem of its build folder (a block
   * filesystem: the page cache; this machine has no DAX one), with data written in their first
   * `isize` pages, or sparse (`data: false`).
   */
  files4k: z
    .array(
      z.strictObject({
        name,
        pages: positive.max(16),
        isize: count.max(16).optional(),
        data: z.boolean().default(true),
      }),
    )
    .default([]),
  /**
   * The hugetlbfs mount's options `size=` and `min_size=`, in huge pages (its subpool). The model
   * gives each file a mount of its own, so a scenario with them names one hugetlbfs file.
   */
  mount: z.strictObject({ size: count.max(8).optional(), min_size: count.max(8).optional() }).default({}),
  /** The first process exists from the start; each other one is made by a fork. */
  processes: z.array(name).min(1).max(8),
  steps: z.array(step).min(1).max(200),
  /**
   * The model is known to differ from the kernel here (it abstracts something away): the
   * reason. The difference must still be there, or the suite fails until the mark goes.
   */
  exception: z.string().min(1).optional(),
  /**
   * What the host's kernel must do for the scenario to mean anything (its profile, conform/
   * host.ts); on another host the scenario is `not covered`, with the reason.
   */
  requires: z
    .strictObject({
      zeroPage: z.enum(ZERO_PAGE_MODES).optional(),
      /** The kernel version (`major.minor`) whose behaviour the scenario checks first appeared in. */
      kernel: z.string().regex(/^\d+\.\d+$/, "a kernel version, major.minor").optional(),
    })
    .default({}),
  /** The model variant the kernel is compared with (default modern). */
  variant: z.string().min(1).default("modern"),
  /** What the kernel did when measured, where it is not what one would guess. */
  kernel: z.string().min(1).optional(),
});

export type ConformScenarioFile = z.infer<typeof ConformSchema>;

export interface ConformScenario extends ConformScenarioFile {
  /** Huge-page slots of address space: every mapping fits below it. */
  readonly addressSpace: number;
  /** Slots that hold a 4 KiB mapping, each with the number of 4 KiB pages watched there. */
  readonly smallSlots: ReadonlyMap<number, number>;
}

/** The folder of shipped conformance scenarios (in the source tree, also when run from dist/). */
export function conformScenarioDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, "scenarios"), resolve(here, "../../conform/scenarios")];
  return candidates.find((d) => existsSync(d)) ?? candidates[0]!;
}

export function shippedConformScenarios(): string[] {
  return readdirSync(conformScenarioDir())
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => basename(f, ".yaml"))
    .sort();
}

/** Checks what the schema cannot: names, process lifetimes, files, and the 4 KiB slots. */
export function checkScenario(s: ConformScenarioFile, where: string): ConformScenario {
  const fail = (path: string, msg: string): never => {
    throw new ConformInputError(`${where}: ${path}: ${msg}`);
  };
  if (new Set(s.processes).size !== s.processes.length) fail("processes", "names must be unique");
  const files = new Map(s.files.map((f) => [f.name, f]));
  if (files.size !== s.files.length) fail("files", "names must be unique");
  s.files.forEach((f, i) => {
    if (f.anon && f.isize !== undefined) fail(`files.${i}.isize`, "an anonymous mapping's file is as long as the mapping");
  });
  const mountOpt = s.mount.size !== undefined ? "size" : s.mount.min_size !== undefined ? "min_size" : undefined;
  if (mountOpt && s.files.filter((f) => !f.anon).length !== 1)
    fail(`mount.${mountOpt}`, "a sized mount needs exactly one hugetlbfs file (not anon): the model gives each file a mount of its own");

  const files4k = new Map(s.files4k.map((f) => [f.name, f]));
  if (files4k.size !== s.files4k.length) fail("files4k", "names must be unique");

  const alive = new Set([s.processes[0]!]);
  const born = new Set(alive);
  const anonMapped = new Set<string>();
  const smallSlots = new Map<number, number>();
  const hugeSlots = new Set<number>();
  // The processes whose vmsplice is in the pipe, oldest first; each process's registered buffer
  // (io_uring_register_buffers), until unregistered. Either holds the process's model thread
  // paused (conform/model.ts), so a process holds one of them at a time.
  const pipe: string[] = [];
  const registered = new Map<string, number>();
  let end = 1;
  s.steps.forEach((st, i) => {
    const at = `steps.${i}.${st.proc}`;
    if (!s.processes.includes(st.proc)) fail(`${at}`, `unknown process "${st.proc}"`);
    if (!alive.has(st.proc)) fail(`${at}`, `process "${st.proc}" is not running here (not yet forked, or exited)`);
    const a = st.args as Record<string, unknown>;
    const file = typeof a.file === "string" ? a.file : undefined;
    const small = st.op === "mmap4k" || st.op === "ftruncate4k" || st.op === "write4k";
    if (file !== undefined && !(small ? files4k : files).has(file))
      fail(`${at}.${st.op}.file`, `unknown ${small ? "4 KiB file (files4k)" : "file"} "${file}"`);
    const f = file !== undefined && !small ? files.get(file)! : undefined;
    switch (st.op) {
      case "fork":
        if (!s.processes.includes(st.args.child)) fail(`${at}.fork.child`, `unknown process "${st.args.child}"`);
        if (born.has(st.args.child)) fail(`${at}.fork.child`, `process "${st.args.child}" already exists`);
        born.add(st.args.child);
        alive.add(st.args.child);
        break;
      case "exit":
        alive.delete(st.proc);
        break;
      case "mmap":
        if (st.args.pgoff + st.args.len > f!.pages) fail(`${at}.mmap.len`, `maps past the ${f!.pages} pages of file "${f!.name}"`);
        if (f!.anon) {
          if (anonMapped.has(f!.name)) fail(`${at}.mmap.file`, `anonymous file "${f!.name}" is mapped once only`);
          if (st.args.pgoff !== 0 || st.args.len !== f!.pages)
            fail(`${at}.mmap`, `an anonymous mapping covers its whole file (pgoff 0, len ${f!.pages})`);
          anonMapped.add(f!.name);
        }
        for (let slot = st.args.addr; slot < st.args.addr + st.args.len; slot++) hugeSlots.add(slot);
        end = Math.max(end, st.args.addr + st.args.len);
        break;
      case "munmap":
      case "mprotect":
      case "madvise_willneed": {
        const div = st.args.unit === "4k" ? SMALL_PER_HUGE : 1;
        end = Math.max(end, Math.ceil((st.args.addr + st.args.len) / div));
        break;
      }
      case "fault":
      case "madvise_dontneed":
        end = Math.max(end, st.args.addr + ("len" in st.args ? st.args.len : 1));
        break;
      case "ftruncate":
      case "unlink":
        if (f!.anon) fail(`${at}.${st.op}.file`, `"${f!.name}" is an anonymous mapping's file`);
        break;
      case "mmap4k":
        if (file !== undefined && st.args.pages > files4k.get(file)!.pages)
          fail(`${at}.mmap4k.pages`, `maps past the ${files4k.get(file)!.pages} pages of file "${file}"`);
        smallSlots.set(st.args.addr, Math.max(smallSlots.get(st.args.addr) ?? 0, st.args.pages));
        end = Math.max(end, st.args.addr + 1);
        break;
      case "gup4k":
      case "gup":
        if (st.args.force === st.args.pin || st.args.longterm)
          fail(`${at}.${st.op}`, "the probe gets there through /proc/self/mem (force: true) or direct I/O (pin: true), never both, and not longterm");
        if (st.op === "gup4k" && st.args.pages !== 1) fail(`${at}.gup4k.pages`, "the probe's /proc/self/mem and direct I/O take one page");
        end = Math.max(end, st.args.addr + 1);
        break;
      case "vmsplice":
        // The model keeps a spliced page's reference in the process's thread until it is read.
        if (pipe.includes(st.proc)) fail(`${at}.vmsplice`, `process "${st.proc}" has a vmsplice in the pipe already: a pipe_read must take it out first`);
        if (registered.has(st.proc)) fail(`${at}.vmsplice`, `process "${st.proc}" holds registered buffers: unregister them first`);
        pipe.push(st.proc);
        end = Math.max(end, st.args.addr + 1);
        break;
      case "pipe_read":
        pipe.shift();
        break;
      case "access4k":
      case "mlock4k":
      case "munlock4k":
      case "dontneed4k":
        end = Math.max(end, st.args.addr + 1);
        break;
      case "io_uring_register_buffers":
        if (registered.has(st.proc)) fail(`${at}.${st.op}`, `process "${st.proc}" holds registered buffers already: unregister them first`);
        if (pipe.includes(st.proc)) fail(`${at}.${st.op}`, `process "${st.proc}" has a vmsplice in the pipe: a pipe_read must take it out first`);
        registered.set(st.proc, st.args.addr);
        end = Math.max(end, st.args.addr + 1);
        break;
      case "io_uring_unregister_buffers":
        if (registered.get(st.proc) !== st.args.addr) fail(`${at}.${st.op}.addr`, `process "${st.proc}" registered no buffer at ${st.args.addr}`);
        registered.delete(st.proc);
        break;
    }
    // An exit closes the ring, whose buffers are unpinned later by a kernel worker
    // (io_ring_exit_work): the counters after the exit would depend on its timing.
    if (st.op === "exit" && registered.has(st.proc)) fail(`${at}`, `process "${st.proc}" exits holding registered buffers: unregister them first`);
  });
  s.steps.forEach((st, i) => {
    const a = st.args as Record<string, number>;
    const at = `steps.${i}.${st.proc}.${st.op}`;
    const small = st.op.endsWith("4k") && st.op !== "ftruncate4k" && st.op !== "write4k";
    if (small && !smallSlots.has(a.addr!)) fail(`${at}.addr`, `slot ${a.addr} holds no 4 KiB mapping`);
    if (small && hugeSlots.has(a.addr!)) fail(`${at}.addr`, `slot ${a.addr} is used by a huge-page mapping too`);
    if ((st.op === "mlock4k" || st.op === "munlock4k" || st.op === "dontneed4k") && a.page! + a.pages! > SMALL_PER_HUGE)
      fail(`${at}.pages`, "runs past the slot");
    if (!small && "addr" in a) {
      const div = (st.args as { unit?: string }).unit === "4k" ? SMALL_PER_HUGE : 1;
      const first = Math.floor(a.addr! / div);
      // munmap and mprotect in 4 KiB units inside a 4 KiB slot split its VMAs.
      const inSmallSlot = div === SMALL_PER_HUGE && smallSlots.has(first) && a.addr! + a.len! <= (first + 1) * SMALL_PER_HUGE;
      if (!inSmallSlot)
        for (let slot = first; slot < (a.addr! + (a.len ?? 1)) / div; slot++)
          if (smallSlots.has(slot)) fail(`${at}.addr`, `slot ${slot} holds a 4 KiB mapping`);
    }
  });
  return { ...s, addressSpace: end, smallSlots };
}

/** A shipped scenario by name, or a YAML file by path. */
export function loadConformScenario(nameOrPath: string): ConformScenario {
  const looksLikePath = /[/\\]/.test(nameOrPath) || /\.ya?ml$/.test(nameOrPath);
  const path = looksLikePath ? resolve(nameOrPath) : join(conformScenarioDir(), `${nameOrPath}.yaml`);
  if (!existsSync(path)) {
    if (looksLikePath) throw new ConformInputError(`--scenario: no file ${nameOrPath}`);
    throw new ConformInputError(
      `--scenario: unknown conformance scenario "${nameOrPath}" (known: ${shippedConformScenarios().join(", ")})`,
    );
  }
  const where = `conformance scenario ${looksLikePath ? nameOrPath : `${nameOrPath}.yaml`}`;
  return checkScenario(readChecked(ConformSchema, () => parseYaml(readFileSync(path, "utf8")), where, "not valid YAML"), where);
}

/**
 * A file parsed by `parse` and checked against `schema`: its data, or a ConformInputError of one
 * line naming `where` and the field (or `unreadable` and the parser's first line).
 */
export function readChecked<S extends z.ZodType>(schema: S, parse: () => unknown, where: string, unreadable: string): z.infer<S> {
  let raw: unknown;
  try {
    raw = parse();
  } catch (e) {
    throw new ConformInputError(`${where}: ${unreadable}: ${String((e as Error).message).split("\n")[0]}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConformInputError(`${where}: ${issue.path.join(".") || "(top level)"}: ${issue.message}`);
  }
  return parsed.data;
}
