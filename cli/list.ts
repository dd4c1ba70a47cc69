/** `mmcheck list [--json] [--findings | --steps]`: what can be checked, and against what. */
import { relative } from "node:path";
import { FINDINGS, findingFile } from "../findings/index.js";
import { INVARIANTS } from "../invariants/index.js";
import { modelSteps } from "../model/ops/index.js";
import { VARIANTS } from "../model/variant.js";
import { loadScenario, shippedScenarios } from "../scenarios/load.js";
import { parseArgs, UsageError } from "./args.js";

interface Entry {
  readonly name: string;
  readonly summary: string;
}

/** Each finding with the shipped scenarios whose `modern` expectation names it. */
function findingEntries() {
  const expectations = shippedScenarios().map((name) => ({ name, modern: loadScenario(name).expect["modern"] }));
  return FINDINGS.map((f) => ({
    id: f.id,
    status: f.status,
    title: f.title,
    invariant: f.invariant,
    introduced: f.introduced,
    fix: f.fix,
    scenarios: expectations.filter((e) => typeof e.modern === "object" && e.modern.finding === f.id).map((e) => e.name),
    reproducer: f.reproducer,
    writeUp: relative(process.cwd(), findingFile(f)),
  }));
}

export function listCommand(args: readonly string[]): number {
  const { flags, positionals } = parseArgs("list", args, { json: "switch", findings: "switch", steps: "switch" });
  if (positionals.length) throw new UsageError(`${positionals[0]}: unexpected argument`);
  if (flags.findings && flags.steps) throw new UsageError("--steps: give --findings or --steps, not both");
  if (flags.steps) return listSteps(flags.json === true);
  if (flags.findings) {
    const findings = findingEntries();
    if (flags.json) {
      console.log(JSON.stringify({ findings }, null, 2));
      return 0;
    }
    console.log("findings (bugs of today's kernel, `modern`):");
    for (const f of findings) {
      console.log(`  ${f.id}  ${f.status.padEnd(6)}  ${f.title}`);
      console.log(`        invariant ${f.invariant}; since ${f.introduced}`);
      console.log(`        scenarios: ${f.scenarios.join(", ")}; proposed fix: --variant ${f.fix}; write-up: ${f.writeUp}`);
    }
    return 0;
  }
  const entry = ({ name, summary }: Entry): Entry => ({ name, summary });
  const sections: Record<string, Entry[]> = {
    scenarios: shippedScenarios().map((name) => ({ name, summary: loadScenario(name).summary })),
    variants: VARIANTS.map(entry),
    invariants: INVARIANTS.map(entry),
  };
  if (flags.json) {
    console.log(JSON.stringify(sections, null, 2));
    return 0;
  }
  const width = Math.max(...Object.values(sections).flatMap((list) => list.map((e) => e.name.length)));
  for (const [title, list] of Object.entries(sections)) {
    console.log(`${title}:`);
    for (const e of list) console.log(`  ${e.name.padEnd(width)}  ${e.summary}`);
  }
  return 0;
}

/** Every step of the model: label, kernel function, file, and the variants that can run it. */
function listSteps(json: boolean): number {
  const steps = modelSteps();
  if (json) {
    console.log(JSON.stringify({ steps }, null, 2));
    return 0;
  }
  const all = VARIANTS.length;
  const col = (f: (s: (typeof steps)[number]) => string) => Math.max(...steps.map((s) => f(s).length));
  const [wl, wf, wp] = [col((s) => s.label), col((s) => s.fn), col((s) => s.file)];
  console.log(`steps (label, kernel function, file that builds its procedure, variants that can run it):`);
  for (const s of steps) {
    const who = s.variants.length === all ? "all variants" : s.variants.join(", ");
    console.log(`  ${s.label.padEnd(wl)}  ${s.fn.padEnd(wf)}  ${s.file.padEnd(wp)}  ${who}`);
  }
  return 0;
}
