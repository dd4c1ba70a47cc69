/**
 * `mmcheck conform [--scenario NAME|PATH] [--json] [--strict] [--record DIR] [--host]`: every
 * conformance scenario (or one), on the live kernel and in the model configured as this host's
 * kernel (its profile, conform/host.ts), compared step by step.
 *
 * Exit codes: 0 every scenario matches (a scenario marked `exception` passes while its known
 * difference is still there; one whose `requires:` this host does not meet is `not covered`,
 * which passes unless --strict); 1 a difference, an exception that is no longer needed, or
 * with --strict a scenario not covered; 2 not root, no hugetlb support, no C compiler, bad input,
 * or a probe that broke (one line on stderr); 3 stopped by SIGINT, SIGTERM or SIGHUP, with
 * everything put back; 5 the pool sizes or the hugetlbfs mount could not be put back (one line
 * saying what is left).
 */
import { accessSync, constants, mkdirSync } from "node:fs";
import { compare, formatTable, ioUringRefused, notCovered, passes, type Comparison } from "./compare.js";
import { ScenarioError } from "../scenarios/load.js";
import { formatHost, kernelConfigOf, profileHost, unmetRequirement, type HostProfile } from "./host.js";
import { isStopSignal, KernelUnavailable, Probe, ProbeError, RestoreError, STOP_SIGNALS, Stopped } from "./kernel.js";
import { runModel } from "./model.js";
import type { Observation } from "./plan.js";
import { plan } from "./plan.js";
import { recordScenario, writeRecording, type RecordedScenario } from "./recording.js";
import { ConformInputError, loadConformScenario, shippedConformScenarios, type ConformScenario } from "./schema.js";

export const EXIT_STOPPED = 3;
export const EXIT_RESTORE_FAILED = 5;

/**
 * One scenario on both sides, the model configured as `host`; and what the kernel did (null: not
 * run). `stop` stops the probe (Stopped).
 */
export async function conformScenario(
  probe: Probe,
  host: HostProfile,
  s: ConformScenario,
  stop?: AbortSignal,
): Promise<{ comparison: Comparison; kernel: Observation[] | null }> {
  const reason = unmetRequirement(s.requires, host);
  if (reason !== null) return { comparison: notCovered(s, reason), kernel: null };
  const p = plan(s);
  const kernel = await probe.run(p, { signal: stop });
  const refused = ioUringRefused(p, kernel);
  if (refused !== null) return { comparison: notCovered(s, refused), kernel: null };
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

/**
 * `mmcheck conform`. SIGINT, SIGTERM and SIGHUP do not end the process: they stop the run,
 * which waits for the probe (sent SIGTERM, it puts everything back), removes its folder and
 * exits EXIT_STOPPED; a restore that fails exits EXIT_RESTORE_FAILED, whatever else happened.
 */
export async function conform(opts: ConformOptions): Promise<number> {
  const stop = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => stop.abort(sig);
  for (const sig of STOP_SIGNALS) process.on(sig, onSignal);
  try {
    return await conformUntil(opts, stop.signal);
  } catch (e) {
    if (e instanceof RestoreError) {
      console.error(`mmcheck conform: ${e.message}`);
      return EXIT_RESTORE_FAILED;
    }
    if (e instanceof Stopped) {
      console.error(`mmcheck conform: ${e.message}; the pool sizes, the mount and the build folder are as found`);
      return EXIT_STOPPED;
    }
    throw e;
  } finally {
    for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
  }
}

async function conformUntil(opts: ConformOptions, stop: AbortSignal): Promise<number> {
  let probe: Probe | undefined;
  try {
    const scenarios = opts.host
      ? []
      : (opts.scenario !== undefined ? [opts.scenario] : shippedConformScenarios()).map(loadConformScenario);
    if (opts.record !== undefined) prepareRecordDir(opts.record);
    probe = await Probe.build(stop);
    // A Ctrl-C of the process group may end the profile's probe before this process hears of it.
    const host = await profileHost(probe.binary).catch((e: unknown) => {
      const sig = (e as { signal?: string | null }).signal ?? null;
      throw isStopSignal(sig) ? new Stopped(sig) : e;
    });
    if (opts.host) {
      console.log(opts.json ? JSON.stringify({ format: "mmcheck-host/1", host }, null, 2) : formatHost(host));
      return 0;
    }
    if (!opts.json) console.log(`${formatHost(host)}\n`);
    const results: Comparison[] = [];
    const recorded: RecordedScenario[] = [];
    for (const s of scenarios) {
      if (stop.aborted) throw new Stopped(String(stop.reason));
      const { comparison, kernel } = await conformScenario(probe, host, s, stop);
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
