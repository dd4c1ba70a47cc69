/** Regenerates the published JSON Schemas from the zod schemas (`npm run schema`); the files are committed. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { reportJsonSchemaText } from "./schema.js";
import { summaryJsonSchemaText } from "./summary.js";
import { synthJsonSchemaText } from "./synth-schema.js";
import { packageRoot } from "../base/tool.js";

for (const [file, text] of [
  ["report.schema.json", reportJsonSchemaText()],
  ["summary.schema.json", summaryJsonSchemaText()],
  ["synth-summary.schema.json", synthJsonSchemaText()],
] as const) {
  const out = join(packageRoot(), "reports", file);
  writeFileSync(out, text);
  console.log(`wrote ${out}`);
}
