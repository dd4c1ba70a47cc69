/**
 * Loads a scenario by name (a file in scenarios/) or path, validates it, and resolves it into
 * the numeric ModelConfig the model runs on. Every problem is a ScenarioError: one line naming
 * the field and what is wrong.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import type { ZodError } from "zod";
import { DEFAULT_KERNEL_CONFIG, type KernelConfig, type ModelConfig, type OpCall } from "../model/config.js";
import { INVARIANTS } from "../invariants/index.js";
import { OPERATIONS } from "../model/ops/index.js";
import { findVariant, VARIANTS } from "../model/variant.js";
import { applyParams, ParamError } from "./params.js";
import { ScenarioSchema, type Expectation, type OpName, type ScenarioFile } from "./schema.js";

/** The operations on 4 KiB memory that an mmap4k must have mapped (a slot of 4 KiB pages). */
const SMALL_OPS: ReadonlySet<string> = new Set(["access4k", "mlock4k", "munlock4k", "gup4k", "dontneed4k"]);

export class ScenarioError extends Error {
  override name = "ScenarioError";
}

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
  let raw: unknown;
  try {
    const text = readFileSync(path, "utf8");
    raw = extname(path) === ".json" ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ScenarioError(`${where}: not valid ${extname(path) === ".json" ? "JSON" : "YAML"}: ${String((e as Error).message).split("\n")[0]}`);
  }
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

function opText(op: string, args: Record<string, unknown>): string {
  const parts = Object.entries(args)
    .filter(([, v]) => v !== false && v !== undefined)
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
  for (const [variant, e] of Object.entries(s.expect)) {
    if (!findVariant(variant)) fail(`expect.${variant}`, `unknown variant (known: ${VARIANTS.map((v) => v.name).join(", ")})`);
    if (e !== "pass" && !INVARIANTS.some((i) => i.name === e.invariant))
      fail(`expect.${variant}.invariant`, `unknown invariant "${e.invariant}" (known: ${INVARIANTS.map((i) => i.name).join(", ")})`);
  }
  const addressSpace = s.addressSpace ?? addrEnd;
  if (addressSpace < addrEnd) fail("addressSpace", `smaller than the mappings (${addrEnd})`);
  for (const l of lists)
    l.ops.forEach((entry, j) => {
      const [op, a] = Object.entries(entry)[0]! as [OpName, Record<string, number>];
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
  return { name: s.name, summary: s.summary, source, config, expect: s.expect };
}
