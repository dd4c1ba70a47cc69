/** Regenerates reports/report.schema.json from the zod schema (`npm run schema`); the file is committed. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { reportJsonSchemaText } from "./schema.js";
import { packageRoot } from "../base/tool.js";

const out = join(packageRoot(), "reports", "report.schema.json");
writeFileSync(out, reportJsonSchemaText());
console.log(`wrote ${out}`);
