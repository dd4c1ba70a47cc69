/**
 * The findings (findings/index.ts): each has its write-up with the parts a kernel reviewer needs,
 * its scenarios, its fix variant, and a reproducer. The fix variants are held against every
 * recorded kernel run: a fix may change only the runs that show its own finding, and must change
 * those (it would not fix what the kernel did there otherwise). The live reproducers (the
 * finding's conformance scenarios, or its stress program) run only with MMCHECK_LIVE_KERNEL=1,
 * as root, like test/conform/conform.test.ts: the kernel must still show an open finding.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { compare } from "../../conform/compare.js";
import { profileHost, kernelConfigOf } from "../../conform/host.js";
import { Probe } from "../../conform/kernel.js";
import { runModel } from "../../conform/model.js";
import { plan } from "../../conform/plan.js";
import { readRecording, recordingDir, replayRecorded } from "../../conform/recording.js";
import { loadConformScenario, shippedConformScenarios } from "../../conform/schema.js";
import { runStress, stressSource } from "../../conform/stress.js";
import { FINDINGS, findingFile, findingsDir } from "../../findings/index.js";
import { INVARIANTS } from "../../invariants/index.js";
import { findVariant } from "../../model/variant.js";

const live = process.env.MMCHECK_LIVE_KERNEL === "1";
const MAIN = resolve(import.meta.dirname, "../../dist/cli/main.js");
const mmcheck = (args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8" });
const recordings = readdirSync(recordingDir())
  .filter((f) => f.endsWith(".json"))
  .map((f) => readRecording(join(recordingDir(), f)));
const conformShipped = new Set(shippedConformScenarios());

describe.each(FINDINGS.map((f) => [f.id, f] as const))("finding %s", (_id, f) => {
  it("has its write-up, with the description, race diagram, affected versions, reproducer, C diff and the fix's verdicts", () => {
    const text = readFileSync(findingFile(f), "utf8");
    expect(text).toMatch(new RegExp(`^# ${f.id}: `, "m"));
    for (const heading of ["## What goes wrong", "## Race", "## Affected versions", "## Reproducer", "## Proposed fix", "## The model's verdict for the fix"])
      expect(text, heading).toContain(heading);
    expect(text).toContain("CPU0");
    expect(text).toMatch(/^--- a\/mm\/hugetlb\.c$/m);
    expect(text).toMatch(/^\+\+\+ b\/mm\/hugetlb\.c$/m);
    expect(text).toMatch(/not (been )?built or booted/);
    expect(text).toContain(f.fix);
    expect(text).toContain(f.introduced.split(" ")[0]!);
  });

  it("names an invariant and a fix variant that exist", () => {
    expect(INVARIANTS.map((i) => i.name)).toContain(f.invariant);
    expect(findVariant(f.fix)?.name.startsWith("fix-")).toBe(true);
  });

  it("has a reproducer in the repository", () => {
    const r = f.reproducer;
    if (r.kind === "conform") for (const s of r.scenarios) expect(conformShipped.has(s), s).toBe(true);
    else expect(existsSync(stressSource(r.program))).toBe(true);
  });
});

it("findings/ holds a write-up for each finding and nothing else", () => {
  const files = readdirSync(findingsDir()).filter((n) => n.endsWith(".md"));
  expect(files.sort()).toEqual(FINDINGS.map((f) => `${f.id}-${f.slug}.md`).sort());
});

it("mmcheck list --findings lists them, with their scenarios", () => {
  const r = mmcheck(["list", "--findings"]);
  expect(r.status).toBe(0);
  for (const f of FINDINGS) expect(r.stdout).toContain(`${f.id}  ${f.status}`);
  const json = JSON.parse(mmcheck(["list", "--findings", "--json"]).stdout) as { findings: { id: string; scenarios: string[]; fix: string }[] };
  expect(json.findings.map((f) => f.id)).toEqual(FINDINGS.map((f) => f.id));
  for (const f of json.findings) expect(f.scenarios.length).toBeGreaterThan(0);
});

describe.each(FINDINGS.filter((f) => f.status === "open").map((f) => [f.fix, f] as const))("%s against the recorded kernel runs", (fix, f) => {
  const fixed = [f, ...FINDINGS.filter((x) => f.alsoFixes?.includes(x.id))];
  const shows = new Set(fixed.flatMap((x) => (x.reproducer.kind === "conform" ? x.reproducer.scenarios : [])));
  for (const rec of recordings) {
    for (const r of rec.scenarios.filter((x) => x.observations && conformShipped.has(x.name))) {
      const s = loadConformScenario(r.name);
      if (s.exception) continue;
      it(`${r.name} (${rec.host.release}): ${shows.has(r.name) ? "differs: the kernel shows the finding" : "agrees"}`, () => {
        const c = replayRecorded({ ...s, variant: fix }, rec.host, r);
        if (shows.has(r.name)) expect(c.differences.length).toBeGreaterThan(0);
        else expect(c.differences).toEqual([]);
      });
    }
  }
});

describe.runIf(live)("the live kernel still shows each open finding (MMCHECK_LIVE_KERNEL=1)", () => {
  for (const f of FINDINGS.filter((x) => x.status === "open")) {
    const r = f.reproducer;
    if (r.kind === "conform") {
      it.each(r.scenarios)(`${f.id}: %s runs on the kernel as modern says, and not as ${f.fix} says`, async (name) => {
        const probe = await Probe.build();
        try {
          const host = await profileHost(probe.binary);
          const p = plan(loadConformScenario(name));
          const kernel = await probe.run(p);
          expect(compare(p, kernel, runModel(p, kernelConfigOf(host))).differences).toEqual([]);
          const fixed = plan({ ...loadConformScenario(name), variant: f.fix });
          expect(compare(fixed, kernel, runModel(fixed, kernelConfigOf(host))).differences.length).toBeGreaterThan(0);
        } finally {
          probe.dispose();
        }
      }, 120_000);
    } else {
      // Hit rates measured here are in the write-up; the bounds leave room for a slower machine.
      it(`${f.id}: ${r.program} hits the race without a VMA lock (noreserve, child), never with one (reserve)`, async () => {
        const control = await runStress(r.program, "reserve", 5000, 10);
        const noreserve = await runStress(r.program, "noreserve", 20000, 20);
        const child = await runStress(r.program, "child", 2000, 20);
        console.log([control, noreserve, child].map((x) => `${x.mode}: ${x.hits} of ${x.runs} runs (${x.seconds} s)`).join("; "));
        expect(control.hits).toBe(0);
        expect(noreserve.hits).toBeGreaterThan(0);
        expect(child.hits).toBeGreaterThan(0);
      }, 180_000);
    }
  }
});
