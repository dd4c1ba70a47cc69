/**
 * Fuzzing `mmcheck explore` (issue 15): fast-check mutates the shipped scenarios (numbers made
 * 0, negative, huge, fractional; keys dropped, renamed, duplicated; values of the wrong type;
 * nesting; aliases, alias cycles, unknown tags; expressions and repeats; operations added) and
 * the flags, and every outcome must keep the contract (../shared/contract.md): exit 0, 1 or 3
 * with a report valid against its schema whose verdict matches, or exit 2 with one line on
 * stderr and no report; never exit 4, a stack, a warning, or a file left behind. Each search is
 * bounded by --max-states, so a scenario made large ends incomplete (exit 3).
 *
 * The cases run in this process (cli/run.ts, the function cli/main.ts calls, with stdout and
 * stderr captured), a few thousand in well under two minutes; a handful more run as a process
 * (dist/cli/main.js) with a time limit, for what only a process shows: its exit code, a stack,
 * a hang. MMCHECK_FUZZ_SEED and MMCHECK_FUZZ_RUNS replay or widen the search.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterAll, describe, expect, it, vi } from "vitest";
import { parse, stringify } from "yaml";
import { mmcheck } from "../../cli/run.js";
import { VARIANTS } from "../../model/variant.js";
import { ReportSchema } from "../../reports/schema.js";
import { OpSchemas } from "../../scenarios/schema.js";
import { scenarioDir, shippedScenarios } from "../../scenarios/load.js";

const MAIN = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
const SEED = Number(process.env.MMCHECK_FUZZ_SEED ?? 15);
const RUNS = Number(process.env.MMCHECK_FUZZ_RUNS ?? 3000);
const root = mkdtempSync(join(tmpdir(), "mmcheck-fuzz-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The shipped scenarios, and the benchmark's grown one (params, repeat). */
const SOURCES: readonly string[] = [
  ...shippedScenarios().map((n) => readFileSync(join(scenarioDir(), `${n}.yaml`), "utf8")),
  readFileSync(fileURLToPath(new URL("../../bench/truncate-race-grow.yaml", import.meta.url)), "utf8"),
];

const NUMBERS = [0, -1, 1, 2, 3, 29, 30, 31, 2 ** 31 - 1, 2 ** 31, 2 ** 53 - 1, 1e9, 0.5, 1.5, -0.5, 1e300, Number.NaN, Number.POSITIVE_INFINITY];
const KEYS = ["addr", "len", "file", "pages", "size", "offset", "page", "child", "proc", "ops", "name", "count", "each", "repeat", "write", "shared", "isize", "extra", "__proto__"];
const STRINGS = ["", "hugefile", "parent", "child", "a", "b", "proc", "exit", "${pages}", "${1 + }", "${(((2)))}", "${pages * 1000000}", "${x}", "${9007199254740993}", "${-3 % 0}"];
const OPS = Object.keys(OpSchemas);

type Json = unknown;
type Mutation =
  | { kind: "number"; at: number; value: number }
  | { kind: "drop" | "wrap-list" | "wrap-map" | "share" | "cycle" | "to-string"; at: number; other: number }
  | { kind: "rename"; at: number; key: string }
  | { kind: "string"; at: number; value: string }
  | { kind: "nest"; at: number; depth: number }
  | { kind: "op"; at: number; op: number | "bogus"; values: number[]; flags: boolean[] }
  | { kind: "drop-op"; at: number }
  | { kind: "repeat"; at: number; count: number | string }
  | { kind: "text"; how: "tag" | "dup-line" | "drop-line" | "indent" | "anchor-cycle" | "tab"; line: number };

const BOOLEAN_ARGS = new Set(["write", "shared", "noreserve", "populate", "force", "pin", "longterm", "fail_add_to_page_cache", "all"]);

/**
 * An added operation's arguments: its own fields (OpSchemas), each optional one there half the
 * time, with small numbers (now and then one of NUMBERS) and names the scenario declares (or one
 * it does not), so that most added operations pass the loader and run in the model.
 */
function opArgs(root: Record<string, Json>, op: string, values: number[], flags: boolean[]): Record<string, Json> {
  const shape = (OpSchemas as unknown as Record<string, { shape: Record<string, { safeParse(v: unknown): { success: boolean } }> }>)[op]?.shape ?? {
    addr: { safeParse: () => ({ success: false }) },
  };
  const args: Record<string, Json> = {};
  Object.entries(shape).forEach(([k, field], j) => {
    if (field.safeParse(undefined).success && flags[2 * j]) return;
    const v = values[j % values.length]!;
    if (BOOLEAN_ARGS.has(k)) args[k] = flags[2 * j + 1]!;
    else if (k === "file") args[k] = declared(root, op.endsWith("4k") ? "@file4k" : "@file", v);
    else if (k === "child") args[k] = declared(root, "@proc", v);
    else {
      // Mostly a value the scenario gives this field elsewhere (an address it maps, a length).
      const used = containers(root).flatMap((c) => (!Array.isArray(c.node) && typeof c.node[k] === "number" ? [c.node[k] as number] : []));
      args[k] = used.length && v < 4 ? used[(v + j) % used.length]! : v;
    }
  });
  return args;
}

const opValues = fc.array(fc.oneof({ arbitrary: fc.nat(5), weight: 12 }, { arbitrary: fc.constantFrom(...NUMBERS), weight: 1 }), { minLength: 6, maxLength: 6 });

/** Mutations that keep the file's shape: operations added and dropped, small numbers changed. */
const semantic: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("number" as const), at: fc.nat(), value: fc.nat(6) }), weight: 4 },
  {
    arbitrary: fc.record({
      kind: fc.constant("op" as const),
      at: fc.nat(),
      op: fc.oneof({ arbitrary: fc.nat(), weight: 30 }, { arbitrary: fc.constant("bogus" as const), weight: 1 }),
      values: opValues,
      flags: fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }),
    }),
    weight: 12,
  },
  { arbitrary: fc.record({ kind: fc.constant("drop-op" as const), at: fc.nat() }), weight: 4 },
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: semantic, weight: 10 },
  { arbitrary: fc.record({ kind: fc.constant("number" as const), at: fc.nat(), value: fc.constantFrom(...NUMBERS) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("drop" as const), at: fc.nat(), other: fc.nat() }), weight: 1 },
  {
    arbitrary: fc.record({ kind: fc.constantFrom("wrap-list", "wrap-map", "share", "cycle", "to-string") as fc.Arbitrary<"share">, at: fc.nat(), other: fc.nat() }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant("rename" as const), at: fc.nat(), key: fc.constantFrom(...KEYS) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("string" as const), at: fc.nat(), value: fc.constantFrom(...STRINGS) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("nest" as const), at: fc.nat(), depth: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constant(3000)) }), weight: 1 },
  {
    arbitrary: fc.record({ kind: fc.constant("repeat" as const), at: fc.nat(), count: fc.oneof(fc.nat(3), fc.constantFrom(100000, -1, "${faults}", "${pages * pages}")) }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ kind: fc.constant("text" as const), how: fc.constantFrom("tag", "dup-line", "drop-line", "indent", "anchor-cycle", "tab"), line: fc.nat() }),
    weight: 1,
  },
);

/** A name the scenario declares for a placeholder of opArgs (or one it does not). */
function declared(root: Record<string, Json>, placeholder: string, pick: number): string {
  const names = (v: Json): string[] =>
    Array.isArray(v) ? v.map((x) => (typeof x === "string" ? x : String((x as Record<string, Json> | null)?.name))) : [];
  const list = placeholder === "@proc" ? names(root.processes) : names(placeholder === "@file" ? root.files : root.files4k);
  const choices = [...list, ...list, ...list, "nobody"];
  return choices[pick % choices.length]!;
}

/** Every container in the tree (with the key of each child), in a fixed order. */
function containers(root: Json): { node: Record<string, Json> | Json[]; keys: (string | number)[] }[] {
  const out: { node: Record<string, Json> | Json[]; keys: (string | number)[] }[] = [];
  const seen = new Set<unknown>();
  const walk = (v: Json) => {
    if (typeof v !== "object" || v === null || seen.has(v)) return;
    seen.add(v);
    const keys = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
    out.push({ node: v as Record<string, Json>, keys });
    for (const k of keys) walk((v as Record<string | number, Json>)[k]);
  };
  walk(root);
  return out;
}

/** The lists of operations: where an added operation goes. */
function opLists(root: Record<string, Json>): Json[][] {
  const lists: Json[][] = [];
  const blocks = (v: Json): Json[] => (Array.isArray(v) ? v : []);
  for (const block of [...blocks(root.setup), ...blocks(root.threads)])
    if (block && typeof block === "object" && Array.isArray((block as Record<string, Json>).ops)) lists.push((block as Record<string, Json[]>).ops);
  return lists;
}

function mutate(root: Record<string, Json>, m: Mutation): void {
  if (m.kind === "text") return;
  const all = containers(root);
  const { node, keys } = all[m.at % all.length]!;
  const obj = node as Record<string | number, Json>;
  const key = keys.length ? keys[(m.at >> 4) % keys.length]! : undefined;
  switch (m.kind) {
    case "number":
    case "string": {
      // A leaf of the same type, anywhere.
      const leaves = all.flatMap((c) => c.keys.filter((k) => typeof (c.node as Record<string | number, Json>)[k] === typeof m.value).map((k) => [c.node, k] as const));
      if (!leaves.length) return;
      const [at, k] = leaves[m.at % leaves.length]!;
      (at as Record<string | number, Json>)[k] = m.value;
      return;
    }
    case "drop":
      if (key === undefined) return;
      if (Array.isArray(node)) node.splice(key as number, 1);
      else delete obj[key];
      return;
    case "wrap-list":
      if (key !== undefined) obj[key] = [obj[key]];
      return;
    case "wrap-map":
      if (key !== undefined) obj[key] = { [String(key)]: obj[key] };
      return;
    case "to-string":
      if (key === undefined) return;
      try {
        obj[key] = typeof obj[key] === "object" ? JSON.stringify(obj[key]) : String(obj[key]);
      } catch {
        obj[key] = String(obj[key]); // a cycle
      }
      return;
    case "share": {
      // An alias: the same object in two places.
      const { node: other } = all[m.other % all.length]!;
      if (key !== undefined && other !== root) obj[key] = other;
      return;
    }
    case "cycle": {
      // An alias to a container inside itself.
      const { node: outer } = all[m.other % all.length]!;
      if (key !== undefined && containers(outer).some((c) => c.node === node)) obj[key] = outer;
      return;
    }
    case "rename":
      if (key === undefined || Array.isArray(node)) return;
      obj[m.key] = obj[key];
      if (m.key !== key) delete obj[key];
      return;
    case "nest": {
      if (key === undefined) return;
      let v = obj[key];
      for (let i = 0; i < m.depth; i++) v = i % 2 ? [v] : { n: v };
      obj[key] = v;
      return;
    }
    case "op": {
      const lists = opLists(root);
      if (!lists.length) return;
      const list = lists[m.at % lists.length]!;
      // Mostly an operation the scenario already does (on its kind of memory), else any.
      const present = lists.flat().map((e) => (typeof e === "string" ? e : Object.keys(e as object)[0])).filter((o) => o && o in OpSchemas);
      const choices = [...present, ...present, ...OPS, "exit"];
      const op = m.op === "bogus" ? m.op : choices[m.op % choices.length]!;
      list.splice((m.at >> 3) % (list.length + 1), 0, op === "exit" ? "exit" : { [op]: opArgs(root, op, m.values, m.flags) });
      return;
    }
    case "drop-op": {
      // Not a thread's last operation: a thread has at least one.
      const lists = opLists(root).filter((l) => l.length > 1);
      if (lists.length) lists[m.at % lists.length]!.splice((m.at >> 3) % lists[m.at % lists.length]!.length, 1);
      return;
    }
    case "repeat": {
      const lists = opLists(root);
      if (!lists.length) return;
      const list = lists[m.at % lists.length]!;
      const i = (m.at >> 3) % list.length;
      list[i] = { repeat: { count: m.count, as: "i", each: list[i] } };
      return;
    }
  }
}

function mutateText(text: string, m: Mutation): string {
  if (m.kind !== "text") return text;
  const lines = text.split("\n");
  const i = m.line % lines.length;
  switch (m.how) {
    case "tag":
      lines[i] = lines[i]!.replace(/: (?=\S)/, ": !unknowntag ");
      break;
    case "dup-line":
      lines.splice(i, 0, lines[i]!);
      break;
    case "drop-line":
      lines.splice(i, 1);
      break;
    case "indent":
      lines[i] = ` ${lines[i]}`;
      break;
    case "anchor-cycle":
      lines.push("extra: &loop [ *loop ]");
      break;
    case "tab":
      lines[i] = `\t${lines[i]}`;
      break;
  }
  return lines.join("\n");
}

interface Case {
  source: number;
  json: boolean;
  mutations: Mutation[];
  flags: string[];
}

/** Flags: mostly a variant and bounds, sometimes a bad one. */
const flag = fc.oneof(
  { arbitrary: fc.constantFrom(...VARIANTS.map((v) => v.name)).map((v) => ["--variant", v]), weight: 8 },
  { arbitrary: fc.constantFrom("1", "2").map((w) => ["--workers", w]), weight: 2 },
  { arbitrary: fc.nat(12).map((d) => ["--max-depth", String(d)]), weight: 2 },
  // Dropped (prepare) for a scenario without parameters.
  { arbitrary: fc.constantFrom("pages=2", "faults=3", "pages=1", "faults=0").map((p) => ["--params", p]), weight: 1 },
  {
    arbitrary: fc.oneof(
      fc.constantFrom("0", "-1", "1000", "x").map((w) => ["--workers", w]),
      fc.constantFrom("-1", "99999999999999999999").map((d) => ["--max-depth", d]),
      fc.constantFrom("1K", "1G", "lots").map((m) => ["--max-memory", m]),
      fc.constantFrom("pages=1000000", "faults=1000000", "pages=-4", "nope=1", "pages=99999999999999999999", "pages").map((p) => ["--params", p]),
      fc.constantFrom(["--variant", "no-such-variant"], ["--bogus"], ["stray"]),
    ),
    weight: 2,
  },
);

const caseArb: fc.Arbitrary<Case> = fc.record({
  source: fc.nat(SOURCES.length - 1),
  json: fc.oneof({ arbitrary: fc.constant(false), weight: 3 }, { arbitrary: fc.constant(true), weight: 1 }),
  // Half the cases keep the file's shape, so that they reach the model.
  mutations: fc.oneof(fc.array(semantic, { minLength: 1, maxLength: 4 }), fc.array(mutation, { minLength: 1, maxLength: 3 })),
  flags: fc.uniqueArray(flag, { maxLength: 2, selector: (f) => f[0] }).map((fs) => fs.flat()),
});

/** The scenario file of a case, its name and its text (which may not parse: that is a case too). */
function scenarioText(c: Case): string {
  const root = parse(SOURCES[c.source]!) as Record<string, Json>;
  for (const m of c.mutations) mutate(root, m);
  // A cycle has no JSON, and the YAML writer cannot nest 3,000 deep: then the other one (JSON
  // is YAML too; YAML under a .json name is invalid JSON, a case as well).
  const writers = c.json ? [JSON.stringify, stringify] : [stringify, JSON.stringify];
  let text = "";
  for (const write of writers) {
    try {
      text = write(root);
      break;
    } catch {
      continue;
    }
  }
  for (const m of c.mutations) text = mutateText(text, m);
  return text;
}

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs mmcheck in this process with its output captured (process warnings count as stderr). */
async function runHere(argv: string[]): Promise<Outcome> {
  let stdout = "";
  let stderr = "";
  const capture = (into: "out" | "err") => (chunk: unknown) => {
    if (into === "out") stdout += String(chunk);
    else stderr += String(chunk);
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, "write").mockImplementation(capture("out") as never),
    vi.spyOn(process.stderr, "write").mockImplementation(capture("err") as never),
    vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void (stdout += `${a.join(" ")}\n`)),
    vi.spyOn(console, "warn").mockImplementation((...a: unknown[]) => void (stderr += `${a.join(" ")}\n`)),
    vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void (stderr += `${a.join(" ")}\n`)),
  ];
  const onWarning = (w: Error) => void (stderr += `warning: ${w.message}\n`);
  process.on("warning", onWarning);
  try {
    const code = await mmcheck(argv);
    // A warning is emitted on the next tick.
    await new Promise((r) => setImmediate(r));
    return { code, stdout, stderr };
  } finally {
    process.off("warning", onWarning);
    for (const s of spies) s.mockRestore();
  }
}

/** The case's flags, but a valid --params only for a scenario that has parameters. */
function flagsOf(c: Case): string[] {
  const out: string[] = [];
  for (let i = 0; i < c.flags.length; i++) {
    if (c.flags[i] === "--params" && /^(pages|faults)=[0-3]$/.test(c.flags[i + 1]!) && !SOURCES[c.source]!.includes("params:")) i++;
    else out.push(c.flags[i]!);
  }
  return out;
}

let n = 0;
/** The case's folder, scenario file and command line. */
function prepare(c: Case, maxStates: number): { dir: string; file: string; report: string; argv: string[] } {
  const dir = join(root, `case${n++}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  const file = join(dir, c.json ? "s.json" : "s.yaml");
  writeFileSync(file, scenarioText(c));
  const report = join(dir, "r.json");
  const argv = ["explore", "--scenario", file, "--report", report, "--max-states", String(maxStates), ...flagsOf(c)];
  if (!c.flags.includes("--no-progress")) argv.push("--no-progress");
  return { dir, file, report, argv };
}

/** The report's verdicts each exit code stands for (0: a pass, or a run that never reached the variant's code). */
const VERDICT: Record<number, string[]> = { 0: ["pass", "not-applicable"], 1: ["violation"], 3: ["incomplete"] };

/** The contract, for one outcome; the case's folder is removed after. */
function expectContract(o: Outcome, dir: string, file: string, report: string, what: string): void {
  const files = readdirSync(dir).sort();
  const about = `${what}\nexit ${o.code}\nstderr: ${o.stderr}\nfiles: ${files.join(", ")}\nscenario:\n${readFileSync(file, "utf8").slice(0, 3000)}`;
  expect([0, 1, 2, 3], about).toContain(o.code);
  expect(o.stderr, about).not.toMatch(/internal error|\n\s+at /);
  if (o.code === 2) {
    // One line; for a file that does not parse, the place in it below (a code frame).
    expect(o.stderr, about).toMatch(/^mmcheck: [^\n]+\n(?:[ >] [ \d]+ \| [^\n]*\n)*$/);
    expect(files, about).toEqual([file.split("/").pop()]);
  } else {
    expect(o.stderr, about).toBe("");
    expect(files, about).toEqual([file.split("/").pop(), "r.json", ...(o.code === 1 ? ["r.itf.json"] : [])].sort());
    const parsed = ReportSchema.safeParse(JSON.parse(readFileSync(report, "utf8")));
    expect(parsed.success, `${about}\n${parsed.error?.message}`).toBe(true);
    expect(VERDICT[o.code], about).toContain(parsed.data!.verdict);
  }
  rmSync(dir, { recursive: true, force: true });
}

describe("fuzzed scenarios and flags keep the contract", () => {
  it(`${RUNS} cases in this process (seed ${SEED})`, { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, fc.integer({ min: 1, max: 300 }), async (c, maxStates) => {
        const { dir, file, report, argv } = prepare(c, maxStates);
        const o = await runHere(argv);
        expectContract(o, dir, file, report, argv.join(" "));
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
  });

  it("a few cases as a process: exit code, no stack, no hang", { timeout: 300_000 }, () => {
    const cases = fc.sample(caseArb, { seed: SEED + 1, numRuns: 12 });
    for (const c of cases) {
      const { dir, file, report, argv } = prepare(c, 200);
      const r = spawnSync(process.execPath, [MAIN, ...argv], { encoding: "utf8", timeout: 60_000, env: { ...process.env, NO_COLOR: "1" } });
      expect(r.signal, `${argv.join(" ")}: killed (a hang?)`).toBeNull();
      expectContract({ code: r.status!, stdout: r.stdout, stderr: r.stderr }, dir, file, report, argv.join(" "));
    }
  });
});
