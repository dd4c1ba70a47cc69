/** `mmcheck fuzz`: its flags and help (the fuzzing itself is synth/fuzz.ts). */
import { z } from "zod";
import { findVariant } from "../model/variant.js";
import { fuzz } from "../synth/fuzz.js";
import { checkFlags, integerFlag, parseArgs, UsageError } from "./args.js";
import { runSynth, SYNTH_ARGS, SYNTH_FLAGS, variantFlag } from "./sweep.js";

const FuzzFlags = z.strictObject({
  variant: variantFlag.default(findVariant("modern")!),
  against: variantFlag.optional(),
  seed: integerFlag(-(2 ** 31), { value: 2 ** 31 - 1, why: "a 32-bit seed" }).default(1),
  runs: integerFlag(1).default(100),
  time: z
    .string()
    .regex(/^[0-9]+(\.[0-9]+)?$/, "a number of seconds")
    .transform(Number)
    .refine((t) => t > 0, "must be positive")
    .optional(),
  path: z
    .string()
    .regex(/^[0-9]+(:[0-9]+)*(@[0-9]+)?$/, "a fast-check path (numbers separated by colons, then @K for a world's K-th scenario), as a summary gives it")
    .optional(),
  ...SYNTH_FLAGS,
});

export async function fuzzCommand(args: readonly string[]): Promise<number> {
  const { flags, positionals } = parseArgs("fuzz", args, {
    variant: "value",
    against: "value",
    seed: "value",
    runs: "value",
    time: "value",
    path: "value",
    ...SYNTH_ARGS,
  });
  if (positionals.length) throw new UsageError(`${positionals[0]}: unexpected argument`);
  const o = checkFlags(FuzzFlags, flags);
  // --runs is the bound when --time is not given; with --time, runs go on until it (or --runs) ends.
  const runs = flags.runs === undefined && o.time !== undefined ? Number.MAX_SAFE_INTEGER : o.runs;
  return runSynth("fuzz", o, (common) => fuzz({ variant: o.variant, against: o.against, seed: o.seed, runs, timeSeconds: o.time, path: o.path, ...common }));
}
