/**
 * The mm model (model/, its invariants in invariants/, its scenarios in scenarios/) as a model
 * module (core/model.ts): `{ scenario, variant, params?, kernel? }` loads the scenario (a
 * shipped name or a path), finds the variant, and builds the machine.
 */
import { createHash } from "node:crypto";
import type { Json, Model, ModelRef } from "../core/model.js";
import { describeThreadStep } from "../core/thread-machine.js";
import { INVARIANTS } from "../invariants/index.js";
import type { KernelConfig, ModelConfig } from "../model/config.js";
import { decode } from "../model/decode.js";
import type { Kernel } from "../model/kernel.js";
import { Machine, type Transition } from "../model/machine.js";
import { findVariant, VARIANTS, type Variant } from "../model/variant.js";
import { loadScenario } from "../scenarios/load.js";

export interface MmArgs {
  /** A shipped scenario's name or a path to a scenario file. */
  readonly scenario: string;
  readonly variant: string;
  readonly params?: Readonly<Record<string, number>>;
  /** The kernel configuration given on the command line (over the scenario's kernel:). */
  readonly kernel?: Partial<KernelConfig>;
}

export type MmModel = Model<Kernel, Transition> & { readonly system: Machine; readonly config: ModelConfig };

/** The counters of /proc/meminfo's HugePages_* lines. */
const HUGEPAGES = { title: "HugePages", of: (k: Kernel) => [["Total", k.nr_huge_pages], ["Free", k.free_huge_pages], ["Rsvd", k.resv_huge_pages], ["Surp", k.surplus_huge_pages]] as const };

/**
 * The invariants' messages name processes, hugetlbfs files and threads by number (`mm2`,
 * `file0`, `thread 0`: invariants/, core/deadlock.ts); reports say them as the scenario does.
 */
function scenarioNames(config: ModelConfig): (message: string) => string {
  return (message) =>
    message
      .replace(/\bmm(\d+)\b/g, (m, i: string) => config.processes[Number(i)]?.name ?? m)
      .replace(/\bfile(\d+)\b/g, (m, i: string) => config.files[Number(i)]?.name ?? m)
      .replace(/\bthread (\d+)\b/g, (m, i: string) => config.threads[Number(i)]?.name ?? m);
}

/**
 * The model of a resolved scenario under a variant. With no reference it is built in process
 * only (tests, generated scenarios): searched on one thread.
 */
export function mmModel(config: ModelConfig, variant: Variant, params: Readonly<Record<string, number>> = {}, ref?: ModelRef): MmModel {
  let sha256: string | undefined;
  return {
    ref,
    system: new Machine(config, variant),
    config,
    invariants: INVARIANTS,
    describe: {
      threads: config.threads.map((t) => t.name),
      step: describeThreadStep,
      counters: HUGEPAGES,
      state: decode,
      names: scenarioNames(config),
    },
    // The scenario by the hash of its resolved content, not by the spelling of its path: the
    // same file by another path, or a copy, is the same search; an edited one is not.
    // Modern is today's kernel: every run of it checks it. Any other variant is checked only
    // where a run reaches the code it changes (model/changed.ts).
    changes: variant.name !== VARIANTS[0]!.name,
    // Hashed when first read (a checkpoint, a report): a sweep builds thousands of models that need none.
    identity: {
      model: "mm",
      variant: variant.name,
      params: { ...params },
      get scenarioSha256() {
        return (sha256 ??= createHash("sha256").update(JSON.stringify(config)).digest("hex"));
      },
    },
  };
}

/** Builds the model; a scenario the loader refuses throws its ScenarioError. */
export function buildMm(args: MmArgs): MmModel {
  const variant = findVariant(args.variant);
  if (!variant) throw new Error(`mm model: variant: unknown variant "${args.variant}" (known: ${VARIANTS.map((v) => v.name).join(", ")})`);
  const { config } = loadScenario(args.scenario, args.params, args.kernel);
  return mmModel(config, variant, args.params, mmRef(args));
}

/** The reference of the model buildMm(args) builds, by which a pool thread builds it again. */
export function mmRef(args: MmArgs): ModelRef {
  return {
    name: "mm",
    args: {
      scenario: args.scenario,
      variant: args.variant,
      ...(args.params && { params: { ...args.params } }),
      ...(args.kernel && { kernel: { ...args.kernel } }),
    },
  };
}

/** The module's build() (core/model.ts ModelModule): the JSON arguments checked first. */
export function build(args: Json): MmModel {
  const a = (typeof args === "object" && args !== null && !Array.isArray(args) ? args : {}) as Record<string, unknown>;
  if (typeof a.scenario !== "string") throw new Error("mm model: scenario: expected a scenario name or path");
  if (typeof a.variant !== "string") throw new Error("mm model: variant: expected a variant name");
  return buildMm({ ...a, scenario: a.scenario, variant: a.variant });
}
