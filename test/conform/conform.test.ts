/**
 * Conformance of the model with the live kernel (conform/): every scenario in conform/scenarios
 * runs on both, the model configured as this host's kernel (its profile); they must agree on
 * every step, except where a scenario is marked `exception`, and there the known difference must
 * still be there (so a fixed model fails this test until the mark is removed). The pool sizes
 * and the mount must be back as found after every run, also after a probe that fails or is
 * killed mid-way.
 *
 * The live part resizes the hugetlb pool, so it runs only when asked: MMCHECK_LIVE_KERNEL=1
 * (.ci/run sets it). Asked on a machine that cannot run it (not root, no hugetlb), it fails.
 * Otherwise the recordings of real kernels are replayed (test/conform/conform-recordings.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { compare, formatTable, ioUringRefused, notCovered, passes } from "../../conform/compare.js";
import { HostProfileSchema, kernelConfigOf, profileHost, unmetRequirement, type HostProfile } from "../../conform/host.js";
import { kernelSupport, mountedAt, Probe, ProbeError, readPoolSizes, Stopped } from "../../conform/kernel.js";
import { runModel } from "../../conform/model.js";
import { plan } from "../../conform/plan.js";
import { conform, conformScenario } from "../../conform/run.js";
import { SOME_HOST } from "../helpers/host.js";
import {
  checkScenario,
  ConformInputError,
  ConformSchema,
  loadConformScenario,
  shippedConformScenarios,
} from "../../conform/schema.js";

const scenarios = shippedConformScenarios().map(loadConformScenario);
const live = process.env.MMCHECK_LIVE_KERNEL === "1";
const kernelTitle = live
  ? "conformance with the live kernel"
  : "conformance with the live kernel (not run: set MMCHECK_LIVE_KERNEL=1, as root, to run it; the recordings are replayed instead)";


function scenario(raw: unknown) {
  return checkScenario(ConformSchema.parse(raw), "test");
}

function base1() {
  return { name: "x", summary: "x", pool: { pages: 1 }, files: [{ name: "f", pages: 1 }], processes: ["a"], steps: [{ a: { fault: { addr: 0 } } }] };
}

describe("conformance scenarios", () => {
  it("there are at least 20, each valid", () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(20);
  });

  it("cover the operations the issue asks for", () => {
    const ops = new Set(scenarios.flatMap((s) => s.steps.map((st) => st.op)));
    for (const op of ["mmap", "fault", "munmap", "mprotect", "fork", "exit", "ftruncate", "mmap4k", "access4k", "mlock4k"])
      expect(ops).toContain(op);
    const mmaps = scenarios.flatMap((s) => s.steps.filter((st) => st.op === "mmap").map((st) => st.args as Record<string, unknown>));
    expect(mmaps.some((a) => a.shared)).toBe(true);
    expect(mmaps.some((a) => a.noreserve)).toBe(true);
    expect(mmaps.some((a) => a.write === false)).toBe(true);
    expect(scenarios.some((s) => s.pool.overcommit > 0)).toBe(true);
    expect(scenarios.some((s) => s.files.some((f) => f.anon))).toBe(true);
  });

  it("rejects steps of a process that was never forked, or already exited", () => {
    const base = { name: "x", summary: "x", pool: { pages: 1 }, files: [{ name: "f", pages: 1 }], processes: ["a", "b"] };
    expect(() => scenario({ ...base, steps: [{ b: { fault: { addr: 0 } } }] })).toThrow(/steps\.0\.b: process "b" is not running/);
    expect(() => scenario({ ...base, steps: [{ a: "exit" }, { a: { fault: { addr: 0 } } }] })).toThrow(/steps\.1\.a: process "a" is not running/);
  });

  it("rejects a huge-page operation on a slot that holds 4 KiB pages", () => {
    const raw = {
      name: "x",
      summary: "x",
      pool: { pages: 1 },
      files: [{ name: "f", pages: 1 }],
      processes: ["a"],
      steps: [{ a: { mmap4k: { addr: 0, pages: 1 } } }, { a: { fault: { addr: 0 } } }],
      exception: "4 KiB",
    };
    expect(() => scenario(raw)).toThrow(/slot 0 holds a 4 KiB mapping/);
  });

  it("gup4k reaches the kernel as ptrace (force) or direct I/O (pin): both, neither, or longterm is refused; pin is the probe's dio", () => {
    const gup = (args: Record<string, boolean>) => ({
      name: "x",
      summary: "x",
      pool: { pages: 0 },
      processes: ["a"],
      steps: [{ a: { mmap4k: { addr: 0, pages: 1 } } }, { a: { gup4k: { addr: 0, page: 0, ...args } } }],
    });
    for (const bad of [{}, { force: true, pin: true }, { pin: true, longterm: true }])
      expect(() => scenario(gup(bad)), JSON.stringify(bad)).toThrow(/steps\.1\.a\.gup4k: .*\/proc\/self\/mem \(force: true\) or direct I\/O \(pin: true\)/);
    expect(plan(scenario(gup({ pin: true, write: true }))).input).toMatch(/^0 dio 0 w$/m);
    expect(plan(scenario(gup({ force: true }))).input).toMatch(/^0 procmem 0 r$/m);
  });

  it("io_uring's registered buffers hold a pin across rows: the probe's uring_register/uring_unregister, the model's gup held before its unpin", () => {
    const s = loadConformScenario("fork-pinned-huge-page");
    const p = plan(s);
    expect(p.input).toMatch(/^0 uring_register 0$/m);
    expect(p.input).toMatch(/^0 uring_unregister 0$/m);
    const model = runModel(p, kernelConfigOf(SOME_HOST));
    const at = (op: string) => model[p.rows.findIndex((r) => r.step?.op === op)]!;
    const fork = at("fork");
    // The pin is still held at fork: the child's copy takes the pool's free page.
    expect("error" in fork ? fork.error : fork.counters.free).toBe(0);
    const unregister = at("io_uring_unregister_buffers");
    expect("error" in unregister ? unregister.error : unregister.ret).toBe(0);
    const pinned = (steps: unknown[]) => ({ name: "x", summary: "x", pool: { pages: 1 }, files: [{ name: "f", pages: 1 }], processes: ["a"], steps });
    const mmap = { a: { mmap: { addr: 0, len: 1, file: "f" } } };
    expect(() => scenario(pinned([mmap, { a: { io_uring_unregister_buffers: { addr: 0 } } }]))).toThrow(/registered no buffer at 0/);
    expect(() => scenario(pinned([mmap, { a: { io_uring_register_buffers: { addr: 0 } } }, { a: { io_uring_register_buffers: { addr: 0 } } }]))).toThrow(
      /holds registered buffers already/,
    );
    expect(() => scenario(pinned([mmap, { a: { io_uring_register_buffers: { addr: 0 } } }, { a: "exit" }]))).toThrow(/exits holding registered buffers/);
  });

  it("a host that refuses io_uring (ENOSYS, EPERM) does not cover a scenario that registers buffers; another failure is a result to compare", () => {
    const p = plan(loadConformScenario("fork-pinned-huge-page"));
    const model = runModel(p, kernelConfigOf(SOME_HOST)).map((m) => {
      if ("error" in m) throw new Error(m.error);
      return m;
    });
    const i = p.rows.findIndex((r) => r.step?.op === "io_uring_register_buffers");
    const refusedWith = (errno: string) => model.map((o, j) => (j === i ? { ...o, ret: -1, errno } : o));
    expect(ioUringRefused(p, model)).toBeNull();
    expect(ioUringRefused(p, refusedWith("EPERM"))).toBe("the host refuses io_uring (io_uring_register_buffers(addr=0): EPERM)");
    expect(ioUringRefused(p, refusedWith("ENOSYS"))).toMatch(/ENOSYS/);
    expect(ioUringRefused(p, refusedWith("EFAULT"))).toBeNull();
  });

  it("a marked exception whose difference has gone fails, asking for the mark to be removed", () => {
    const s = loadConformScenario("private-basic");
    const p = plan({ ...s, exception: "a difference that is gone" });
    const model = runModel(p, kernelConfigOf(SOME_HOST));
    const kernel = model.map((m) => {
      if ("error" in m) throw new Error(`private-basic: model error ${m.error}`);
      return m;
    });
    const c = compare(p, kernel, model);
    expect(c.verdict).toBe("exception-gone");
    expect(formatTable(c)).toMatch(/FAIL private-basic: .*no longer needed/);
  });

  it("a scenario whose requires: the host does not meet is not covered, with the reason; --strict fails it", () => {
    const s = { ...loadConformScenario("zero-read-write"), requires: { zeroPage: "forbidden" as const } };
    expect(unmetRequirement(s.requires, { ...SOME_HOST, zeroPage: "forbidden" })).toBeNull();
    const reason = unmetRequirement(s.requires, SOME_HOST);
    expect(reason).toBe("requires zeroPage: forbidden; this host's kernel has it mapped");
    const c = notCovered(s, reason!);
    expect(c.verdict).toBe("not-covered");
    expect(passes(c)).toBe(true);
    expect(passes(c, true)).toBe(false);
    expect(formatTable(c)).toMatch(/^NOT COVERED zero-read-write: not covered: requires zeroPage: forbidden/m);
    expect(formatTable(c, true)).toMatch(/^FAIL zero-read-write: not covered: /m);
    expect(() => scenario({ ...base1(), requires: { zeroPage: "absent" } })).toThrow();
  });

  it("mmcheck conform: an unknown scenario is bad input, exit 2 with one line", async () => {
    const stderr = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      expect(await conform({ scenario: "no-such-scenario" })).toBe(2);
      expect(stderr).toHaveBeenCalledTimes(1);
      expect(String(stderr.mock.calls[0]![0])).toMatch(/^mmcheck conform: --scenario: unknown conformance scenario "no-such-scenario" \(known: [^\n]*\)$/);
    } finally {
      stderr.mockRestore();
    }
    expect(() => loadConformScenario("no-such-scenario")).toThrow(ConformInputError);
  });
});

describe.runIf(live)(kernelTitle, () => {
  let probe: Probe;
  let host: HostProfile;
  beforeAll(async () => {
    const unsupported = kernelSupport();
    if (unsupported) throw new Error(`MMCHECK_LIVE_KERNEL=1, but ${unsupported.message}`);
    probe = await Probe.build();
    host = await profileHost(probe.binary);
  });
  afterAll(() => probe?.dispose());

  it("the host profile is measured and valid", () => {
    expect(HostProfileSchema.parse(host)).toEqual(host);
    expect(host.hugepages.sizesKb).toContain(2048);
  });

  for (const s of scenarios) {
    const what = s.exception ? "the known difference is still there" : "kernel and model agree on every step (or it is not covered here)";
    it(`${s.name}: ${what}`, async () => {
      const { comparison: c } = await conformScenario(probe, host, s);
      if (c.verdict === "not-covered") expect(c.notCovered).toBe(unmetRequirement(s.requires, host));
      else if (s.exception) expect(c.verdict, formatTable(c)).toBe("exception-holds");
      else expect(c.differences, formatTable(c)).toEqual([]);
    });
  }

  /** Runs `body` with the pool sizes set to unusual values first, and puts back the real ones. */
  async function withSizes(body: (sizes: { pool: number; overcommit: number }) => Promise<void>): Promise<void> {
    const real = readPoolSizes();
    const sizes = { pool: 1, overcommit: 1 };
    await probe.restore(sizes, probe.dir);
    try {
      await body(sizes);
    } finally {
      await probe.restore(real, probe.dir);
    }
    expect(readPoolSizes()).toEqual(real);
  }

  it("the pool sizes and the mount are as found after a run", async () => {
    await withSizes(async (sizes) => {
      await conformScenario(probe, host, loadConformScenario("overcommit-surplus"));
      expect(readPoolSizes()).toEqual(sizes);
      expect(mountedAt(probe.dir)).toBe(false);
    });
  });

  it("… after a probe that fails mid-way", async () => {
    await withSizes(async (sizes) => {
      const p = plan(loadConformScenario("split-munmap-private"));
      const lines = p.input.split("\n");
      // Bad input is refused before the probe changes anything.
      const seenBad: number[] = [];
      await expect(probe.run({ ...p, input: `${p.input}0 fault 0 r\n` }, { onRow: (i) => seenBad.push(i) })).rejects.toThrow(
        /line \d+: unknown operation/,
      );
      expect(seenBad).toEqual([]);
      // After the pool, the mount, the file, the mmap and a fault: a step for a process that does not exist.
      const at = lines.findIndex((l) => / access /.test(l)) + 1;
      const late = { ...p, input: [...lines.slice(0, at), "5 access 0 r", ...lines.slice(at)].join("\n") };
      const seen: number[] = [];
      await expect(probe.run(late, { onRow: (i) => seen.push(i) })).rejects.toThrow(/process 5 does not exist/);
      expect(seen.length).toBeGreaterThan(4);
      expect(seen.length).toBeLessThan(p.rows.length);
      expect(readPoolSizes()).toEqual(sizes);
      expect(mountedAt(probe.dir)).toBe(false);
    });
  });

  it("… after a probe killed mid-way, with pages mapped (the runner's safety net)", async () => {
    // 45 watched slots make each output line about 2 KB: 100 rows cannot all fit in the pipe and
    // the reader's buffer, so the probe is still running when the first row's callback kills it.
    const steps: unknown[] = [{ a: { mmap: { addr: 0, len: 2, file: "f" } } }, { a: { mmap: { addr: 44, len: 1, file: "g" } } }];
    for (let i = 0; i < 100; i++) steps.push({ a: { fault: { addr: i % 2, write: true } } });
    const s = scenario({
      name: "killed",
      summary: "x",
      pool: { pages: 3 },
      files: [
        { name: "f", pages: 2 },
        { name: "g", pages: 1 },
      ],
      processes: ["a"],
      steps,
    });
    await withSizes(async (sizes) => {
      const stop = new AbortController();
      const seen: number[] = [];
      const p = plan(s);
      const run = probe.run(p, {
        signal: stop.signal,
        stopWith: "SIGKILL",
        onRow: (i) => {
          seen.push(i);
          if (i === 8) stop.abort("SIGKILL");
        },
      });
      await expect(run).rejects.toThrow(new Stopped("SIGKILL"));
      expect(seen.length).toBeLessThan(p.rows.length);
      expect(readPoolSizes()).toEqual(sizes);
      expect(mountedAt(probe.dir)).toBe(false);
    });
  });
});
