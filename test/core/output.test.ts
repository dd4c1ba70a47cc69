/**
 * No damage, no lost results (reports/output.ts): every output path is checked before the
 * search (exit 2 at once, one line, nothing searched), the write replaces only a regular file or
 * a missing one (a symbolic link is followed), and no temporary file is ever left behind.
 */
import { spawnSync } from "node:child_process";
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkOutput, OutputError, writeAtomic } from "../../base/output.js";
import { ReportSchema } from "../../reports/schema.js";

const MAIN = join(import.meta.dirname, "../../dist/cli/main.js");
const BUG = ["--scenario", "split-unmap", "--variant", "bug-split-double-credit", "--no-progress"];
const root = mkdtempSync(join(tmpdir(), "mmcheck-output-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const isRoot = process.getuid?.() === 0;

function explore(args: readonly string[], cwd: string) {
  return spawnSync(process.execPath, [MAIN, "explore", ...BUG, ...args], { cwd, encoding: "utf8" });
}

/** Exit 2, one line naming the flag, and nothing searched (no outcome on stdout). */
function expectRefusedAtOnce(r: ReturnType<typeof explore>, message: RegExp): void {
  expect(r.status, r.stdout + r.stderr).toBe(2);
  expect(r.stderr.split("\n")).toEqual([expect.stringMatching(message), ""]);
  expect(r.stdout).toBe("");
}

describe("output paths are checked before the search: exit 2 at once, nothing damaged", () => {
  it("--report in /proc: refused before the search that would have found the violation", () => {
    const cwd = mkdtempSync(join(root, "proc-"));
    expectRefusedAtOnce(explore(["--report", "/proc/r.json"], cwd), /^mmcheck: --report: \/proc\/r\.json: cannot be written \(E[A-Z]+\)$/);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it("--checkpoint in a folder that does not exist: one line, no stack", () => {
    const cwd = mkdtempSync(join(root, "nodir-"));
    expectRefusedAtOnce(explore(["--checkpoint", "/nonexistent/d/ck"], cwd), /^mmcheck: --checkpoint: no directory \/nonexistent\/d$/);
  });

  it("--checkpoint naming a folder: refused, and no temporary file beside it", () => {
    const cwd = mkdtempSync(join(root, "ckdir-"));
    mkdirSync(join(cwd, "d"));
    expectRefusedAtOnce(explore(["--checkpoint", "d"], cwd), /^mmcheck: --checkpoint: d: is a directory; only a regular file or a new one is written$/);
    expect(readdirSync(cwd)).toEqual(["d"]);
    expect(readdirSync(join(cwd, "d"))).toEqual([]);
  });

  it("--report out/ (a folder's name): refused, no file named out", () => {
    const cwd = mkdtempSync(join(root, "slash-"));
    expectRefusedAtOnce(explore(["--report", "out/"], cwd), /^mmcheck: --report: out\/: names a directory/);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it("a FIFO, and a symbolic link to /dev/null: refused, both left as they were", () => {
    const cwd = mkdtempSync(join(root, "special-"));
    expect(spawnSync("mkfifo", [join(cwd, "fifo")]).status).toBe(0);
    symlinkSync("/dev/null", join(cwd, "null"));
    expectRefusedAtOnce(explore(["--report", "fifo"], cwd), /^mmcheck: --report: fifo: is a FIFO/);
    expectRefusedAtOnce(explore(["--report", "null"], cwd), /^mmcheck: --report: null: is a device/);
    expectRefusedAtOnce(explore(["--checkpoint", "null"], cwd), /^mmcheck: --checkpoint: null: is a device/);
    expect(lstatSync(join(cwd, "fifo")).isFIFO()).toBe(true);
    expect(lstatSync(join(cwd, "null")).isSymbolicLink()).toBe(true);
    expect(statSync("/dev/null").isCharacterDevice()).toBe(true);
    expect(readdirSync(cwd).sort()).toEqual(["fifo", "null"]);
  });

  it.skipIf(!isRoot)("a character device (root: mknod): refused and left a device", () => {
    const cwd = mkdtempSync(join(root, "dev-"));
    expect(spawnSync("mknod", [join(cwd, "devnull"), "c", "1", "3"]).status).toBe(0);
    expectRefusedAtOnce(explore(["--report", "devnull"], cwd), /^mmcheck: --report: devnull: is a device/);
    expect(lstatSync(join(cwd, "devnull")).isCharacterDevice()).toBe(true);
  });

  it("--report and --checkpoint naming one file: refused", () => {
    const cwd = mkdtempSync(join(root, "same-"));
    expectRefusedAtOnce(explore(["--report", "x", "--checkpoint", "./x"], cwd), /^mmcheck: --checkpoint: \.\/x is the file --report names$/);
  });
});

describe("symbolic links are followed: the file they point to is replaced, the link kept", () => {
  it("--report through a link", () => {
    const cwd = mkdtempSync(join(root, "link-"));
    mkdirSync(join(cwd, "results"));
    writeFileSync(join(cwd, "results", "r.json"), "old");
    symlinkSync("results/r.json", join(cwd, "latest.json"));
    const r = explore(["--report", "latest.json"], cwd);
    expect(r.status, r.stderr).toBe(1);
    expect(lstatSync(join(cwd, "latest.json")).isSymbolicLink()).toBe(true);
    expect(ReportSchema.parse(JSON.parse(readFileSync(join(cwd, "results", "r.json"), "utf8"))).verdict).toBe("violation");
    expect(readdirSync(join(cwd, "results"))).toEqual(["r.json"]);
  });

  it("a link to nothing is refused", () => {
    const cwd = mkdtempSync(join(root, "dangling-"));
    symlinkSync("nowhere/r.json", join(cwd, "r.json"));
    expectRefusedAtOnce(explore(["--report", "r.json"], cwd), /^mmcheck: --report: r\.json: is a symbolic link to nothing/);
  });
});

describe("writeAtomic, the one writer of every output", () => {
  it("replaces a regular file whole, leaving nothing else", () => {
    const dir = mkdtempSync(join(root, "atomic-"));
    writeFileSync(join(dir, "f"), "old content, longer than the new");
    writeAtomic(join(dir, "f"), ["new ", Buffer.from("content")], "--x");
    expect(readFileSync(join(dir, "f"), "utf8")).toBe("new content");
    expect(readdirSync(dir)).toEqual(["f"]);
  });

  it("leaves no temporary file when the write fails midway (an internal error: exit 4)", () => {
    const dir = mkdtempSync(join(root, "fails-"));
    writeFileSync(join(dir, "f"), "kept");
    const failing = {
      get byteLength(): number {
        throw new Error("a bug");
      },
    } as unknown as Uint8Array;
    expect(() => writeAtomic(join(dir, "f"), [Buffer.from("a"), failing], "--x")).toThrow("a bug");
    expect(readdirSync(dir)).toEqual(["f"]);
    expect(readFileSync(join(dir, "f"), "utf8")).toBe("kept");
  });

  it("refuses what must not be replaced, with one line naming the flag", () => {
    const dir = mkdtempSync(join(root, "kinds-"));
    mkdirSync(join(dir, "d"));
    for (const [path, why] of [
      [join(dir, "d"), /is a directory/],
      ["/dev/null", /is a device/],
      [join(dir, "no", "f"), /no directory/],
    ] as const) {
      expect(() => writeAtomic(path, ["x"], "--x")).toThrow(OutputError);
      expect(() => writeAtomic(path, ["x"], "--x")).toThrow(why);
    }
    expect(() => checkOutput("/proc/x", "--x")).toThrow(/^--x: \/proc\/x: cannot be written/);
    expect(readdirSync(dir)).toEqual(["d"]);
  });
});
