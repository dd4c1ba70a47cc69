/**
 * `mmcheck conform [--scenario NAME|PATH] [--json] [--strict] [--record DIR] [--host]`: every
 * conformance scenario (or one), on the live kernel and in the model configured as this host's
 * kernel (its profile, conform/host.ts), compared step by step.
 *
 * Exit codes: 0 every scenario matches (a scenario marked `exception` passes while its known
 * difference is still there; one whose `requires:` this host does not meet is `not covered`,
 * which passes unless --strict); 1 a difference, an exception that is no longer needed, or
 * with --strict a scenario not covered; 2 not root, no hugetlb support, no C compiler, bad input,
 * or a probe that broke (one line on stderr).
 */
import { accessSync, constants, mkdirSync } from "node:fs";
import { compare, formatTable, notCovered, passes, type Comparison } from "./compare.js";
import { ScenarioError } from "../scenarios/load.js";
import { formatHost, kernelConfigOf, profileHost, unmetRequirement, type HostProfile } from "./host.js";
import { KernelUnavailable, Probe, ProbeError } from "./kernel.js";
import { runModel } from "./model.js";
import type { Observation } from "./plan.js";
import { plan } from "./plan.js";
import { recordScenario, writeRecording, type RecordedScenario } from "./recording.js";
import { ConformInputError, loadConformScenario, shippedConformScenarios, type ConformScenario } from "./schema.js";

/** One scenario on both sides, the model configured as `host`; and what the kernel did (null: not run). */
export async function conformScenario(
  probe: Probe,
  host: HostProfile,
  s: ConformScenario,
): Promise<{ comparison: Comparison; kernel: Observation[] | null }> {
  const reason = unmetRequirement(s.requires, host);
  if (reason !== null) return { comparison: notCovered(s, reason), kernel: null };
  const p = plan(s);
  const kernel = await probe.run(p);
  return { comparison: compare(p, kernel, runModel(p, kernelConfigOf(host))), kernel };
}

export interface ConformOptions {
  readonly scenario?: string;
  readonly json?: boolean;
  /** `not covered` fails. */
  readonly strict?: boolean;
  /** Write the kernel side of every scenario run, with the host profile, into this folder. */
  readonly record?: string;
  /** Print the host profile alone. */
  readonly host?: boolean;
}

/** --record's folder exists and can be written, before anything runs. */
function prepareRecordDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new ConformInputError(`--record: cannot write into ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

export async function conform(opts: ConformOptions): Promise<number> {
  let probe: Probe | undefined;
  try {
    const scenarios = opts.host
      ? []
      : (opts.scenario !== undefined ? [opts.scenario] : shippedConformScenarios()).map(loadConformScenario);
    if (opts.record !== undefined) prepareRecordDir(opts.record);
    probe = await Probe.build();
    const host = await profileHost(probe.binary);
    if (opts.host) {
      console.log(opts.json ? JSON.stringify({ format: "mmcheck-host/1", host }, null, 2) : formatHost(host));
      return 0;
    }
    if (!opts.json) console.log(`${formatHost(host)}\n`);
    const results: Comparison[] = [];
    const recorded: RecordedScenario[] = [];
    for (const s of scenarios) {
      const { comparison, kernel } = await conformScenario(probe, host, s);
      results.push(comparison);
      recorded.push(recordScenario(s, kernel, comparison.notCovered));
      if (!opts.json) console.log(`${formatTable(comparison, opts.strict)}\n`);
    }
    const recording =
      opts.record !== undefined
        ? writeRecording(opts.record, { format: "mmcheck-conform-recording/1", recordedAt: new Date().toISOString(), host, scenarios: recorded })
        : undefined;
    const failed = results.filter((c) => !passes(c, opts.strict));
    const uncovered = results.filter((c) => c.verdict === "not-covered");
    const passed = results.filter((c) => c.verdict === "match" || c.verdict === "exception-holds").length;
    if (opts.json) {
      const counts = { scenarios: results.length, pass: passed, notCovered: uncovered.length, fail: failed.length };
      const out = { format: "mmcheck-conform/2", host, pass: failed.length === 0, counts, ...(recording !== undefined && { recording }), scenarios: results };
      console.log(JSON.stringify(out, null, 2));
    } else {
      const exceptions = results.filter((c) => c.verdict === "exception-holds").length;
      console.log(
        `${results.length} scenario(s): ${passed} pass (${exceptions} known exception(s)), ` +
          `${uncovered.length} not covered${uncovered.length ? ` (${uncovered.map((c) => c.scenario).join(", ")})` : ""}, ` +
          `${failed.length} fail${failed.length ? `: ${failed.map((c) => c.scenario).join(", ")}` : ""}`,
      );
      if (recording !== undefined) console.log(`recording: ${recording}`);
    }
    return failed.length ? 1 : 0;
  } catch (e) {
    const expected = [ConformInputError, ScenarioError, KernelUnavailable, ProbeError];
    if (expected.some((cls) => e instanceof cls)) {
      console.error(`mmcheck conform: ${(e as Error).message}`);
      return 2;
    }
    throw e;
  } finally {
    probe?.dispose();
  }
}
