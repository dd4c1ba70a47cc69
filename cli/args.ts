/**
 * Command-line flags: split by a small parser that knows each command's flags (so that a
 * mistake names the flag), then checked and converted by a zod schema. Every problem is a
 * UsageError whose message is `<flag or field>: <reason>`.
 */
import { z } from "zod";

export class UsageError extends Error {
  override name = "UsageError";
}

/** `list`: a flag that may be given several times, its values in order. */
export type FlagKinds = Readonly<Record<string, "value" | "switch" | "list">>;

export interface Parsed {
  /** By flag name without the dashes: the value, true for a switch, the values of a list. */
  readonly flags: Record<string, string | true | string[]>;
  readonly positionals: string[];
}

/** `--flag value`, `--flag=value` and `--switch`; anything not starting with `-` is positional. */
export function parseArgs(command: string, args: readonly string[], kinds: FlagKinds): Parsed {
  const flags: Record<string, string | true | string[]> = {};
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const name = flag.replace(/^--?/, "");
    const kind = flag.startsWith("--") ? kinds[name] : undefined;
    if (!kind) throw new UsageError(`${flag}: unknown flag for mmcheck ${command} (see mmcheck help ${command})`);
    if (name in flags && kind !== "list") throw new UsageError(`${flag}: given more than once`);
    if (kind === "switch") {
      if (eq >= 0) throw new UsageError(`${flag}: takes no value`);
      flags[name] = true;
      continue;
    }
    let value = args[i + 1];
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (value === undefined || value.startsWith("--")) throw new UsageError(`${flag}: missing value`);
    else i++;
    flags[name] = kind === "list" ? [...((flags[name] as string[] | undefined) ?? []), value] : value;
  }
  return { flags, positionals };
}

/** Checks parsed flags against a schema whose keys are the flag names. */
export function checkFlags<T>(schema: z.ZodType<T>, flags: Record<string, string | true | string[]>): T {
  const r = schema.safeParse(flags);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const key = issue.path[0];
  throw new UsageError(`${key === undefined ? "flags" : `--${String(key)}`}: ${issue.message}`);
}

/** Integer flag values, written in decimal; `max` with the reason for it. */
export function integerFlag(min: number, max?: { value: number; why: string }) {
  const int = z.int(`must be at most ${Number.MAX_SAFE_INTEGER}`).min(min, min === 1 ? "must be a positive integer" : `must be at least ${min}`);
  return z
    .string()
    .regex(/^-?[0-9]+$/, "must be an integer")
    .transform(Number)
    .pipe(max ? int.max(max.value, `must be at most ${max.value} (${max.why})`) : int);
}
