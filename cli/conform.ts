/**
 * `mmcheck conform [--scenario NAME|PATH] [--json] [--strict] [--record DIR] [--host]`: the model
 * against the live kernel (conform/); `mmcheck host` is `conform --host`.
 */
import { z } from "zod";
import { conform } from "../conform/run.js";
import { checkFlags, parseArgs, UsageError } from "./args.js";

const ConformFlags = z.strictObject({
  scenario: z.string().min(1, "must not be empty").optional(),
  json: z.literal(true).optional(),
  strict: z.literal(true).optional(),
  record: z.string().min(1, "must not be empty").optional(),
  host: z.literal(true).optional(),
});

export async function conformCommand(args: readonly string[]): Promise<number> {
  const { flags, positionals } = parseArgs("conform", args, {
    scenario: "value",
    json: "switch",
    strict: "switch",
    record: "value",
    host: "switch",
  });
  if (positionals.length) throw new UsageError(`${positionals[0]}: unexpected argument`);
  const opts = checkFlags(ConformFlags, flags);
  if (opts.host && (opts.scenario !== undefined || opts.record !== undefined || opts.strict))
    throw new UsageError("--host: prints the host profile alone; it takes no --scenario, --record or --strict");
  return conform({ scenario: opts.scenario, json: opts.json === true, strict: opts.strict === true, record: opts.record, host: opts.host === true });
}

/** `mmcheck host [--json]`: this host's profile alone. */
export async function hostCommand(args: readonly string[]): Promise<number> {
  const { flags, positionals } = parseArgs("host", args, { json: "switch" });
  if (positionals.length) throw new UsageError(`${positionals[0]}: unexpected argument`);
  const opts = checkFlags(z.strictObject({ json: z.literal(true).optional() }), flags);
  return conform({ host: true, json: opts.json === true });
}
