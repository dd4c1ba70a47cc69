/**
 * `mmcheck conform [--scenario NAME|PATH] [--json]`: every conformance scenario (or one), on the
 * live kernel and in the model, compared step by step.
 *
 * Exit codes: 0 every scenario matches (a scenario marked `exception` passes while its known
 * difference is still there); 1 a difference, or an exception that is no longer needed;
 * 2 not root, no hugetlb support, no C compiler, bad input, or a probe that broke (one line on
 * stderr); 3 stopped by SIGINT, SIGTERM or SIGHUP, with everything put back; 5 the pool sizes or
 * the hugetlbfs mount could not be put back (one line saying what is left).
 */
import { compare, formatTable, passes, type Comparison } from "./compare.js";
import { ScenarioError } from "../scenarios/load.js";
import { KernelUnavailable, Probe, ProbeError, RestoreError, STOP_SIGNALS, Stopped } from "./kernel.js";
import { runModel } from "./model.js";
import { plan } from "./plan.js";
import { ConformInputError, loadConformScenario, shippedConformScenarios, type ConformScenario } from "./schema.js";

export const EXIT_STOPPED = 3;
export const EXIT_RESTORE_FAILED = 5;

/** One scenario on both sides; `stop` stops the probe (Stopped). */
export async function conformScenario(probe: Probe, s: ConformScenario, stop?: AbortSignal): Promise<Comparison> {
  const p = plan(s);
  const kernel = await probe.run(p, { signal: stop });
  return compare(p, kernel, runModel(p));
}

/**
 * `mmcheck conform`. SIGINT, SIGTERM and SIGHUP do not end the process: they stop the run,
 * which waits for the probe (sent SIGTERM, it puts everything back), removes its folder and
 * exits EXIT_STOPPED; a restore that fails exits EXIT_RESTORE_FAILED, whatever else happened.
 */
export async function conform(opts: { scenario?: string; json?: boolean }): Promise<number> {
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

async function conformUntil(opts: { scenario?: string; json?: boolean }, stop: AbortSignal): Promise<number> {
  let probe: Probe | undefined;
  try {
    const scenarios = (opts.scenario !== undefined ? [opts.scenario] : shippedConformScenarios()).map(loadConformScenario);
    probe = await Probe.build(stop);
    const results: Comparison[] = [];
    for (const s of scenarios) {
      if (stop.aborted) throw new Stopped(String(stop.reason));
      const c = await conformScenario(probe, s, stop);
      results.push(c);
      if (!opts.json) console.log(`${formatTable(c)}\n`);
    }
    const failed = results.filter((c) => !passes(c));
    if (opts.json) {
      console.log(JSON.stringify({ format: "mmcheck-conform/1", pass: failed.length === 0, scenarios: results }, null, 2));
    } else {
      const exceptions = results.filter((c) => c.verdict === "exception-holds").length;
      console.log(
        `${results.length} scenario(s): ${results.length - failed.length} pass (${exceptions} known exception(s)), ` +
          `${failed.length} fail${failed.length ? `: ${failed.map((c) => c.scenario).join(", ")}` : ""}`,
      );
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
