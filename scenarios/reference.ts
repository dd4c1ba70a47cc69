/**
 * The scenario format's reference, generated from its zod schema (scenarios/schema.ts): the JSON
 * Schema that editors complete and check scenario files with (scenarios/scenario.schema.json),
 * and the Markdown reference (docs/scenario-format.md). `npm run schema` writes both;
 * test/model/scenario-reference.test.ts holds the committed files to the schema.
 */
import { z } from "zod";
import { ExpectedResultSchema, OpEntrySchema, OpSchemas, ScenarioSchema } from "./schema.js";

type Json = { [k: string]: unknown };

/** An operation entry as JSON Schema: the bare name `exit`, or a one-key map of an operation's arguments. */
function operationsSchema(): Json {
  // `repeat` stands for `count` copies of `each` (scenarios/params.ts), expanded before the schema.
  const repeat = z.strictObject({
    repeat: z
      .strictObject({ count: z.union([z.int().nonnegative(), z.string().regex(/^\$\{.*\}$/)]), as: z.string(), each: z.unknown() })
      .meta({ description: 'count copies of each (an operation or a list of them), with the copy\'s number as "${as}"' }),
  });
  // Every operation may state the result its author expects of it (`expect: SIGBUS`).
  const expect = ExpectedResultSchema.optional().meta({ description: "the result the operation must end with on every path (invariant expected-result)" });
  const ops = z.union([z.literal("exit"), ...Object.entries(OpSchemas).map(([op, s]) => z.strictObject({ [op]: s.extend({ expect }) })), repeat]);
  const { $schema: _, ...json } = z.toJSONSchema(ops, { io: "input", target: "draft-2020-12" }) as Json;
  return json;
}

export function scenarioJsonSchema(): Json {
  const ops = operationsSchema();
  const schema = z.toJSONSchema(ScenarioSchema, {
    io: "input",
    target: "draft-2020-12",
    override: (ctx) => {
      if (ctx.zodSchema === OpEntrySchema) Object.assign(ctx.jsonSchema, ops);
    },
  }) as Json & { properties: Json };
  // Parameters are applied before the schema (scenarios/params.ts): declared here for editors.
  schema.properties.params = {
    type: "object",
    description: 'parameters with their defaults; "${expr}" anywhere in the file is an integer expression over them, set with explore --params',
    additionalProperties: { type: "integer" },
  };
  return { ...schema, title: "mmcheck scenario", description: "A scenario file of mmcheck (YAML or JSON): processes, files, setup, the threads the search interleaves, and the expected verdict per variant" };
}

export function scenarioJsonSchemaText(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
}

/** A JSON Schema's type in words. */
function typeOf(s: Json): string {
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum) return (s.enum as unknown[]).map((v) => `\`${JSON.stringify(v)}\``).join(" or ");
  if (s.anyOf) return (s.anyOf as Json[]).map(typeOf).join(" or ");
  if (s.type === "array") return `list of ${typeOf((s.items as Json) ?? {})}`;
  if (s.type === "object" && s.additionalProperties && typeof s.additionalProperties === "object") return `map to ${typeOf(s.additionalProperties as Json)}`;
  return String(s.type ?? "any");
}

function limits(s: Json): string {
  const out: string[] = [];
  if (s.minimum !== undefined) out.push(`≥ ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) out.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined) out.push(`≤ ${s.maximum}`);
  if (s.minItems !== undefined) out.push(`at least ${s.minItems}`);
  if (s.maxItems !== undefined) out.push(`at most ${s.maxItems}`);
  if (s.minLength !== undefined) out.push(`at least ${s.minLength} characters`);
  if (s.pattern !== undefined) out.push(`matches \`${s.pattern}\``);
  return out.join(", ");
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

function table(obj: Json): string[] {
  const props = (obj.properties ?? {}) as Record<string, Json>;
  const required = new Set((obj.required ?? []) as string[]);
  return [
    "| field | type | default | limits | what |",
    "|---|---|---|---|---|",
    ...Object.entries(props).map(([k, p]) => {
      const def = p.default !== undefined ? `\`${JSON.stringify(p.default)}\`` : required.has(k) ? "required" : "";
      return `| \`${k}\` | ${cell(typeOf(p))} | ${cell(def)} | ${cell(limits(p))} | ${cell(String(p.description ?? ""))} |`;
    }),
  ];
}

/** docs/scenario-format.md. */
export function scenarioReference(): string {
  const root = scenarioJsonSchema() as Json & { properties: Record<string, Json> };
  const out = [
    "# The scenario format",
    "",
    "Generated from the zod schema (`scenarios/schema.ts`) by `npm run schema`; do not edit. Editors",
    "complete and check scenario files with its JSON Schema, `scenarios/scenario.schema.json` (in VS Code:",
    "`# yaml-language-server: $schema=../scenarios/scenario.schema.json` at the top of a YAML file).",
    "Addresses, lengths, offsets and sizes are in huge pages unless the field says 4 KiB pages.",
    "",
    "## Top level",
    "",
    ...table(root),
  ];
  for (const [k, p] of Object.entries(root.properties)) {
    const item = p.type === "array" ? (p.items as Json) : p;
    if (item.type === "object" && item.properties && k !== "params") out.push("", `## \`${k}\`${p.type === "array" ? " (each)" : ""}`, "", ...table(item));
  }
  out.push("", "## Operations", "", "An entry of `setup[].ops` or `threads[].ops`: a map of one key, the operation's name, to its", "arguments (`{ fault: { addr: 1, write: true } }`), or the bare name `exit`.");
  for (const [op, s] of Object.entries(OpSchemas)) {
    const json = z.toJSONSchema(s, { io: "input" }) as Json;
    out.push("", `### \`${op}\``, "", String(json.description ?? ""), "", ...(Object.keys((json.properties ?? {}) as object).length ? table(json) : ["(no arguments)"]));
  }
  return `${out.join("\n")}\n`;
}
