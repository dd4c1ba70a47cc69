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
import { POOL_PAGES_MAX, ScenarioSchema, SMALL_PER_HUGE, type Expectation, type OpName, type ScenarioFile } from "./schema.js";

/** The operations on 4 KiB memory that an mmap4k must have mapped (a slot of 4 KiB pages). */
const SMALL_OPS: ReadonlySet<string> = new Set(["access4k", "mlock4k", "munlock4k", "gup4k", "dontneed4k"]);

/**
 * An operation's address and length in huge pages: a range given in 4 KiB pages (`unit: 4k`)
 * becomes fractions of them, exact in binary, so the model sees where an edge cuts a huge page.
 */
export function hugeRange(a: Record<string, unknown>): { addr: number; len: number } {
  const div = a.unit === "4k" ? SMALL_PER_HUGE : 1;
  return { addr: ((a.addr as number | undefined) ?? 0) / div, len: ((a.len as number | undefined) ?? 0) / div };
}

export class ScenarioError extends Error {
  override name = "ScenarioError";
  /**
   * For a file that does not parse: the lines around the place, the place marked — printed
   * after the one-line message.
   */
  frame?: string;
}

/** The lines of `text` up to the 1-based `line`, `column` marked with a caret under it. */
export function codeFrame(text: string, line: number, column: number): string {
  const lines = text.split(/\r?\n/);
  const width = String(line).length;
  const cutAt = 120;
  const out: string[] = [];
  for (let n = Math.max(1, line - 2); n <= Math.min(line, lines.length); n++) {
    const l = lines[n - 1]!;
    out.push(`${n === line ? ">" : " "} ${String(n).padStart(width)} | ${l.length > cutAt ? `${l.slice(0, cutAt)}…` : l}`);
  }
  out.push(`  ${" ".repeat(width)} | ${" ".repeat(Math.min(Math.max(0, column - 1), cutAt))}^`);
  return out.join("\n");
}

/** Line and column (1-based) of a 0-based offset. */
function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
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

/** The most problems one message lists (a file may have thousands). */
const PROBLEMS_LISTED = 10;

/**
 * Every validation problem, in one line: `path: reason` each, an unknown key first (a typo such
 * as `sise` for `size` is also a missing `size`, and the typo is the news). Not zod's
 * prettifyError: its paths are bracketed (`threads[0]`) and its problems take two lines each,
 * where mmcheck's messages are one line naming the field as the loader's other checks do.
 */
function zodLine(where: string, e: ZodError): string {
  const unknownKey = (i: ZodError["issues"][number]) => i.code === "unrecognized_keys" || /^Unrecognized key/.test(i.message);
  const issues = [...e.issues.filter(unknownKey), ...e.issues.filter((i) => !unknownKey(i))];
  const line = (issue: ZodError["issues"][number]) => {
    const path = issue.path.join(".") || "(top level)";
    // Named a few at a time: a file may have thousands.
    if (issue.code === "unrecognized_keys" && issue.keys.length > 5)
      return `${path}: Unrecognized keys: ${issue.keys.slice(0, 5).map((k) => JSON.stringify(k)).join(", ")} and ${issue.keys.length - 5} more`;
    return `${path}: ${issue.message}`;
  };
  const listed = issues.slice(0, PROBLEMS_LISTED).map(line);
  const more = issues.length > PROBLEMS_LISTED ? `; and ${issues.length - PROBLEMS_LISTED} more problems` : "";
  return `${where}: ${listed.join("; ")}${more}`;
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
    let message = String((e as Error).message).split("\n")[0]!.replace(/:$/, "");
    if (e instanceof RangeError || /call stack/.test(message)) throw new ScenarioError(`${where}: nested deeper than ${DEPTH_MAX} levels`);
    // YAML's errors carry their place (linePos); JSON's an offset ("at position N"), said here as line and column.
    const yamlAt = (e as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    const jsonAt = json ? /at position (\d+)/.exec(message) : null;
    const at = yamlAt ? { line: yamlAt.line, column: yamlAt.col } : jsonAt ? position(text, Number(jsonAt[1])) : json && /end of JSON input/.test(message) ? position(text, text.length) : undefined;
    if (jsonAt && at) message = message.replace(/ ?(in JSON )?at position \d+( \(line \d+ column \d+\))?/, "") + ` at line ${at.line}, column ${at.column}`;
    const err = new ScenarioError(`${where}: not valid ${json ? "JSON" : "YAML"}: ${message}`);
    if (at) err.frame = codeFrame(text, at.line, at.column);
    throw err;
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
          throw Object.assign(new Error(`duplicate key "${key}"${at ? ` at line ${at.line}, column ${at.col}` : ""}`), { linePos: at && [at] });
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

/**
 * migrate moves anonymous pages only: every mapping the scenario makes at its address must be
 * private anonymous memory (mmap4k without file or shared), or a private mapping of
 * MAP_HUGETLB's own file, whose faults never put a page in the page cache. Migrating a
 * page-cache page (hugetlbfs_migrate_folio, shmem) is not modelled.
 */
function checkMigrate(
  s: ScenarioFile,
  a: Record<string, number | string | boolean>,
  at: string,
  smallSlots: ReadonlyMap<number, number>,
  fail: (path: string, msg: string) => never,
): void {
  const slot = a.addr as number;
  const maps = [...s.setup, ...s.threads].flatMap((l) => l.ops.map((e) => Object.entries(e)[0]! as [string, Record<string, unknown>]));
  if (smallSlots.has(slot)) {
    if ((a.page as number) >= smallSlots.get(slot)!) fail(`${at}.page`, `past the ${smallSlots.get(slot)} pages of the 4 KiB mappings in slot ${slot}`);
    if (maps.some(([op, m]) => op === "mmap4k" && m.addr === slot && (m.shared || m.file !== undefined)))
      fail(`${at}.addr`, `slot ${slot} maps shared or file memory: migrate of page-cache pages is not modelled`);
    return;
  }
  if (a.page !== 0) fail(`${at}.page`, `slot ${slot} is no 4 KiB mapping: a huge page is migrated whole`);
  for (const [op, m] of maps) {
    if (op !== "mmap" || slot < (m.addr as number) || slot >= (m.addr as number) + (m.len as number)) continue;
    const f = s.files.find((x) => x.name === m.file);
    if (m.shared || !f?.anon || f.device)
      fail(`${at}.addr`, `a mapping at ${slot} is shared or of a named file (or seed 002's device): migrate of page-cache pages is not modelled`);
  }
}

/**
 * A file's own hugetlbfs mount with `size`/`min_size` (hugetlbfs_parse_param, hugetlbfs_validate,
 * hugepage_new_subpool): MAP_HUGETLB's file is on the internal mount, which has none; min_size
 * may not pass size; and each mount reserves its min_size in the pool, which must hold them all.
 */
function checkMounts(s: ScenarioFile, fail: (path: string, msg: string) => never): void {
  let minTotal = 0;
  s.files.forEach((f, i) => {
    const opt = f.size !== undefined ? "size" : f.min_size !== undefined ? "min_size" : undefined;
    if (!opt) return;
    if (f.anon || f.device) fail(`files.${i}.${opt}`, `file "${f.name}" is MAP_HUGETLB's own file, on the kernel's internal mount: it has no ${opt}= option`);
    if (f.size !== undefined && f.min_size !== undefined && f.min_size > f.size)
      fail(`files.${i}.min_size`, `${f.min_size} is more than size ${f.size}: hugetlbfs refuses the mount ("Minimum size can not be greater than maximum size")`);
    minTotal += f.min_size ?? 0;
    if (minTotal > s.pool.pages + s.pool.overcommit)
      fail(`files.${i}.min_size`, `the mounts' min_size add up to ${minTotal}, more than the pool's ${s.pool.pages + s.pool.overcommit} pages: the mount fails with ENOMEM`);
  });
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
  checkMounts(s, fail);
  const file4kIndex = new Map(s.files4k.map((f, i) => [f.name, i]));
  if (file4kIndex.size !== s.files4k.length) fail("files4k", "names must be unique");
  // The 4 KiB operations name a 4 KiB file; the others a hugetlbfs one.
  const filesFor = (op: string) => (op === "mmap4k" || op === "ftruncate4k" || op === "write4k" ? file4kIndex : fileIndex);

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
  // Slots that hold a mapping of a 4 KiB file, and whether it is DAX: get_user_pages (so mlock)
  // of a DAX file is not modelled (its pfns have no page the model could hand out).
  const fileSlots = new Map<number, boolean>();
  // Slots with a MAP_SHARED mapping of a 4 KiB file, and those mapped (or mprotected) read-only.
  const sharedFileSlots = new Set<number>();
  const sharedReadOnlySlots = new Set<number>();
  let smallPages = 2 * (s.threads.length + 1);
  let writes4k = false;
  // THP-able slots (mmap4k thp), the processes that map one, and how many such mappings.
  const thpSlots = new Set<number>();
  const thpProcs = new Set<string>();
  let thpMaps = 0;
  // The most pages one get_user_pages call holds (gup4k pages).
  let gupPages = 1;
  for (const l of lists)
    for (const entry of l.ops) {
      if ("write4k" in entry) {
        smallPages++; // a page-cache page of a file perhaps mapped nowhere
        writes4k = true;
      }
      const a = (entry as Record<string, Record<string, number | boolean | string>>).mmap4k;
      if (!a) continue;
      if (a.file !== undefined && a.shared) sharedFileSlots.add(a.addr as number);
      if (a.thp) {
        thpSlots.add(a.addr as number);
        thpProcs.add(l.proc);
        thpMaps++;
      }
      if (a.file !== undefined && a.shared && !a.write) sharedReadOnlySlots.add(a.addr as number);
      if (a.file !== undefined) {
        const dax = s.files4k.find((f) => f.name === a.file)?.dax ?? false;
        fileSlots.set(a.addr as number, (fileSlots.get(a.addr as number) ?? false) || dax);
      }
      smallSlots.set(a.addr as number, Math.max(smallSlots.get(a.addr as number) ?? 0, a.pages as number));
      smallPages += (a.pages as number) * (s.processes.length + (a.shared || a.file !== undefined ? 1 : 0));
      if (a.shared && a.file === undefined) {
        shmemOf.set(entry, shmem.length);
        shmem.push({ pages: a.pages as number });
      }
    }
  for (const l of lists)
    for (const entry of l.ops) {
      const a = (entry as Record<string, Record<string, number | boolean | string>>).mprotect;
      if (a && a.unit === "4k" && !a.write && sharedFileSlots.has(Math.floor(hugeRange(a).addr))) sharedReadOnlySlots.add(Math.floor(hugeRange(a).addr));
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
        if (thpProcs.has(l.proc)) fail(`${at}.child`, `process "${l.proc}" has a THP mapping (mmap4k thp): fork's copy_huge_pmd is not modelled`);
        children.add(c);
      }
      if (op === "mmap4k") {
        if (a.thp && (a.file !== undefined || a.shared))
          fail(`${at}.thp`, "a THP mapping is private anonymous memory here: THP of shmem or of a file is not modelled");
        if (a.thp && a.populate) fail(`${at}.populate`, "MAP_POPULATE of a THP mapping is not modelled");
        if (a.file !== undefined) {
          if (a.shared && s.files4k[file4kIndex.get(a.file as string)!]!.dax)
            fail(`${at}.shared`, "a 4 KiB DAX file is mapped MAP_PRIVATE only: shared DAX mappings are not modelled");
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
        if ((op === "gup4k" || op === "mlock4k" || op === "munlock4k") && fileSlots.get(slot))
          fail(`${at}.addr`, `slot ${slot} maps a 4 KiB DAX file: ${op} of DAX mappings is not modelled`);
        if ((op === "mlock4k" || op === "munlock4k") && thpSlots.has(slot))
          fail(`${at}.addr`, `slot ${slot} holds a THP mapping: ${op} there is not modelled (it would split the pmd)`);
        if (op === "dontneed4k" && thpSlots.has(slot) && (a.page !== 0 || a.pages !== size))
          fail(`${at}.pages`, `must cover the whole THP mapping (page 0, pages ${size}): a part would split the pmd (__split_huge_pmd), which the model does not do`);
        // Today check_vma_flags refuses it (EFAULT); kernels before 4.8 broke COW into an
        // anonymous page inside the shared mapping, which the model does not do.
        if (op === "gup4k" && (a.page as number) + (a.pages as number) > size)
          fail(`${at}.pages`, `past the ${size} pages of the 4 KiB mappings in slot ${slot}`);
        if (op === "gup4k" && (a.pages as number) > 1 && thpSlots.has(slot))
          fail(`${at}.pages`, `slot ${slot} holds a THP mapping: get_user_pages of several of its pages (one folio, a reference per page) is not modelled`);
        if (op === "gup4k") gupPages = Math.max(gupPages, a.pages as number);
        if (op === "gup4k" && a.write && a.force && sharedReadOnlySlots.has(slot))
          fail(`${at}.force`, `slot ${slot} maps a 4 KiB file MAP_SHARED read-only: a forced write there is not modelled`);
        // A part of a VMA is split off: two more VMAs at most.
        if ((op === "mlock4k" || op === "munlock4k") && (a.page !== 0 || a.pages !== size)) splits += 2;
      } else if (op === "gup" || op === "vmsplice") {
        if (smallSlots.has(a.addr as number)) fail(`${at}.addr`, `slot ${a.addr} holds a 4 KiB mapping (mmap4k): ${op === "gup" ? "get_user_pages of it is gup4k" : "vmsplice of it is not modelled"}`);
      } else if (op === "write4k") {
        const f = s.files4k[file4kIndex.get(a.file as string)!]!;
        if (f.dax) fail(`${at}.file`, `"${f.name}" is a DAX file: write4k of DAX files is not modelled`);
        if ((a.page as number) >= f.pages) fail(`${at}.page`, `past the ${f.pages} pages of file "${f.name}": the model holds those only`);
      } else if (op === "migrate") {
        if (thpSlots.has(a.addr as number)) fail(`${at}.addr`, `slot ${a.addr} holds a THP mapping: migrate of a THP is not modelled`);
        checkMigrate(s, a, at, smallSlots, fail);
      } else if ("addr" in a && (op !== "munmap" || a.unit === "4k")) {
        const r = hugeRange(a);
        const len = "len" in a ? r.len : 1;
        const first = Math.floor(r.addr);
        // munmap and mprotect in 4 KiB units split 4 KiB VMAs inside one slot.
        if (a.unit === "4k" && smallSlots.has(first)) {
          if (r.addr + len > first + 1) fail(`${at}.len`, `a range in 4 KiB units over the 4 KiB memory of slot ${first} must end inside it`);
          if (thpSlots.has(first) && op !== "madvise_willneed" && (r.addr !== first || len !== 1))
            fail(`${at}.addr`, `slot ${first} holds a THP mapping: ${op} of a part would split the pmd (__split_huge_pmd), which the model does not do`);
          if (op === "mprotect" && a.write && sharedReadOnlySlots.has(first))
            fail(`${at}.write`, `slot ${first} maps a 4 KiB file MAP_SHARED read-only: making it writable (VM_MAYWRITE) is not modelled`);
        } else
          for (let slot = first; slot < r.addr + len; slot++)
            if (smallSlots.has(slot))
              fail(`${at}.addr`, `slot ${slot} holds 4 KiB memory: ${op}${a.unit === "4k" ? " in 4 KiB units" : ""} is for huge pages`);
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
      if ("addr" in a && hugeRange(a).addr + ("len" in a ? hugeRange(a).len : 1) > addressSpace)
        fail(`${l.path}.ops.${j}.${op}.addr`, `outside the address space of ${addressSpace} pages`);
    });

  const call = (proc: number, entry: Record<string, unknown>): OpCall => {
    const [op, a] = Object.entries(entry)[0]! as [OpName, Record<string, number | string | boolean>];
    const small = op === "mmap4k" || op === "write4k" || SMALL_OPS.has(op);
    return {
      op,
      procedure: OPERATIONS[op]!,
      text: opText(op, a),
      proc,
      ...hugeRange(a),
      file: a.file !== undefined ? filesFor(op).get(a.file as string)! : op === "mmap4k" && a.shared ? (shmemOf.get(entry) ?? 0) : 0,
      pgoff: ((op === "punch_hole" ? a.offset : a.pgoff) as number) ?? 0,
      shared: (a.shared as boolean) ?? false,
      noreserve: (a.noreserve as boolean) ?? false,
      writable: op === "mmap" || op === "mprotect" || op === "mmap4k" ? ((a.write as boolean) ?? true) : false,
      write: op === "fault" || op === "access4k" || op === "gup4k" || op === "gup" ? ((a.write as boolean) ?? false) : false,
      child: a.child !== undefined ? procIndex.get(a.child as string)! : 0,
      size: (a.size as number) ?? 0,
      page: small || op === "migrate" ? ((a.page as number) ?? 0) : 0,
      pages: small ? ((a.pages as number) ?? 0) : 0,
      smallFile: op === "mmap4k" && a.file !== undefined,
      populate: (a.populate as boolean) ?? false,
      force: (a.force as boolean) ?? false,
      pin: (a.pin as boolean) ?? false,
      longterm: (a.longterm as boolean) ?? false,
      failAddToPageCache: (a.fail_add_to_page_cache as boolean) ?? false,
      expect: a.expect !== undefined ? RESULT_NAMES.indexOf(a.expect as (typeof RESULT_NAMES)[number]) : -1,
      moveAll: (a.all as boolean) ?? false,
      thp: op === "mmap4k" && ((a.thp as boolean) ?? false),
    };
  };
  // Each THP mapping holds one THP, and each thread may have one more allocated for a fault.
  const thpPages = s.thpPages ?? (thpMaps ? thpMaps + s.threads.length : 0);
  const config: ModelConfig = {
    kernel: { ...DEFAULT_KERNEL_CONFIG, ...s.kernel },
    pool: { pages: s.pool.pages, overcommit: s.pool.overcommit },
    files: s.files.map((f) => ({
      name: f.name,
      pages: f.pages,
      isize: f.isize ?? f.pages,
      anon: f.anon || f.device,
      device: f.device,
      maxHpages: f.size ?? -1,
      minHpages: f.min_size ?? -1,
    })),
    processes: s.processes.map((p) => ({ name: p, alive: !children.has(p) })),
    addrPages: addressSpace,
    vmaSlots: Math.max(1, mmaps + splits),
    resvMaps: Math.max(1, hugeMmaps),
    smallSlots: [...smallSlots].map(([slot, pages]) => ({ slot, pages })).sort((x, y) => x.slot - y.slot),
    shmem,
    files4k: s.files4k.map((f) => ({ name: f.name, pages: f.pages, isize: f.isize ?? f.pages, dax: f.dax, data: f.data })),
    smallPages: smallSlots.size || writes4k ? smallPages + thpPages : 0,
    thp: thpMaps > 0,
    thpPages,
    gupPages,
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
