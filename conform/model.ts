/**
 * The model side of a conformance run: the same rows, one after another, each operation run
 * alone to its end (Machine.runToCompletion) on the scenario's variant, observed as the kernel
 * side is: the operation's result, the pool counters, and the acting process's watched pages.
 */
import type { KernelConfig, OpCall } from "../model/config.js";
import { Kernel } from "../model/kernel.js";
import { pmd_page, pmd_trans_huge, pte_page, pte_special } from "../model/mm/pte.js";
import { Machine } from "../model/machine.js";
import { ModelError, Result } from "../model/types.js";
import { findVariant } from "../model/variant.js";
import { ConformInputError } from "./schema.js";
import { resolveScenario } from "../scenarios/load.js";
import type { ScenarioFile } from "../scenarios/schema.js";
import { vmasText, type ModelObservation, type Observation, type PageObs, type Plan } from "./plan.js";
import { VM_HUGEPAGE, VM_WRITE } from "../model/layout.js";
import { vmas_of } from "../model/mm/vma.js";
import { SMALL_PER_HUGE } from "../scenarios/schema.js";
import type { ConformScenario } from "./schema.js";


/**
 * The scenario as the model's scenario format: one thread a process, its steps in order, on a
 * kernel configured as the host the kernel side ran on.
 */
function modelScenario(s: ConformScenario, kernel: KernelConfig): ScenarioFile {
  const threads = new Map<string, Record<string, unknown>[]>();
  for (const st of s.steps) {
    if (!threads.has(st.proc)) threads.set(st.proc, []);
    // io_uring's buffer registration is pin_user_pages(FOLL_WRITE | FOLL_LONGTERM), held until
    // the unregister, which continues the same operation (runModel).
    if (st.op === "io_uring_register_buffers") threads.get(st.proc)!.push({ gup: { addr: st.args.addr, write: true, pin: true, longterm: true } });
    else if (st.op !== "io_uring_unregister_buffers") threads.get(st.proc)!.push({ [st.op]: st.args });
  }
  return {
    name: s.name,
    summary: s.summary,
    kernel,
    pool: s.pool,
    // An anonymous mapping's file (MAP_HUGETLB) is as long as the mapping (hugetlb_file_setup).
    // The scenario's mount options go to its one named file (checkScenario), a mount of its own.
    files: s.files.map((f) => ({
      name: f.name,
      pages: f.pages,
      isize: f.anon ? f.pages : f.isize,
      anon: f.anon,
      device: false,
      ...(f.anon ? {} : { size: s.mount.size, min_size: s.mount.min_size }),
    })),
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
    case Result.EAGAIN:
      return { ret: 1, errno: null, signal: null }; // move_pages: one page not migrated
    default:
      throw new ModelError(`unknown result ${r}`);
  }
}

/**
 * Process p's view of the watched pages: a page is present when its pte is; a 4 KiB pte may map
 * the zero page (its special pte). A huge pmd maps every 4 KiB page of its slot: a THP's, each
 * mapped once, or the huge zero page's (KPF_ZERO_PAGE, counted as the zero page is).
 */
function pagesOf(k: Kernel, plan: Plan, p: number): PageObs[] {
  return plan.watch.map((w) => {
    const pmd = w.small === null ? 0 : k.pte(p, w.slot);
    if (pmd_trans_huge(pmd))
      return k.is_huge_zero_folio(pmd_page(pmd)) ? { present: true, zero: true, mapcount: 0 } : { present: true, zero: false, mapcount: k.page_mapcount(pmd_page(pmd)) };
    const pte = w.small === null ? k.pte(p, w.slot) : k.small_pte(p, w.slot, w.small);
    if (!pte) return { present: false, zero: false, mapcount: 0 };
    if (pte_special(pte)) return { present: true, zero: true, mapcount: 0 };
    return { present: true, zero: false, mapcount: k.page_mapcount(pte_page(pte)) };
  });
}

/** Process p's VMAs in 4 KiB pages (a 4 KiB one from its first page in its slot). */
function vmasOf(k: Kernel, p: number): string {
  return vmasText(
    vmas_of(k, p).map((v) => {
      // A THP mapping (VM_HUGEPAGE) is its whole 2 MiB slot.
      const end = k.vm_flags(v) & VM_HUGEPAGE ? k.vm_end(v) * SMALL_PER_HUGE : k.vma_hi(v) * SMALL_PER_HUGE;
      return [k.vma_lo(v) * SMALL_PER_HUGE, end, (k.vm_flags(v) & VM_WRITE) !== 0] as const;
    }),
  );
}

function observe(k: Kernel, r: number, pages: PageObs[] | null, p: number): Observation {
  return {
    ...result(r),
    counters: { total: k.nr_huge_pages, free: k.free_huge_pages, rsvd: k.resv_huge_pages, surp: k.surplus_huge_pages },
    pages,
    vmas: pages && vmasOf(k, p),
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
  // Each process's thread and the index of its next operation; and the operation that holds
  // its registered buffers, stopped before its unpin.
  const thread = new Map(config.threads.map((t, i) => [t.name, i]));
  const next = new Map(config.threads.map((t) => [t.name, 0]));
  const holding = new Map<string, number>();
  let mounted = false;
  return plan.rows.map((row): ModelObservation => {
    if (row.setup) {
      // The model starts with the pool sized, the mount made and the files created: these rows
      // change nothing, but before the mount the kernel's pool is as sized, with no min_size
      // reservation yet. The probe's first process creates the files, so it is the one looking.
      mounted ||= row.setup.kind === "mount";
      const seen = observe(k, Result.OK, row.setup.kind === "create" || row.setup.kind === "create4k" ? pagesOf(k, plan, 0) : null, 0);
      return mounted ? seen : { ...seen, counters: { total: s.pool.pages, free: s.pool.pages, rsvd: 0, surp: 0 } };
    }
    const st = row.step!;
    const t = thread.get(st.proc)!;
    if (st.op === "io_uring_unregister_buffers") {
      const p = s.processes.indexOf(st.proc);
      const r = machine.runThreadUntil(k, t, holding.get(st.proc)!, null)!;
      holding.delete(st.proc);
      return observe(k, r, pagesOf(k, plan, p), p);
    }
    const call = calls.get(st.proc)!.shift()!;
    const index = next.get(st.proc)!;
    next.set(st.proc, index + 1);
    try {
      if (st.op === "io_uring_register_buffers") {
        // In the process's own thread, which keeps the pin while the next rows run.
        const r = machine.runThreadUntil(k, t, index, "unpin_user_pages_dirty_lock");
        if (r === null) holding.set(st.proc, index);
        return observe(k, r ?? Result.OK, pagesOf(k, plan, call.proc), call.proc);
      }
      const r = machine.runToCompletion(k, call);
      const o = observe(k, r, st.op === "exit" ? null : pagesOf(k, plan, call.proc), call.proc);
      // mem_rw: access_remote_vm copied nothing when get_user_pages failed, and the read or write
      // of /proc/self/mem fails with EIO.
      return st.op === "gup4k" && st.args.force && r === Result.EFAULT ? { ...o, errno: "EIO" } : o;
    } catch (e) {
      if (e instanceof ModelError) return { error: e.message };
      throw e;
    }
  });
}
