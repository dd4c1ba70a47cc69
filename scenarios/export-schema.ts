/** Regenerates scenarios/scenario.schema.json and docs/scenario-format.md from the zod schema (`npm run schema`); both are committed. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../base/tool.js";
import { scenarioJsonSchemaText, scenarioReference } from "./reference.js";

mkdirSync(join(packageRoot(), "docs"), { recursive: true });
for (const [file, text] of [
  ["scenarios/scenario.schema.json", scenarioJsonSchemaText()],
  ["docs/scenario-format.md", scenarioReference()],
] as const) {
  writeFileSync(join(packageRoot(), file), text);
  console.log(`wrote ${file}`);
}
