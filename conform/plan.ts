/**
 * A conformance scenario as the rows both sides run: the setup the kernel needs (pool sizes,
 * the hugetlbfs mount, the files) and then the scenario's steps, each with its probe line
 * (conform/probe.c), and what every side reports after a row (an Observation).
 */
import { SMALL_PER_HUGE, type ConformOp, type ConformScenario } from "./schema.js";

export interface PageObs {
  readonly present: boolean;
  /** The shared zero page (KPF_ZERO_PAGE). */
  readonly zero: boolean;
  /** /proc/kpagecount: the page's map count. */
  readonly mapcount: number;
}

export interface Counters {
  readonly total: number;
  readonly free: number;
  readonly rsvd: number;
  readonly surp: number;
}

/** What a side saw after a row: the operation's result, the pool, the watched pages. */
export interface Observation {
  /** The call's return value (0 or -1); an access returns 0, or raises a signal. */
  readonly ret: number;
  readonly errno: string | null;
  readonly signal: "SIGBUS" | "SIGSEGV" | null;
  readonly counters: Counters;
  /**
   * The watched pages as the acting process sees them (null for rows no process runs: pool,
   * mount, and exit).
   */
  readonly pages: readonly PageObs[] | null;
  /**
   * The acting process's VMAs in the watched range, as `start-end:rw` (or `:r`) in 4 KiB pages,
   * in address order (null where pages are); absent from recordings made before it was reported.
   */
  readonly vmas?: string | null;
}

/** VMAs as an Observation shows them: `[start, end, writable]` in 4 KiB pages. */
export function vmasText(vmas: readonly (readonly [number, number, boolean])[]): string {
  return vmas.map(([s, e, w]) => `${s}-${e}:${w ? "rw" : "r"}`).join(" ");
}

/** The model's side of a row: an observation, or why there is none. */
export type ModelObservation = Observation | { readonly error: string };

export interface WatchedPage {
  /** `h3`: the huge page at slot 3; `2.1`: 4 KiB page 1 of slot 2. */
  readonly label: string;
  readonly slot: number;
  /** The 4 KiB page inside the slot, or null for a huge-page slot. */
  readonly small: number | null;
}

export type SetupRow =
  | { readonly kind: "pool" | "overcommit"; readonly value: number }
  | { readonly kind: "mount" }
  | { readonly kind: "create"; readonly file: string; readonly isize: number }
  | { readonly kind: "create4k"; readonly file: string; readonly isize: number; readonly data: boolean };

export interface PlanRow {
  readonly proc: string;
  readonly text: string;
  /** The line the probe runs. */
  readonly probe: string;
  /** A setup row, or the scenario's step. */
  readonly setup: SetupRow | null;
  readonly step: (ConformOp & { readonly proc: string }) | null;
}

export interface Plan {
  readonly scenario: ConformScenario;
  readonly watch: readonly WatchedPage[];
  readonly rows: readonly PlanRow[];
  /** The probe's input: directives, then one line a row. */
  readonly input: string;
}

function opText(op: string, args: Record<string, unknown>): string {
  const parts = Object.entries(args)
    .filter(([, v]) => v !== false && v !== undefined)
    .map(([k, v]) => (v === true ? k : `${k}=${String(v)}`));
  return `${op}(${parts.join(", ")})`;
}

/** The probe's line for a scenario step run by process number p (it counts in 4 KiB pages). */
function probeLine(s: ConformScenario, p: number, st: ConformOp): string {
  const h = (slot: number) => slot * SMALL_PER_HUGE;
  const file = (name: string) => s.files.find((f) => f.name === name)!;
  switch (st.op) {
    case "mmap": {
      const a = st.args;
      const anon = file(a.file).anon;
      const flags = (a.shared ? "s" : "p") + (a.write ? "w" : "") + (a.noreserve ? "n" : "") + (anon ? "h" : "");
      return `${p} mmap ${h(a.addr)} ${h(a.len)} ${anon ? "-" : a.file} ${a.pgoff} ${flags}`;
    }
    case "fault":
      return `${p} access ${h(st.args.addr)} ${st.args.write ? "w" : "r"}`;
    case "munmap":
    case "mprotect":
    case "madvise_willneed": {
      // `unit: 4k`: already in the probe's 4 KiB pages.
      const u = (n: number) => (st.args.unit === "4k" ? n : h(n));
      const prot = st.op === "mprotect" ? ` ${st.args.write ? "w" : "r"}` : "";
      return `${p} ${st.op === "madvise_willneed" ? "willneed" : st.op} ${u(st.args.addr)} ${u(st.args.len)}${prot}`;
    }
    case "madvise_dontneed":
      return `${p} madvise ${h(st.args.addr)} ${h(st.args.len)}`;
    case "fork":
      return `${p} fork ${s.processes.indexOf(st.args.child)}`;
    case "exit":
      return `${p} exit`;
    case "ftruncate":
      return `${p} truncate ${st.args.file} ${st.args.size}`;
    case "unlink":
      return `${p} unlink ${st.args.file}`;
    case "punch_hole":
      return `${p} punch ${st.args.file} ${st.args.offset} ${st.args.len}`;
    case "mmap4k": {
      const a = st.args;
      // `f`: NAME is a 4 KiB file beside the hugetlbfs mount, not in it.
      const flags = `${a.shared ? "s" : "p"}${a.write ? "w" : ""}${a.populate ? "P" : ""}${a.file === undefined ? "" : "f"}${a.thp ? "t" : ""}`;
      return `${p} mmap ${h(a.addr)} ${a.pages} ${a.file ?? "-"} 0 ${flags}`;
    }
    case "ftruncate4k":
      return `${p} truncate4k ${st.args.file} ${st.args.size}`;
    case "write4k":
      return `${p} write4k ${st.args.file} ${st.args.page}`;
    case "access4k":
      return `${p} access ${h(st.args.addr) + st.args.page} ${st.args.write ? "w" : "r"}`;
    case "mlock4k":
      return `${p} mlock ${h(st.args.addr) + st.args.page} ${st.args.pages}`;
    case "munlock4k":
      return `${p} munlock ${h(st.args.addr) + st.args.page} ${st.args.pages}`;
    case "dontneed4k": {
      // On a THP mapping the model's whole mapping is the kernel's 2 MiB (zap_huge_pmd): a part
      // would split the pmd (the scenario loader allows no part).
      const thp = s.steps.some((x) => x.op === "mmap4k" && x.args.addr === st.args.addr && x.args.thp);
      return `${p} madvise ${h(st.args.addr) + st.args.page} ${thp ? SMALL_PER_HUGE : st.args.pages}`;
    }
    case "gup4k":
      // ptrace's get_user_pages through /proc/self/mem, or direct I/O's pin_user_pages.
      return `${p} ${st.args.pin ? "dio" : "procmem"} ${h(st.args.addr) + st.args.page} ${st.args.write ? "w" : "r"}`;
    case "gup":
      // The same, on the huge page's first 4 KiB.
      return `${p} ${st.args.pin ? "dio" : "procmem"} ${h(st.args.addr)} ${st.args.write ? "w" : "r"}`;
    case "vmsplice":
      return `${p} vmsplice ${h(st.args.addr)}`;
    case "pipe_read":
      return `${p} piperead`;
    case "io_uring_register_buffers":
      return `${p} uring_register ${h(st.args.addr)}`;
    case "io_uring_unregister_buffers":
      return `${p} uring_unregister ${h(st.args.addr)}`;
  }
}

export function plan(s: ConformScenario): Plan {
  const watch: WatchedPage[] = [];
  for (let slot = 0; slot < s.addressSpace; slot++) {
    const small = s.smallSlots.get(slot);
    if (small === undefined) watch.push({ label: `h${slot}`, slot, small: null });
    else for (let i = 0; i < small; i++) watch.push({ label: `${slot}.${i}`, slot, small: i });
  }
  const first = s.processes[0]!;
  const setup = (row: SetupRow, text: string, probe: string): PlanRow => ({ proc: first, text, probe, setup: row, step: null });
  const rows: PlanRow[] = [
    setup({ kind: "pool", value: s.pool.pages }, `nr_hugepages=${s.pool.pages}`, `0 pool ${s.pool.pages}`),
    setup(
      { kind: "overcommit", value: s.pool.overcommit },
      `nr_overcommit_hugepages=${s.pool.overcommit}`,
      `0 overcommit ${s.pool.overcommit}`,
    ),
  ];
  const named = s.files.filter((f) => !f.anon);
  if (named.length) {
    const { size, min_size } = s.mount;
    const opts = [size === undefined ? "" : `,size=${size}`, min_size === undefined ? "" : `,min_size=${min_size}`].join("");
    const args = opts ? ` ${size ?? "-"} ${min_size ?? "-"}` : "";
    rows.push(setup({ kind: "mount" }, `mount hugetlbfs${opts}`, `0 mount${args}`));
  }
  for (const f of named) {
    const isize = f.isize ?? f.pages;
    rows.push(setup({ kind: "create", file: f.name, isize }, `create(${f.name}, isize=${isize})`, `0 create ${f.name} ${isize}`));
  }
  for (const f of s.files4k) {
    const isize = f.isize ?? f.pages;
    const text = `create4k(${f.name}, isize=${isize}${f.data ? "" : ", sparse"})`;
    rows.push(setup({ kind: "create4k", file: f.name, isize, data: f.data }, text, `0 create4k ${f.name} ${isize} ${f.data ? 1 : 0}`));
  }
  for (const st of s.steps) {
    rows.push({
      proc: st.proc,
      text: opText(st.op, st.args),
      probe: probeLine(s, s.processes.indexOf(st.proc), st),
      setup: null,
      step: st,
    });
  }
  const directives = [`space ${s.addressSpace}`, ...watch.map((w) => `watch ${w.slot * SMALL_PER_HUGE + (w.small ?? 0)}`)];
  return { scenario: s, watch, rows, input: [...directives, ...rows.map((r) => r.probe), ""].join("\n") };
}
