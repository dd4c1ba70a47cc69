/**
 * Malformed scenario files: each must make loadScenario(path) throw a ScenarioError whose
 * message is one line, names the field (its path in the file, e.g. threads.0.ops.1.fault.addr)
 * and says what is wrong (contract: exit 2, "one line on stderr naming the field ... and the
 * reason"). Files are written to a temporary folder, as YAML and as JSON.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadScenario, ScenarioError, shippedScenarios } from "../../scenarios/load.js";

const dir = mkdtempSync(join(tmpdir(), "mmcheck-scenario-errors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A valid scenario; each test breaks one thing in a copy. */
function base(): Record<string, any> {
  return {
    name: "broken",
    summary: "a scenario with one thing wrong",
    pool: { pages: 2 },
    files: [{ name: "hugefile", pages: 2 }],
    processes: ["parent", "child"],
    addressSpace: 4,
    setup: [{ proc: "parent", ops: [{ mmap: { addr: 0, len: 2, file: "hugefile" } }] }],
    threads: [
      {
        name: "t0",
        proc: "parent",
        ops: [{ fault: { addr: 0, write: true } }, { fault: { addr: 1 } }, { fork: { child: "child" } }],
      },
      { name: "t1", proc: "child", ops: [{ fault: { addr: 0 } }, "exit"] },
    ],
    expect: { modern: "pass" },
  };
}

let n = 0;
function write(content: string, ext: "yaml" | "json"): string {
  const path = join(dir, `case${n++}.${ext}`);
  writeFileSync(path, content);
  return path;
}
function yamlFile(s: unknown): string {
  return write(stringify(s), "yaml");
}
function jsonFile(s: unknown): string {
  return write(JSON.stringify(s, null, 2), "json");
}
function broken(edit: (s: Record<string, any>) => void, as: "yaml" | "json" = "yaml"): string {
  const s = base();
  edit(s);
  return as === "yaml" ? yamlFile(s) : jsonFile(s);
}

function loadError(path: string): ScenarioError {
  let err: unknown;
  try {
    loadScenario(path);
  } catch (e) {
    err = e;
  }
  expect(err, `loadScenario(${path}) should throw`).toBeDefined();
  expect(err).toBeInstanceOf(ScenarioError);
  return err as ScenarioError;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The message is one line, names exactly `field` (not a parent or child path) and gives `reason`. */
function expectError(path: string, field: string, reason: RegExp): void {
  const e = loadError(path);
  expect(e.message).not.toMatch(/[\r\n]/);
  // Judge the text after the file's name (a temporary path could contain anything).
  const rest = e.message.split(path).join("<file>");
  expect(rest).toMatch(new RegExp(`(^|[\\s"'\`(])${escape(field)}(?![\\w.])`));
  expect(rest).toMatch(reason);
}

it("the base scenario is valid, as YAML and as JSON (so each failure below is the one edit)", () => {
  expect(loadScenario(yamlFile(base())).config.threads).toHaveLength(2);
  expect(loadScenario(jsonFile(base())).config.threads).toHaveLength(2);
});

describe("wrong types", () => {
  it("pool.pages is a string", () => {
    expectError(broken((s) => (s.pool.pages = "three")), "pool.pages", /expected number/i);
  });
  it("pool.pages is negative (JSON)", () => {
    expectError(broken((s) => (s.pool.pages = -1), "json"), "pool.pages", />=\s*0|too small|nonnegative/i);
  });
  it("files.0.pages is above the 30 the model tracks", () => {
    expectError(broken((s) => (s.files[0].pages = 31)), "files.0.pages", /<=\s*30|too big/i);
  });
  it("expect.modern is not-applicable: today's kernel changes nothing a run could miss", () => {
    expectError(broken((s) => (s.expect = { modern: "not-applicable" })), "expect.modern", /always applicable/);
    expect(loadScenario(broken((s) => (s.expect = { modern: "pass", "seed-001": { verdict: "not-applicable" } }))).expect["seed-001"]).toBe("not-applicable");
  });
  it("processes is a string, not a list", () => {
    expectError(broken((s) => (s.processes = "parent")), "processes", /expected array/i);
  });
  it("a fault's addr is negative", () => {
    expectError(broken((s) => (s.threads[0].ops[1] = { fault: { addr: -1 } })), "threads.0.ops.1.fault.addr", />=\s*0|too small/i);
  });
  it("an operation has a key it does not take", () => {
    expectError(broken((s) => (s.threads[0].ops[1] = { fault: { addr: 1, wrte: true } })), "threads.0.ops.1.fault", /wrte/);
  });
  it("a key the file format does not have", () => {
    expectError(broken((s) => (s.extra = 1)), "(top level)", /extra/);
  });
});

describe("names that do not resolve", () => {
  it("a thread of an unknown process", () => {
    expectError(broken((s) => (s.threads[1].proc = "ghost")), "threads.1.proc", /unknown process "ghost"/);
  });
  it("a setup block of an unknown process (JSON)", () => {
    expectError(broken((s) => (s.setup[0].proc = "ghost"), "json"), "setup.0.proc", /unknown process "ghost"/);
  });
  it("an mmap of an unknown file", () => {
    expectError(broken((s) => (s.setup[0].ops[0].mmap.file = "nofile")), "setup.0.ops.0.mmap.file", /unknown file "nofile"/);
  });
  it("an ftruncate of an unknown file", () => {
    expectError(
      broken((s) => s.threads[0].ops.push({ ftruncate: { file: "nofile", size: 0 } })),
      "threads.0.ops.3.ftruncate.file",
      /unknown file "nofile"/,
    );
  });
  it("a fork of an unknown child", () => {
    expectError(broken((s) => (s.threads[0].ops[2] = { fork: { child: "nobody" } })), "threads.0.ops.2.fork.child", /unknown process "nobody"/);
  });
  it("a fork of the forking process itself", () => {
    expectError(broken((s) => (s.threads[0].ops[2] = { fork: { child: "parent" } })), "threads.0.ops.2.fork.child", /"parent"/);
  });
  it("two forks of the same child", () => {
    expectError(broken((s) => s.threads[0].ops.push({ fork: { child: "child" } })), "threads.0.ops.3.fork.child", /"child"/);
  });
  it("two processes with one name", () => {
    expectError(broken((s) => (s.processes = ["parent", "parent", "child"])), "processes", /unique/);
  });
});

describe("ranges", () => {
  it("a fault's addr outside the address space", () => {
    expectError(broken((s) => (s.threads[0].ops[1] = { fault: { addr: 9 } })), "threads.0.ops.1.fault.addr", /address space of 4/);
  });
  it("a munmap reaching past the address space (JSON)", () => {
    expectError(
      broken((s) => (s.threads[0].ops[1] = { munmap: { addr: 3, len: 2 } }), "json"),
      "threads.0.ops.1.munmap.addr",
      /address space of 4/,
    );
  });
  it("an address space smaller than a mapping", () => {
    expectError(broken((s) => (s.addressSpace = 1)), "addressSpace", /smaller than the mappings/);
  });
  it("an mmap past the end of its file", () => {
    expectError(broken((s) => (s.setup[0].ops[0].mmap.len = 3)), "setup.0.ops.0.mmap.len", /past the 2 pages of file "hugefile"/);
  });
  it("no threads", () => {
    expectError(broken((s) => (s.threads = [])), "threads", />=\s*1|too small/i);
  });
});

describe("4 KiB memory", () => {
  /** The base scenario with a 2-page 4 KiB mapping in slot 3. */
  const small = (edit: (s: Record<string, any>) => void) =>
    broken((s) => {
      s.setup[0].ops.push({ mmap4k: { addr: 3, pages: 2 } });
      edit(s);
    });
  it("the base scenario with a 4 KiB mapping is valid", () => {
    expect(loadScenario(small(() => {})).config.smallSlots).toEqual([{ slot: 3, pages: 2 }]);
  });
  it("a 4 KiB operation on a slot no mmap4k maps", () => {
    expectError(small((s) => (s.threads[0].ops[1] = { access4k: { addr: 2, page: 0 } })), "threads.0.ops.1.access4k.addr", /slot 2 holds no 4 KiB mapping/);
  });
  it("a 4 KiB page past the mappings of its slot", () => {
    expectError(small((s) => (s.threads[0].ops[1] = { gup4k: { addr: 3, page: 2 } })), "threads.0.ops.1.gup4k.page", /past the 2 pages/);
  });
  it("mlock of part of a 4 KiB mapping loads (it splits the VMA, with room for two more); a 4 KiB range out of its slot does not", () => {
    const whole = loadScenario(small((s) => (s.threads[0].ops[1] = { mlock4k: { addr: 3, pages: 2 } }))).config.vmaSlots;
    expect(loadScenario(small((s) => (s.threads[0].ops[1] = { mlock4k: { addr: 3, page: 1, pages: 1 } }))).config.vmaSlots).toBe(whole + 2);
    expect(loadScenario(small((s) => (s.threads[0].ops[1] = { munmap: { addr: 3 * 512 + 1, len: 1, unit: "4k" } }))).config.threads[0]!.ops[1]!.addr).toBe(3 + 1 / 512);
    expectError(small((s) => (s.threads[0].ops[1] = { mprotect: { addr: 3 * 512 + 1, len: 512, unit: "4k", write: false } })), "threads.0.ops.1.mprotect.len", /must end inside it/);
  });
  it("a huge-page operation on a slot of 4 KiB memory", () => {
    expectError(small((s) => (s.threads[0].ops[1] = { fault: { addr: 3 } })), "threads.0.ops.1.fault.addr", /slot 3 holds 4 KiB memory/);
  });
  it("more 4 KiB pages than a mapping may have", () => {
    expectError(small((s) => (s.setup[0].ops[1].mmap4k.pages = 17)), "setup.0.ops.1.mmap4k.pages", /<=\s*16|too big/i);
  });
});

describe("4 KiB files", () => {
  /** The base scenario with a 2-page 4 KiB file mapped privately in slot 3. */
  const filed = (edit: (s: Record<string, any>) => void) =>
    broken((s) => {
      s.files4k = [{ name: "data", pages: 2 }];
      s.setup[0].ops.push({ mmap4k: { addr: 3, pages: 2, file: "data" } });
      edit(s);
    });
  it("the base scenario with a 4 KiB file mapping is valid", () => {
    expect(loadScenario(filed(() => {})).config.files4k).toEqual([{ name: "data", pages: 2, isize: 2, dax: false, data: true }]);
  });
  it("a shared mapping of a 4 KiB file loads; of a DAX one it is refused", () => {
    expect(loadScenario(filed((s) => (s.setup[0].ops[1].mmap4k.shared = true))).config.setup[0]!.ops[1]!.shared).toBe(true);
    const dax = filed((s) => {
      s.files4k[0].dax = true;
      s.setup[0].ops[1].mmap4k.shared = true;
    });
    expectError(dax, "setup.0.ops.1.mmap4k.shared", /a 4 KiB DAX file is mapped MAP_PRIVATE only/);
  });
  it("a forced write into a read-only MAP_SHARED file mapping", () => {
    const ro = filed((s) => {
      s.setup[0].ops[1].mmap4k.shared = true;
      s.setup[0].ops[1].mmap4k.write = false;
      s.threads[0].ops[1] = { gup4k: { addr: 3, page: 0, write: true, force: true } };
    });
    expectError(ro, "threads.0.ops.1.gup4k.force", /maps a 4 KiB file MAP_SHARED read-only: a forced write there is not modelled/);
  });
  it("write4k past the file's pages, or of a DAX file", () => {
    expectError(filed((s) => s.threads[0].ops.push({ write4k: { file: "data", page: 2 } })), "threads.0.ops.3.write4k.page", /past the 2 pages of file "data"/);
    const dax = filed((s) => {
      s.files4k[0].dax = true;
      s.threads[0].ops.push({ write4k: { file: "data", page: 0 } });
    });
    expectError(dax, "threads.0.ops.3.write4k.file", /is a DAX file: write4k of DAX files is not modelled/);
  });
  it("a mapping of an unknown 4 KiB file", () => {
    expectError(filed((s) => (s.setup[0].ops[1].mmap4k.file = "nofile")), "setup.0.ops.1.mmap4k.file", /unknown 4 KiB file \(files4k\) "nofile"/);
  });
  it("a mapping past the end of the file", () => {
    expectError(filed((s) => (s.files4k[0].pages = 1)), "setup.0.ops.1.mmap4k.pages", /maps past the 1 pages of file "data"/);
  });
  it("get_user_pages of a file mapping loads; of a DAX one it is refused", () => {
    expect(loadScenario(filed((s) => (s.threads[0].ops[1] = { gup4k: { addr: 3, page: 0, write: true, force: true } }))).config.threads[0]!.ops[1]!.op).toBe("gup4k");
    const dax = filed((s) => {
      s.files4k[0].dax = true;
      s.threads[0].ops[1] = { gup4k: { addr: 3, page: 0 } };
    });
    expectError(dax, "threads.0.ops.1.gup4k.addr", /maps a 4 KiB DAX file: gup4k of DAX mappings is not modelled/);
  });
  it("mlock of a file mapping loads; of a DAX one it is refused", () => {
    expect(loadScenario(filed((s) => (s.threads[0].ops[1] = { mlock4k: { addr: 3, pages: 2 } }))).config.threads[0]!.ops[1]!.op).toBe("mlock4k");
    const dax = filed((s) => {
      s.files4k[0].dax = true;
      s.threads[0].ops[1] = { munlock4k: { addr: 3, pages: 1 } };
    });
    expectError(dax, "threads.0.ops.1.munlock4k.addr", /maps a 4 KiB DAX file: munlock4k of DAX mappings is not modelled/);
  });
  it("mprotect writable of a read-only MAP_SHARED file mapping (VM_MAYWRITE)", () => {
    const ro = filed((s) => {
      s.setup[0].ops[1].mmap4k.shared = true;
      s.setup[0].ops[1].mmap4k.write = false;
      s.threads[0].ops[1] = { mprotect: { addr: 3 * 512, len: 1, unit: "4k", write: true } };
    });
    expectError(ro, "threads.0.ops.1.mprotect.write", /MAP_SHARED read-only: making it writable \(VM_MAYWRITE\) is not modelled/);
  });
  it("an ftruncate4k of a hugetlbfs file's name", () => {
    expectError(filed((s) => s.threads[0].ops.push({ ftruncate4k: { file: "hugefile", size: 0 } })), "threads.0.ops.3.ftruncate4k.file", /unknown 4 KiB file/);
  });
});

describe("missing required fields", () => {
  it("no summary", () => {
    expectError(broken((s) => delete s.summary), "summary", /expected string|required/i);
  });
  it("no pool (JSON)", () => {
    expectError(broken((s) => delete s.pool, "json"), "pool", /expected object|required/i);
  });
  it("a file with no pages", () => {
    expectError(broken((s) => delete s.files[0].pages), "files.0.pages", /expected number|required/i);
  });
  it("a thread with no ops", () => {
    expectError(broken((s) => delete s.threads[1].ops), "threads.1.ops", /expected array|required/i);
  });
});

describe("files that do not parse", () => {
  it("invalid YAML: one line, saying so, with where", () => {
    const e = loadError(write("name: x\nsummary: [unclosed\npool: { pages: 1 }\n", "yaml"));
    expect(e.message).not.toMatch(/[\r\n]/);
    expect(e.message).toMatch(/not valid YAML/);
    expect(e.message).toMatch(/line \d+/);
  });
  it("invalid YAML: a tab used as indentation", () => {
    const e = loadError(write("name: x\n\tsummary: y\n", "yaml"));
    expect(e.message).not.toMatch(/[\r\n]/);
    expect(e.message).toMatch(/not valid YAML.*[Tt]ab/);
  });
  it("invalid JSON", () => {
    const e = loadError(write('{"name": "x", ', "json"));
    expect(e.message).not.toMatch(/[\r\n]/);
    expect(e.message).toMatch(/not valid JSON/);
  });
  it("a YAML file that is not a mapping", () => {
    expectError(write("- just\n- a list\n", "yaml"), "(top level)", /expected object/i);
  });
  it("a path to no file", () => {
    const e = loadError(join(dir, "missing.yaml"));
    expect(e.message).not.toMatch(/[\r\n]/);
    expect(e.message).toContain("missing.yaml");
  });
});

it("an unknown scenario name lists the known ones", () => {
  const e = loadError("no-such-scenario");
  expect(e.message).not.toMatch(/[\r\n]/);
  expect(e.message).toContain('"no-such-scenario"');
  const known = shippedScenarios();
  expect(known.length).toBeGreaterThan(0);
  for (const name of known) expect(e.message).toContain(name);
});

/**
 * An operation is checked field by field (scenarios/schema.ts opEntry), so a wrong type, a
 * missing field or an unknown operation is reported at the operation's own field with the reason.
 */
describe("errors inside an operation name its field and the reason", () => {
  it("a fault's addr is a string: names threads.0.ops.1.fault.addr and 'expected number'", () => {
    expectError(broken((s) => (s.threads[0].ops[1] = { fault: { addr: "1" } })), "threads.0.ops.1.fault.addr", /expected number/i);
  });
  it("a fault's write is a string: names threads.0.ops.1.fault.write and 'expected boolean'", () => {
    expectError(
      broken((s) => (s.threads[0].ops[1] = { fault: { addr: 1, write: "yes" } })),
      "threads.0.ops.1.fault.write",
      /expected boolean/i,
    );
  });
  it("a fault with no addr: names threads.0.ops.1.fault.addr", () => {
    expectError(broken((s) => (s.threads[0].ops[1] = { fault: { write: true } })), "threads.0.ops.1.fault.addr", /expected number|required/i);
  });
  it("an unknown operation: names threads.0.ops.1 and the operation", () => {
    expectError(broken((s) => (s.threads[0].ops[1] = { frobnicate: { addr: 1 } })), "threads.0.ops.1", /frobnicate/);
  });
  it("an unknown bare operation name: names threads.1.ops.1 and the name", () => {
    expectError(broken((s) => (s.threads[1].ops[1] = "frobnicate")), "threads.1.ops.1", /frobnicate/);
  });
  it("a bad expectation: names expect.modern and what it may be", () => {
    expectError(broken((s) => (s.expect = { modern: "fail" })), "expect.modern", /pass|violation/);
  });
});

/** What the loader does today for those inputs: an error at the right operation, one line. */
describe("errors inside an operation are still one-line ScenarioErrors at the operation", () => {
  for (const [what, op] of [
    ["addr is a string", { fault: { addr: "1" } }],
    ["no addr", { fault: { write: true } }],
    ["unknown operation", { frobnicate: { addr: 1 } }],
  ] as const) {
    it(what, () => {
      const e = loadError(broken((s) => (s.threads[0].ops[1] = op)));
      expect(e.message).not.toMatch(/[\r\n]/);
      expect(e.message).toContain("threads.0.ops.1");
    });
  }
});
