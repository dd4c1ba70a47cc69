/**
 * Loads a scenario by name (a file in scenarios/) or path, validates it, and resolves it into
 * the numeric ModelConfig the model runs on. Every problem is a ScenarioError: one line naming
 * the field and what is wrong.
 */
import { closeSync, constants, existsSync, fstatSync, openSync, readdirSync, readSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isScalar, LineCounter, parseDocument, visit } from "yaml";
import type { ZodError } from "zod";
import { DEFAULT_KERNEL_CONFIG, type KernelConfig, type ModelConfig, type OpCall } from "../model/config.js";
import { FINDINGS, findFinding } from "../findings/index.js";
import { INVARIANTS } from "../invariants/index.js";
import { OPERATIONS } from "../model/ops/index.js";
import { Layout } from "../model/layout.js";
import { RESULT_NAMES } from "../model/types.js";
import { findVariant, VARIANTS } from "../model/variant.js";
import { applyParams, ParamError } from "./params.js";
import { POOL_PAGES_MAX, ScenarioSchema, type Expectation, type OpName, type ScenarioFile } from "./schema.js";

/** The operations on 4 KiB memory that an mmap4k must have mapped (a slot of 4 KiB pages). */
const SMALL_OPS: ReadonlySet<string> = new Set(["access4k", "mlock4k", "munlock4k", "gup4k", "dontneed4k"]);

export class ScenarioError extends Error {
  override name = "ScenarioError";
}

/**
 * The largest scenario file read (the shipped ones are under 4 KB). The YAML parser takes time
 * that grows faster than the file (0.8 s for 256 KiB of keys, 8 s for 256 KiB of anchors).
 */
export const FILE_BYTES_MAX = 64 << 10;
/** How deep a file's maps and lists may nest (the shipped ones: 6). */
export const DEPTH_MAX = 32;
/** The values a file may hold, each alias counted as what it stands for. */
export const VALUES_MAX = 100_000;
/** The words of one state (model/layout.ts): 256 KiB. */
export const STATE_WORDS_MAX = 1 << 16;

export interface Scenario {
  readonly name: string;
  readonly summary: string;
  readonly source: string;
  readonly config: ModelConfig;
  readonly expect: Readonly<Record<string, Expectation>>;
}

/** The folder of shipped scenarios (beside this file, in the source tree or under dist/). */
export function scenarioDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [here, resolve(here, "../../scenarios")];
  return candidates.find((d) => existsSync(join(d, "split-unmap.yaml"))) ?? here;
}

export function shippedScenarios(): string[] {
  return readdirSync(scenarioDir())
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => basename(f, ".yaml"))
    .sort();
}

function zodLine(where: string, e: ZodError): string {
  const issue = e.issues[0]!;
  const path = issue.path.join(".") || "(top level)";
  // Named a few at a time: a file may have thousands.
  if (issue.code === "unrecognized_keys" && issue.keys.length > 5)
    return `${where}: ${path}: Unrecognized keys: ${issue.keys.slice(0, 5).map((k) => JSON.stringify(k)).join(", ")} and ${issue.keys.length - 5} more`;
  return `${where}: ${path}: ${issue.message}`;
}

/**
 * `NAME` (a shipped scenario) or a path to a YAML or JSON file, with values for its parameters
 * (scenarios/params.ts), and the kernel configuration set on the command line, which overrides
 * the file's `kernel:`.
 */
export function loadScenario(
  nameOrPath: string,
  params: Readonly<Record<string, number>> = {},
  kernel: Partial<KernelConfig> = {},
): Scenario {
  const looksLikePath = /[/\\]/.test(nameOrPath) || /\.(ya?ml|json)$/.test(nameOrPath);
  const path = looksLikePath ? resolve(nameOrPath) : join(scenarioDir(), `${nameOrPath}.yaml`);
  if (!existsSync(path)) {
    if (looksLikePath) throw new ScenarioError(`--scenario: no file ${nameOrPath}`);
    throw new ScenarioError(`--scenario: unknown scenario "${nameOrPath}" (known: ${shippedScenarios().join(", ")})`);
  }
  const where = `scenario ${looksLikePath ? nameOrPath : `${nameOrPath}.yaml`}`;
  const text = readScenarioFile(path, nameOrPath);
  const json = extname(path) === ".json";
  let raw: unknown;
  try {
    raw = json ? JSON.parse(text) : parseYamlStrictly(text);
  } catch (e) {
    // The parser reports its own stack overflow as an error of the file.
    const message = String((e as Error).message).split("\n")[0]!.replace(/:$/, "");
    if (e instanceof RangeError || /call stack/.test(message)) throw new ScenarioError(`${where}: nested deeper than ${DEPTH_MAX} levels`);
    throw new ScenarioError(`${where}: not valid ${json ? "JSON" : "YAML"}: ${message}`);
  }
  checkShape(raw, where);
  try {
    raw = applyParams(raw, params);
  } catch (e) {
    if (e instanceof ParamError) throw new ScenarioError(e.message.startsWith("--params") ? e.message : `${where}: ${e.message}`);
    throw e;
  }
  const parsed = ScenarioSchema.safeParse(raw);
  if (!parsed.success) throw new ScenarioError(zodLine(where, parsed.error));
  return resolveScenario({ ...parsed.data, kernel: { ...parsed.data.kernel, ...kernel } }, where, path);
}

/**
 * What the kernel cannot be asked: fork makes a new process, so its child must not have run
 * anything before (setup runs before every thread); and nothing runs in a process after it
 * exited. Such a scenario would run operations in an mm that does not exist (yet or any more).
 */
function checkLifetimes(s: ScenarioFile, fail: (path: string, msg: string) => never): void {
  const firstRun = new Map<string, string>();
  const exited = new Map<string, string>();
  const forkOf = (entry: object, at: string): void => {
    const child = (entry as { fork?: { child: string } }).fork?.child;
    const ran = child === undefined ? undefined : firstRun.get(child);
    if (ran) fail(`${at}.fork.child`, `process "${child}" already runs (${ran} runs in it): fork makes a new process`);
  };
  s.setup.forEach((b, i) => {
    if (exited.has(b.proc)) fail(`setup.${i}.proc`, `process "${b.proc}" exited at ${exited.get(b.proc)}`);
    if (!firstRun.has(b.proc)) firstRun.set(b.proc, `setup.${i}`);
    b.ops.forEach((entry, j) => {
      const at = `setup.${i}.ops.${j}`;
      if (exited.has(b.proc)) fail(at, `process "${b.proc}" exited at ${exited.get(b.proc)}`);
      forkOf(entry, at);
      if ("exit" in entry) exited.set(b.proc, at);
    });
  });
  // Each child's parent: the process that forks it. A chain of parents must reach a process
  // that exists from the start; a cycle (x forks y, y forks x) has no first birth.
  const parent = new Map<string, { proc: string; at: string }>();
  s.setup.forEach((b, i) => b.ops.forEach((entry, j) => "fork" in entry && parent.set(entry.fork!.child as string, { proc: b.proc, at: `setup.${i}.ops.${j}` })));
  s.threads.forEach((t, i) => {
    if (exited.has(t.proc)) fail(`threads.${i}.proc`, `process "${t.proc}" exited in setup (${exited.get(t.proc)}): the thread could never run`);
    t.ops.forEach((entry, j) => {
      forkOf(entry, `threads.${i}.ops.${j}`);
      if ("fork" in entry) parent.set(entry.fork!.child as string, { proc: t.proc, at: `threads.${i}.ops.${j}` });
    });
  });
  for (const [child, { at }] of parent) {
    const chain = [child];
    // A cycle that `child` hangs off without being in it is reported from one of its members.
    for (let p = parent.get(child); p && (p.proc === child || !chain.includes(p.proc)); p = parent.get(p.proc)) {
      chain.push(p.proc);
      if (p.proc === child) fail(`${at}.fork.child`, `process "${child}" would be forked by a process only it brings to life (${chain.reverse().join(" forks ")})`);
    }
  }
}

/** The hugetlbfs operations that reach a file through its name or a descriptor. */
const NAMED_FILE_OPS: ReadonlySet<string> = new Set(["mmap", "ftruncate", "punch_hole", "unlink"]);

/**
 * A file the user cannot name: MAP_HUGETLB's internal file (`anon`, `device`) has neither a
 * name nor a descriptor, and each MAP_HUGETLB mmap makes a file of its own, so only MAP_PRIVATE
 * mappings (which never meet in its page cache or reserve map) may stand for several. An
 * unlinked file's name is gone, and the model keeps no descriptor: the file lives on only in
 * its mappings, and is evicted with the last one, so nothing may name it after its unlink (in
 * a thread: nothing in another thread, which may run after it).
 */
function checkFileNames(s: ScenarioFile, fail: (path: string, msg: string) => never): void {
  const anon = new Set(s.files.filter((f) => f.anon || f.device).map((f) => f.name));
  const mmaps = new Map<string, { at: string; shared: boolean }[]>();
  /** Where each file is unlinked first: in setup, or by a thread (its index). */
  const unlinks = new Map<string, { at: string; thread?: number }>();
  const named = (entry: object) => {
    const [op, a] = Object.entries(entry)[0]! as [string, { file?: string; shared?: boolean }];
    return NAMED_FILE_OPS.has(op) && a.file !== undefined ? { op, file: a.file, shared: a.shared === true } : undefined;
  };
  s.threads.forEach((t, i) =>
    t.ops.forEach((entry, j) => {
      const n = named(entry);
      if (n?.op === "unlink" && !unlinks.has(n.file)) unlinks.set(n.file, { at: `threads.${i}.ops.${j}`, thread: i });
    }),
  );
  const setupUnlinks = new Map<string, string>();
  /** Checks one named operation; `unlinkedBefore` are the unlinks that surely precede it. */
  const visit = (entry: object, at: string, unlinkedBefore: ReadonlyMap<string, string>, thread?: number): void => {
    const n = named(entry);
    if (!n) return;
    const gone = unlinkedBefore.get(n.file);
    if (gone) fail(`${at}.${n.op}.file`, `file "${n.file}" was unlinked at ${gone}: nothing can open it by name any more`);
    const racing = unlinks.get(n.file);
    if (thread !== undefined && racing?.thread !== undefined && racing.thread !== thread)
      fail(`${at}.${n.op}.file`, `file "${n.file}" may be unlinked first, by ${racing.at}: nothing could open it by name then`);
    if (anon.has(n.file) && n.op !== "mmap") fail(`${at}.${n.op}.file`, `file "${n.file}" is MAP_HUGETLB's own file (anon): no name or descriptor reaches it for ${n.op}`);
    if (n.op === "mmap") mmaps.set(n.file, [...(mmaps.get(n.file) ?? []), { at, shared: n.shared }]);
  };
  s.setup.forEach((b, i) =>
    b.ops.forEach((entry, j) => {
      const at = `setup.${i}.ops.${j}`;
      visit(entry, at, setupUnlinks);
      if ("unlink" in entry) setupUnlinks.set(named(entry)!.file, at);
    }),
  );
  s.threads.forEach((t, i) => {
    const before = new Map(setupUnlinks);
    t.ops.forEach((entry, j) => {
      const at = `threads.${i}.ops.${j}`;
      visit(entry, at, before, i);
      if ("unlink" in entry) before.set(named(entry)!.file, at);
    });
  });
  for (const [f, list] of mmaps) {
    const shared = list.find((m) => m.shared);
    if (anon.has(f) && list.length > 1 && shared)
      fail(`${list[1]!.at}.mmap.file`, `file "${f}" is MAP_HUGETLB's own file (anon), which each MAP_HUGETLB mmap makes anew: several mmaps may stand for it only if all are MAP_PRIVATE (${shared.at} is MAP_SHARED)`);
  }
}

/**
 * The text of a regular file of at most FILE_BYTES_MAX bytes. Opened without blocking, so that
 * a FIFO is refused rather than waited on; a device, a directory or a FIFO is never read.
 */
function readScenarioFile(path: string, shown: string): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new ScenarioError(`--scenario: cannot read ${shown} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ScenarioError(`--scenario: ${shown} is not a regular file`);
    // Read one byte more than allowed: the file may have grown since fstat.
    const buf = Buffer.alloc(Math.min(st.size, FILE_BYTES_MAX) + 1);
    let n = 0;
    for (let r; n < buf.length && (r = readSync(fd, buf, n, buf.length - n, null)) > 0; ) n += r;
    if (n > FILE_BYTES_MAX) throw new ScenarioError(`--scenario: ${shown} is larger than ${FILE_BYTES_MAX} bytes, the most a scenario file may have`);
    return buf.toString("utf8", 0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * YAML with every problem an error (an unknown tag would otherwise be a warning on stderr, and
 * the tag dropped). Duplicate keys are found here in one pass: the parser's own check compares
 * every pair of keys of a map.
 */
function parseYamlStrictly(text: string): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: false, lineCounter });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) throw problem;
  visit(doc, {
    Map(_, map) {
      const keys = new Set<string>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        if (keys.has(key)) {
          const at = isScalar(pair.key) && pair.key.range ? lineCounter.linePos(pair.key.range[0]) : undefined;
          throw new Error(`duplicate key "${key}"${at ? ` at line ${at.line}, column ${at.col}` : ""}`);
        }
        keys.add(key);
      }
    },
  });
  return doc.toJS();
}

/**
 * Walks the parsed file without recursion before anything else does: at most DEPTH_MAX levels
 * (an alias cycle has no bottom) and VALUES_MAX values (aliases that stand for aliases can
 * stand for exponentially many).
 */
function checkShape(raw: unknown, where: string): void {
  const stack: [unknown, number][] = [[raw, 0]];
  let values = 0;
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (++values > VALUES_MAX) throw new ScenarioError(`${where}: more than ${VALUES_MAX} values (counting what each alias stands for)`);
    if (typeof v !== "object" || v === null) continue;
    if (depth >= DEPTH_MAX) throw new ScenarioError(`${where}: nested deeper than ${DEPTH_MAX} levels (or an alias refers to itself)`);
    for (const x of Array.isArray(v) ? v : Object.values(v)) stack.push([x, depth + 1]);
  }
}

function opText(op: string, args: Record<string, unknown>): string {
  const parts = Object.entries(args)
    .filter(([key, v]) => v !== false && v !== undefined && key !== "expect")
    .map(([k, v]) => (v === true ? k : `${k}=${String(v)}`));
  return `${op}(${parts.join(", ")})`;
}

/** Checks names and ranges, and turns the file into a ModelConfig. */
export function resolveScenario(s: ScenarioFile, where = `scenario ${s.name}`, source = s.name): Scenario {
  const fail = (path: string, msg: string): never => {
    throw new ScenarioError(`${where}: ${path}: ${msg}`);
  };
  const procIndex = new Map(s.processes.map((p, i) => [p, i]));
  if (procIndex.size !== s.processes.length) fail("processes", "names must be unique");
  if (s.pool.pages + s.pool.overcommit > POOL_PAGES_MAX)
    fail("pool", `pages + overcommit is ${s.pool.pages + s.pool.overcommit}: the model has at most ${POOL_PAGES_MAX} huge pages`);
  s.files4k.forEach((f, i) => {
    if ((f.isize ?? f.pages) > f.pages) fail(`files4k.${i}.isize`, `past the file's ${f.pages} pages: the model holds the blocks of those only`);
  });
  const fileIndex = new Map(s.files.map((f, i) => [f.name, i]));
  if (fileIndex.size !== s.files.length) fail("files", "names must be unique");
  const file4kIndex = new Map(s.files4k.map((f, i) => [f.name, i]));
  if (file4kIndex.size !== s.files4k.length) fail("files4k", "names must be unique");
  // The 4 KiB operations name a 4 KiB file; the others a hugetlbfs one.
  const filesFor = (op: string) => (op === "mmap4k" || op === "ftruncate4k" ? file4kIndex : fileIndex);

  const lists: { path: string; proc: string; ops: ScenarioFile["threads"][number]["ops"] }[] = [
    ...s.setup.map((b, i) => ({ path: `setup.${i}`, proc: b.proc, ops: b.ops })),
    ...s.threads.map((t, i) => ({ path: `threads.${i}`, proc: t.proc, ops: t.ops })),
  ];
  let addrEnd = 1;
  let mmaps = 0;
  let hugeMmaps = 0;
  let splits = 0;
  const children = new Set<string>();
  // 4 KiB memory: the slots it takes (with their largest mapping), each MAP_SHARED mmap4k's
  // shmem inode, and a bound on the 4 KiB pages alive at once.
  const smallSlots = new Map<number, number>();
  const shmemOf = new Map<object, number>();
  const shmem: { pages: number }[] = [];
  // Slots that hold a mapping of a 4 KiB file: get_user_pages and mlock there are not modelled.
  const fileSlots = new Set<number>();
  let smallPages = 2 * (s.threads.length + 1);
  for (const l of lists)
    for (const entry of l.ops) {
      const a = (entry as Record<string, Record<string, number | boolean | string>>).mmap4k;
      if (!a) continue;
      if (a.file !== undefined) fileSlots.add(a.addr as number);
      smallSlots.set(a.addr as number, Math.max(smallSlots.get(a.addr as number) ?? 0, a.pages as number));
      smallPages += (a.pages as number) * (s.processes.length + (a.shared || a.file !== undefined ? 1 : 0));
      if (a.shared) {
        shmemOf.set(entry, shmem.length);
        shmem.push({ pages: a.pages as number });
      }
    }
  for (const l of lists) {
    if (!procIndex.has(l.proc)) fail(`${l.path}.proc`, `unknown process "${l.proc}"`);
    l.ops.forEach((entry, j) => {
      const [op, a] = Object.entries(entry)[0]! as [OpName, Record<string, number | string | boolean>];
      const at = `${l.path}.ops.${j}.${op}`;
      if ("file" in a && a.file !== undefined && !filesFor(op).has(a.file as string))
        fail(`${at}.file`, `unknown ${op.endsWith("4k") ? "4 KiB file (files4k)" : "file"} "${a.file}"`);
      if (op === "fork") {
        const c = a.child as string;
        if (!procIndex.has(c)) fail(`${at}.child`, `unknown process "${c}"`);
        if (c === l.proc || children.has(c)) fail(`${at}.child`, `process "${c}" cannot be forked here`);
        children.add(c);
      }
      if (op === "mmap4k") {
        if (a.file !== undefined) {
          if (a.shared) fail(`${at}.shared`, "a 4 KiB file is mapped MAP_PRIVATE only: shared file mappings are not modelled");
          if (a.populate) fail(`${at}.populate`, "MAP_POPULATE of a 4 KiB file is not modelled");
          const f = s.files4k[file4kIndex.get(a.file as string)!]!;
          if ((a.pages as number) > f.pages) fail(`${at}.pages`, `maps past the ${f.pages} pages of file "${f.name}"`);
        }
        mmaps++;
        addrEnd = Math.max(addrEnd, (a.addr as number) + 1);
      } else if (SMALL_OPS.has(op)) {
        const slot = a.addr as number;
        if (!smallSlots.has(slot)) fail(`${at}.addr`, `slot ${slot} holds no 4 KiB mapping (mmap4k)`);
        const size = smallSlots.get(slot)!;
        if ((a.page as number) >= size) fail(`${at}.page`, `past the ${size} pages of the 4 KiB mappings in slot ${slot}`);
        if (op !== "access4k" && op !== "dontneed4k" && fileSlots.has(slot))
          fail(`${at}.addr`, `slot ${slot} maps a 4 KiB file: ${op} of file mappings is not modelled`);
        if ((op === "mlock4k" || op === "munlock4k") && (a.page !== 0 || a.pages !== size))
          fail(`${at}.pages`, `must cover the whole 4 KiB mapping (page 0, pages ${size}): a part would split the VMA, which the model does not do`);
      } else if ("addr" in a && op !== "munmap") {
        const len = (a.len as number | undefined) ?? 1;
        for (let slot = a.addr as number; slot < (a.addr as number) + len; slot++)
          if (smallSlots.has(slot)) fail(`${at}.addr`, `slot ${slot} holds 4 KiB memory: ${op} is for huge pages`);
      }
      if (op === "mmap") {
        mmaps++;
        hugeMmaps++;
        addrEnd = Math.max(addrEnd, (a.addr as number) + (a.len as number));
        const f = s.files[fileIndex.get(a.file as string)!]!;
        if ((a.pgoff as number) + (a.len as number) > f.pages)
          fail(`${at}.len`, `maps past the ${f.pages} pages of file "${f.name}"`);
      }
      if (op === "munmap" || op === "mprotect") splits += 2;
    });
  }
  checkLifetimes(s, fail);
  checkFileNames(s, fail);
  for (const [variant, e] of Object.entries(s.expect)) {
    if (!findVariant(variant)) fail(`expect.${variant}`, `unknown variant (known: ${VARIANTS.map((v) => v.name).join(", ")})`);
    if (e === "not-applicable" && variant === VARIANTS[0]!.name)
      fail(`expect.${variant}`, "today's kernel is always applicable: it changes nothing to miss");
    if (typeof e === "string") continue;
    if (!INVARIANTS.some((i) => i.name === e.invariant))
      fail(`expect.${variant}.invariant`, `unknown invariant "${e.invariant}" (known: ${INVARIANTS.map((i) => i.name).join(", ")})`);
    if (e.finding !== undefined && !findFinding(e.finding))
      fail(`expect.${variant}.finding`, `unknown finding "${e.finding}" (known: ${FINDINGS.map((f) => f.id).join(", ")})`);
  }
  const addressSpace = s.addressSpace ?? addrEnd;
  if (addressSpace < addrEnd) fail("addressSpace", `smaller than the mappings (${addrEnd})`);
  for (const l of lists)
    l.ops.forEach((entry, j) => {
      const [op, a] = Object.entries(entry)[0]! as [OpName, Record<string, number>];
      if (l.path.startsWith("setup") && "expect" in a)
        fail(`${l.path}.ops.${j}.${op}.expect`, "only a thread's operations state an expected result (the setup runs once, before the search)");
      if ("addr" in a && a.addr! + (a.len ?? 1) > addressSpace)
        fail(`${l.path}.ops.${j}.${op}.addr`, `outside the address space of ${addressSpace} pages`);
    });

  const call = (proc: number, entry: Record<string, unknown>): OpCall => {
    const [op, a] = Object.entries(entry)[0]! as [OpName, Record<string, number | string | boolean>];
    const small = op === "mmap4k" || SMALL_OPS.has(op);
    return {
      op,
      procedure: OPERATIONS[op]!,
      text: opText(op, a),
      proc,
      addr: (a.addr as number) ?? 0,
      len: (a.len as number) ?? 0,
      file: op === "mmap4k" && a.shared ? (shmemOf.get(entry) ?? 0) : a.file !== undefined ? filesFor(op).get(a.file as string)! : 0,
      pgoff: ((op === "punch_hole" ? a.offset : a.pgoff) as number) ?? 0,
      shared: (a.shared as boolean) ?? false,
      noreserve: (a.noreserve as boolean) ?? false,
      writable: op === "mmap" || op === "mprotect" || op === "mmap4k" ? ((a.write as boolean) ?? true) : false,
      write: op === "fault" || op === "access4k" || op === "gup4k" ? ((a.write as boolean) ?? false) : false,
      child: a.child !== undefined ? procIndex.get(a.child as string)! : 0,
      size: (a.size as number) ?? 0,
      page: small ? ((a.page as number) ?? 0) : 0,
      pages: small ? ((a.pages as number) ?? 0) : 0,
      smallFile: op === "mmap4k" && a.file !== undefined,
      populate: (a.populate as boolean) ?? false,
      force: (a.force as boolean) ?? false,
      pin: (a.pin as boolean) ?? false,
      longterm: (a.longterm as boolean) ?? false,
      failAddToPageCache: (a.fail_add_to_page_cache as boolean) ?? false,
      expect: a.expect !== undefined ? RESULT_NAMES.indexOf(a.expect as (typeof RESULT_NAMES)[number]) : -1,
    };
  };
  const config: ModelConfig = {
    kernel: { ...DEFAULT_KERNEL_CONFIG, ...s.kernel },
    pool: { pages: s.pool.pages, overcommit: s.pool.overcommit },
    files: s.files.map((f) => ({
      name: f.name,
      pages: f.pages,
      isize: f.isize ?? f.pages,
      anon: f.anon || f.device,
      device: f.device,
    })),
    processes: s.processes.map((p) => ({ name: p, alive: !children.has(p) })),
    addrPages: addressSpace,
    vmaSlots: Math.max(1, mmaps + splits),
    resvMaps: Math.max(1, hugeMmaps),
    smallSlots: [...smallSlots].map(([slot, pages]) => ({ slot, pages })).sort((x, y) => x.slot - y.slot),
    shmem,
    files4k: s.files4k.map((f) => ({ name: f.name, pages: f.pages, isize: f.isize ?? f.pages, dax: f.dax, data: f.data })),
    smallPages: smallSlots.size ? smallPages : 0,
    setup: s.setup.map((b) => ({ proc: procIndex.get(b.proc)!, ops: b.ops.map((o) => call(procIndex.get(b.proc)!, o)) })),
    threads: s.threads.map((t) => ({
      name: t.name,
      proc: procIndex.get(t.proc)!,
      ops: t.ops.map((o) => call(procIndex.get(t.proc)!, o)),
    })),
  };
  const words = new Layout(config).size;
  if (words > STATE_WORDS_MAX)
    fail("(top level)", `a state of this scenario would take ${words} words, more than the ${STATE_WORDS_MAX} the model allows: fewer processes, files, mappings or splits`);
  return { name: s.name, summary: s.summary, source, config, expect: s.expect };
}
