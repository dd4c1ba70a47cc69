/** `mmcheck conform [--scenario NAME|PATH] [--json]`: the model against the live kernel (conform/). */
import { z } from "zod";
import { conform } from "../conform/run.js";
import { checkFlags, parseArgs, UsageError } from "./args.js";

const ConformFlags = z.strictObject({
  scenario: z.string().min(1, "must not be empty").optional(),
  json: z.literal(true).optional(),
});

export async function conformCommand(args: readonly string[]): Promise<number> {
  const { flags, positionals } = parseArgs("conform", args, { scenario: "value", json: "switch" });
  if (positionals.length) throw new UsageError(`${positionals[0]}: unexpected argument`);
  const opts = checkFlags(ConformFlags, flags);
  return conform({ scenario: opts.scenario, json: opts.json === true });
}
