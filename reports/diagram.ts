/**
 * A counterexample as the race diagrams of kernel commit messages: one column per thread, one
 * row per step, the counters a step changed (the mm model's: the pool's HugePages_*), the
 * objects of the step's footprint that other threads' steps touch (where the race is), and the
 * violated invariant below. Any model's: the model describes its threads, steps and counters
 * (core/model.ts Describe).
 */
import type { AnyModel, StepDescription } from "../core/model.js";
import type { Violation } from "../explorer/check.js";
import type { Replayed } from "../explorer/trace.js";

export interface DiagramOptions {
  /** ANSI bold header and red verdict, for a terminal. */
  readonly color?: boolean;
  /** Cells wider than this are cut, so that a few threads still fit a terminal. */
  readonly maxCellWidth?: number;
}

/** A step's row: the label, and above it the operation when the step is the operation's first. */
interface Row {
  /** Step d leads to ITF state d, so rows are numbered as the trace's states (0: the initial state). */
  readonly depth: number;
  readonly thread: number;
  readonly op?: string;
  readonly label: string;
  readonly pool: string;
  /** The objects of this step's footprint that another thread's step in the trace writes, or that this step writes and another's reads. */
  readonly races: string;
}

function cut(s: string, width: number): string {
  return s.length <= width ? s : `${s.slice(0, width - 1)}…`;
}

/**
 * For each step, the objects of its footprint that another thread's step in the trace writes,
 * or that it writes and another's reads: where the threads race.
 */
export function sharedObjects(steps: readonly StepDescription[], threads: readonly number[]): string[][] {
  return steps.map((step, i) => {
    const others = steps.filter((_, j) => threads[j] !== threads[i]);
    const writtenByOthers = new Set(others.flatMap((o) => o.writes));
    const readByOthers = new Set(others.flatMap((o) => o.reads));
    return [...new Set([...step.reads, ...step.writes])].filter((obj) => writtenByOthers.has(obj) || (step.writes.includes(obj) && readByOthers.has(obj)));
  });
}

/**
 * `outcome` is what the trace ends in: the violation, or null for a trace that ran clean.
 * Lines end without trailing spaces, so the text can go into a commit message as it is.
 */
export function raceDiagram(model: AnyModel, run: Replayed, outcome: Violation | null, opts: DiagramOptions = {}): string {
  const maxCell = opts.maxCellWidth ?? 40;
  const { describe } = model;
  const counters = (s: Int32Array) => new Map(describe.counters.of(model.system.view(s)));
  const steps: StepDescription[] = run.transitions.map((tr) => describe.step(tr));
  const shared = sharedObjects(steps, run.transitions.map((tr) => tr.thread));
  const lastOp = new Map<number, unknown>();
  const rows: Row[] = run.transitions.map((tr, i) => {
    const before = counters(run.states[i]!);
    const pool = [...counters(run.states[i + 1]!)]
      .filter(([name, v]) => before.get(name) !== v)
      .map(([name, v]) => `${name} ${before.get(name)}→${v}`)
      .join(", ");
    const first = lastOp.get(tr.thread) !== tr.op;
    lastOp.set(tr.thread, tr.op);
    const step = steps[i]!;
    const races = shared[i]!.join(" ");
    return { depth: i + 1, thread: tr.thread, op: first ? step.op : undefined, label: step.label, pool, races };
  });

  const headers = describe.threads.map((name, t) => `CPU${t} (${name})`);
  const indent = "  ";
  const widths = headers.map((h, t) =>
    Math.min(
      maxCell,
      Math.max(h.length, ...rows.filter((r) => r.thread === t).map((r) => Math.max(r.op?.length ?? 0, indent.length + r.label.length))),
    ),
  );
  const numWidth = String(rows.length).length;
  const initial = [...counters(run.states[0]!)].map(([name, v]) => `${name} ${v}`).join(", ");
  const title = describe.counters.title;
  const poolWidth = Math.max(title.length, initial.length, ...rows.map((r) => r.pool.length));
  const line = (num: string, thread: number, text: string, pool: string, races = "") => {
    const cells = widths.map((w, t) => (t === thread ? cut(text, w) : "").padEnd(w));
    return [num.padStart(numWidth), ...cells, pool.padEnd(poolWidth), races].join("  ").trimEnd();
  };

  const out: string[] = [];
  const header = ["#".padStart(numWidth), ...headers.map((h, t) => cut(h, widths[t]!).padEnd(widths[t]!)), title.padEnd(poolWidth), "shared with other CPUs"]
    .join("  ")
    .trimEnd();
  out.push(opts.color ? `\x1b[1m${header}\x1b[0m` : header);
  out.push(["-".repeat(numWidth), ...widths.map((w) => "-".repeat(w)), "-".repeat(poolWidth), "----------------------"].join("  "));
  out.push(line("0", -1, "", initial));
  for (const r of rows) {
    if (r.op) out.push(line("", r.thread, r.op, ""));
    out.push(line(String(r.depth), r.thread, indent + r.label, r.pool, r.races));
  }
  out.push("");
  const verdict = outcome ? `${outcome.invariant} violated: ${outcome.message}` : "no invariant violated";
  out.push(opts.color && outcome ? `\x1b[31m${verdict}\x1b[0m` : verdict);
  return out.join("\n");
}
