/** `mmcheck list [--json]`: what can be checked, and against what. */
import { INVARIANTS } from "../invariants/index.js";
import { VARIANTS } from "../model/variant.js";
import { loadScenario, shippedScenarios } from "../scenarios/load.js";
import { parseArgs, UsageError } from "./args.js";

interface Entry {
  readonly name: string;
  readonly summary: string;
}

export function listCommand(args: readonly string[]): number {
  const { flags, positionals } = parseArgs("list", args, { json: "switch" });
  if (positionals.length) throw new UsageError(`${positionals[0]}: unexpected argument`);
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
