/**
 * The model side of a conformance run: the same rows, one after another, each operation run
 * alone to its end (Machine.runToCompletion) on the scenario's variant, observed as the kernel
 * side is: the operation's result, the pool counters, and the acting process's watched pages.
 */
import type { KernelConfig, OpCall } from "../model/config.js";
import { Kernel } from "../model/kernel.js";
import { pte_page, pte_special } from "../model/mm/pte.js";
import { Machine } from "../model/machine.js";
import { ModelError, Result } from "../model/types.js";
import { findVariant } from "../model/variant.js";
import { ConformInputError } from "./schema.js";
import { resolveScenario } from "../scenarios/load.js";
import type { ScenarioFile } from "../scenarios/schema.js";
import type { ModelObservation, Observation, PageObs, Plan } from "./plan.js";
import type { ConformScenario } from "./schema.js";


/**
 * The scenario as the model's scenario format: one thread a process, its steps in order, on a
 * kernel configured as the host the kernel side ran on.
 */
function modelScenario(s: ConformScenario, kernel: KernelConfig): ScenarioFile {
  const threads = new Map<string, Record<string, unknown>[]>();
  for (const st of s.steps) {
    if (!threads.has(st.proc)) threads.set(st.proc, []);
    threads.get(st.proc)!.push({ [st.op]: st.args });
  }
  return {
    name: s.name,
    summary: s.summary,
    kernel,
    pool: s.pool,
    // An anonymous mapping's file (MAP_HUGETLB) is as long as the mapping (hugetlb_file_setup).
    files: s.files.map((f) => ({ name: f.name, pages: f.pages, isize: f.anon ? f.pages : f.isize, anon: f.anon, device: false })),
    files4k: s.files4k.map((f) => ({ name: f.name, pages: f.pages, isize: f.isize, dax: false, data: f.data })),
    processes: s.processes,
    addressSpace: s.addressSpace,
    setup: [],
    threads: [...threads].map(([proc, ops]) => ({ name: proc, proc, ops: ops as ScenarioFile["threads"][number]["ops"] })),
    expect: {},
  };
}

function result(r: number): Pick<Observation, "ret" | "errno" | "signal"> {
  switch (r) {
    case Result.OK:
      return { ret: 0, errno: null, signal: null };
    case Result.SIGBUS:
      return { ret: 0, errno: null, signal: "SIGBUS" };
    case Result.SIGSEGV:
      return { ret: 0, errno: null, signal: "SIGSEGV" };
    case Result.ENOMEM:
      return { ret: -1, errno: "ENOMEM", signal: null };
    case Result.EINVAL:
      return { ret: -1, errno: "EINVAL", signal: null };
    case Result.EFAULT:
      return { ret: -1, errno: "EFAULT", signal: null };
    case Result.EACCES:
      return { ret: -1, errno: "EACCES", signal: null };
    case Result.EOPNOTSUPP:
      return { ret: -1, errno: "EOPNOTSUPP", signal: null };
    default:
      throw new ModelError(`unknown result ${r}`);
  }
}

/**
 * Process p's view of the watched pages: a page is present when its pte is; a 4 KiB pte may map
 * the zero page (its special pte).
 */
function pagesOf(k: Kernel, plan: Plan, p: number): PageObs[] {
  return plan.watch.map((w) => {
    const pte = w.small === null ? k.pte(p, w.slot) : k.small_pte(p, w.slot, w.small);
    if (!pte) return { present: false, zero: false, mapcount: 0 };
    if (pte_special(pte)) return { present: true, zero: true, mapcount: 0 };
    return { present: true, zero: false, mapcount: k.page_mapcount(pte_page(pte)) };
  });
}

function observe(k: Kernel, r: number, pages: PageObs[] | null): Observation {
  return {
    ...result(r),
    counters: { total: k.nr_huge_pages, free: k.free_huge_pages, rsvd: k.resv_huge_pages, surp: k.surplus_huge_pages },
    pages,
  };
}

/** Runs the plan's rows in the model configured as `kernel`: one observation a row. */
export function runModel(plan: Plan, kernel: KernelConfig): ModelObservation[] {
  const s = plan.scenario;
  const { config } = resolveScenario(modelScenario(s, kernel), `conformance scenario ${s.name}`);
  const variant = findVariant(s.variant);
  if (!variant) throw new ConformInputError(`conformance scenario ${s.name}: variant: unknown variant "${s.variant}"`);
  const machine = new Machine(config, variant);
  const k = machine.k.view(machine.initial());
  const calls = new Map<string, OpCall[]>(config.threads.map((t) => [t.name, [...t.ops]]));
  return plan.rows.map((row): ModelObservation => {
    if (row.setup) {
      // The model starts with the pool sized and the files created: these rows change nothing.
      // The probe's first process creates the files, so it is the one looking (process 0).
      return observe(k, Result.OK, row.setup.kind === "create" || row.setup.kind === "create4k" ? pagesOf(k, plan, 0) : null);
    }
    const st = row.step!;
    const call = calls.get(st.proc)!.shift()!;
    try {
      const r = machine.runToCompletion(k, call);
      return observe(k, r, st.op === "exit" ? null : pagesOf(k, plan, call.proc));
    } catch (e) {
      if (e instanceof ModelError) return { error: e.message };
      throw e;
    }
  });
}
