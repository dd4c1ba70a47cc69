/** `mmcheck explore`: search one scenario under one variant, print the outcome, write the report. */
import { z } from "zod";
import { readCheckpoint } from "../explorer/checkpoint.js";
import { ModelError } from "../core/procedure.js";
import { explore } from "../explorer/explore.js";
import { SearchPool } from "../explorer/search-pool.js";
import { defaultWorkers, maxWorkers, WORKERS_PER_CORE } from "../explorer/pool.js";
import { replay } from "../explorer/trace.js";
import { findVariant, VARIANTS, type Variant } from "../model/variant.js";
import { changedFields } from "../model/changed.js";
import { buildMm, mmRef } from "../models/mm.js";
import { raceDiagram, terminalWidth } from "../reports/diagram.js";
import { makeReport } from "../reports/report.js";
import { checkOutput } from "../base/output.js";
import { itfPath, writeItf, writeReport } from "../reports/write.js";
import { DEFAULT_KERNEL_CONFIG, THP_MODES, ZERO_PAGE_MODES, type KernelConfig } from "../model/config.js";
import { checkFlags, integerFlag, parseArgs, UsageError } from "./args.js";
import { progressDisplay } from "./progress.js";
import { stopSignal } from "./signals.js";

export const EXIT = { pass: 0, "not-applicable": 0, violation: 1, usage: 2, incomplete: 3 } as const;

const DEFAULT_REPORT = "mmcheck-report.json";

const ExploreFlags = z.strictObject({
  scenario: z.string({ error: "required (a scenario name or a path to a scenario file)" }).min(1, "must not be empty"),
  variant: z
    .string()
    .default("modern")
    .transform((name, ctx): Variant => {
      const v = findVariant(name);
      if (v) return v;
      ctx.addIssue({ code: "custom", message: `unknown variant "${name}" (known: ${VARIANTS.map((x) => x.name).join(", ")})` });
      return z.NEVER;
    }),
  workers: integerFlag(1, { value: maxWorkers(), why: `${WORKERS_PER_CORE} × the ${defaultWorkers()} cores` }).optional(),
  report: z.string().min(1, "must not be empty").optional(),
  "max-states": integerFlag(1).optional(),
  "max-depth": integerFlag(0).optional(),
  "max-memory": z
    .string()
    .regex(/^[0-9]+(\.[0-9]+)?[KMG]?$/i, "a size in bytes, with an optional K, M or G suffix (e.g. 512M)")
    .transform((v) => Math.round(parseFloat(v) * 1024 ** " KMG".indexOf(/[KMG]$/i.test(v) ? v.slice(-1).toUpperCase() : " ")))
    .optional(),
  checkpoint: z.string().min(1, "must not be empty").optional(),
  params: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*=-?\d+(,[A-Za-z_][A-Za-z0-9_]*=-?\d+)*$/, "name=value pairs separated by commas (e.g. pages=4,faults=3)")
    .transform((v) => Object.fromEntries(v.split(",").map((kv) => [kv.split("=")[0]!, Number(kv.split("=")[1])])))
    .optional(),
  resume: z.string().min(1, "must not be empty").optional(),
  kernel: z
    .string()
    .transform((v, ctx): Partial<KernelConfig> => {
      const out: Record<string, string | boolean> = {};
      const choices: Record<string, readonly string[]> = { zeroPage: ZERO_PAGE_MODES, thp: THP_MODES, thpZeroPage: ["0", "1"] };
      for (const kv of v.split(",")) {
        const [key, value] = kv.split("=");
        if (!key || !Object.hasOwn(choices, key) || !choices[key]!.includes(value ?? "")) {
          const expected = Object.entries(choices).map(([k, c]) => `${k}=${c.join("|")}`).join(", ");
          ctx.addIssue({ code: "custom", message: `"${kv}": expected ${expected}` });
          return z.NEVER;
        }
        out[key] = key === "thpZeroPage" ? value === "1" : value!;
      }
      return out as Partial<KernelConfig>;
    })
    .optional(),
  "no-progress": z.literal(true).optional(),
  "no-symmetry": z.literal(true).optional(),
});

/** How often --checkpoint writes, between levels. */
const CHECKPOINT_EVERY_MS = 60_000;

export async function exploreCommand(args: readonly string[], color: boolean): Promise<number> {
  const { flags, positionals } = parseArgs("explore", args, {
    scenario: "value",
    variant: "value",
    workers: "value",
    report: "value",
    "max-states": "value",
    "max-depth": "value",
    "max-memory": "value",
    checkpoint: "value",
    resume: "value",
    params: "value",
    kernel: "value",
    "no-progress": "switch",
    "no-symmetry": "switch",
  });
  if (positionals.length) throw new UsageError(`${positionals[0]}: unexpected argument (the scenario goes after --scenario)`);
  const opts = checkFlags(ExploreFlags, flags);
  // The paths written are checked before anything else: a run must not end unable to write its result.
  const reportTarget = opts.report !== undefined ? checkOutput(opts.report, "--report") : undefined;
  if (opts.checkpoint !== undefined && checkOutput(opts.checkpoint, "--checkpoint") === reportTarget)
    throw new UsageError(`--checkpoint: ${opts.checkpoint} is the file --report names`);
  const mmArgs = { scenario: opts.scenario, variant: opts.variant.name, params: opts.params, kernel: opts.kernel };
  // With --workers N the pool's threads load and build the model while this thread builds its
  // own (explorer/search-pool.ts); by default the search starts them once it pays (startsPool).
  const pool = opts.workers !== undefined && opts.workers > 1 ? new SearchPool(mmRef(mmArgs), opts.workers) : undefined;
  let model, resume;
  try {
    // Built once, here: the pool's threads build their own from its reference (core/model.ts).
    model = buildMm(mmArgs);
    try {
      model.system.initial();
    } catch (e) {
      // The setup runs before the search: a setup that blocks or never ends is the scenario's fault.
      if (e instanceof ModelError) throw new UsageError(`scenario ${opts.scenario}: setup: ${e.message}`);
      throw e;
    }
    resume = opts.resume !== undefined ? readCheckpoint(opts.resume) : undefined;
  } catch (e) {
    await pool?.destroy();
    throw e;
  }
  const workers = opts.workers ?? defaultWorkers();
  const symmetry = !opts["no-symmetry"];
  const progress = progressDisplay(!opts["no-progress"]);
  let result;
  try {
    result = await explore(model, {
      workers: opts.workers ?? "auto",
      pool,
      symmetry,
      maxStates: opts["max-states"],
      maxDepth: opts["max-depth"],
      maxMemoryBytes: opts["max-memory"],
      // A stop signal (cli/signals.ts), even one received before the search, ends it between
      // chunks; the search checkpoints the last complete level, and the partial report follows.
      interrupted: () => stopSignal() !== undefined,
      checkpoint: opts.checkpoint !== undefined ? { path: opts.checkpoint, everyMs: CHECKPOINT_EVERY_MS } : undefined,
      resume,
      onProgress: progress.onProgress,
    });
  } finally {
    progress.stop();
  }

  const s = result.stats;
  const outcome =
    result.verdict === "violation"
      ? `violation of ${result.violation!.invariant} at depth ${result.violation!.depth}`
      : result.verdict === "incomplete"
        ? `incomplete (stopped by ${result.bound === "interrupted" ? stopSignal() : `--${result.bound}`}; nothing violated so far)`
        : result.verdict === "not-applicable"
          ? `not applicable: the run never reaches the code ${opts.variant.name} changes (the code selected by or reading ${changedFields(opts.variant).join(", ")})`
          : "pass (exhaustive; every invariant held)";
  const kc = model.config.kernel;
  const kernelDiffs = [
    ...(kc.zeroPage === DEFAULT_KERNEL_CONFIG.zeroPage ? [] : [`zeroPage=${kc.zeroPage}`]),
    ...(model.config.thp && kc.thp !== DEFAULT_KERNEL_CONFIG.thp ? [`thp=${kc.thp}`] : []),
    ...(model.config.thp && kc.thpZeroPage !== DEFAULT_KERNEL_CONFIG.thpZeroPage ? [`thpZeroPage=${kc.thpZeroPage ? 1 : 0}`] : []),
  ];
  const kernel = kernelDiffs.length ? `, kernel ${kernelDiffs.join(" ")}` : "";
  console.log(`scenario ${opts.scenario}, variant ${opts.variant.name}${kernel}: ${outcome}`);
  console.log(
    `${s.distinctStates.toLocaleString("en-US")} distinct states, ${s.statesGenerated.toLocaleString("en-US")} generated, ` +
      `depth ${s.maxDepth}, ${(s.durationMs / 1000).toFixed(2)} s${s.workers > 1 ? ` on ${s.workers} threads` : ""}`,
  );

  const counterexample = result.violation ? replay(model.system, result.violation.threads) : undefined;
  if (counterexample) console.log(`\n${raceDiagram(model, counterexample, result.violation!, { color, width: terminalWidth() })}\n`);
  const reportPath = opts.report ?? (result.verdict === "violation" || result.bound === "interrupted" ? DEFAULT_REPORT : undefined);
  if (reportPath !== undefined) {
    const options = {
      workers,
      symmetry,
      ...(opts["max-states"] !== undefined && { maxStates: opts["max-states"] }),
      ...(opts["max-depth"] !== undefined && { maxDepth: opts["max-depth"] }),
      ...(opts.params !== undefined && { params: opts.params }),
      kernel: model.config.kernel,
    };
    const report = makeReport({ scenario: opts.scenario, variant: opts.variant.name, options, result }, model, counterexample);
    writeReport(reportPath, report, opts.report !== undefined ? "--report" : "report");
    writeItf(reportPath, report, opts.report !== undefined ? "--report" : "report");
    console.log(`report: ${reportPath}${report.verdict === "violation" ? ` (its trace also in ${itfPath(reportPath)})` : ""}`);
  }
  return EXIT[result.verdict];
}
