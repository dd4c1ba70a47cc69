/**
 * `mmcheck conform [--scenario NAME|PATH] [--json]`: every conformance scenario (or one), on the
 * live kernel and in the model, compared step by step.
 *
 * Exit codes: 0 every scenario matches (a scenario marked `exception` passes while its known
 * difference is still there); 1 a difference, or an exception that is no longer needed;
 * 2 not root, no hugetlb support, no C compiler, bad input, or a probe that broke (one line on
 * stderr).
 */
import { compare, formatTable, passes, type Comparison } from "./compare.js";
import { ScenarioError } from "../scenarios/load.js";
import { KernelUnavailable, Probe, ProbeError } from "./kernel.js";
import { runModel } from "./model.js";
import { plan } from "./plan.js";
import { ConformInputError, loadConformScenario, shippedConformScenarios, type ConformScenario } from "./schema.js";

/** One scenario on both sides. */
export async function conformScenario(probe: Probe, s: ConformScenario): Promise<Comparison> {
  const p = plan(s);
  const kernel = await probe.run(p);
  return compare(p, kernel, runModel(p));
}

export async function conform(opts: { scenario?: string; json?: boolean }): Promise<number> {
  let probe: Probe | undefined;
  try {
    const scenarios = (opts.scenario !== undefined ? [opts.scenario] : shippedConformScenarios()).map(loadConformScenario);
    probe = await Probe.build();
    const results: Comparison[] = [];
    for (const s of scenarios) {
      const c = await conformScenario(probe, s);
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
