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
  /**
   * The terminal's width: narrower cells are tried, then a layout of one step a line with the
   * thread named in it, and the verdict is wrapped (default: no limit).
   */
  readonly width?: number;
}

/** A step's row: the label, and above it the operation when the step is the operation's first. */
interface Row {
  /** Step d leads to ITF state d, so rows are numbered as the trace's states (0: the initial state). */
  readonly depth: number;
  /** The thread's column: its place among the threads that step. */
  readonly lane: number;
  readonly op?: string;
  readonly label: string;
  readonly pool: string;
  /** The objects of this step's footprint that another thread's step in the trace writes, or that this step writes and another's reads. */
  readonly races: string;
}

/** `text` in lines of at most `width` characters, broken at spaces (a longer word stays whole). */
function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = `  ${word}`;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...out, line];
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
  const { describe } = model;
  const counters = (s: Int32Array) => new Map(describe.counters.of(model.system.view(s)));
  const steps: StepDescription[] = run.transitions.map((tr) => describe.step(tr));
  const shared = sharedObjects(steps, run.transitions.map((tr) => tr.thread));
  // A thread that never steps gets no column.
  const stepping = [...new Set(run.transitions.map((tr) => tr.thread))].sort((a, b) => a - b);
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
    return { depth: i + 1, lane: stepping.indexOf(tr.thread), op: first ? step.op : undefined, label: step.label, pool, races };
  });

  const title = describe.counters.title;
  const initial = [...counters(run.states[0]!)].map(([name, v]) => `${name} ${v}`).join(", ");
  const width = opts.width ?? Infinity;
  let out = columns(rows, stepping.map((t) => `CPU${t} (${describe.threads[t]})`), title, initial, opts.maxCellWidth ?? 40);
  for (const cell of [28, 20]) if (widest(out) > width) out = columns(rows, stepping.map((t) => `CPU${t} (${describe.threads[t]})`), title, initial, cell);
  if (widest(out) > width) out = list(rows, stepping.map((t) => describe.threads[t]!), title, initial, width);
  if (opts.color) out[0] = `\x1b[1m${out[0]}\x1b[0m`;
  out.push("");
  const verdict = outcome ? `${outcome.invariant} violated: ${describe.names?.(outcome.message) ?? outcome.message}` : "no invariant violated";
  for (const l of Number.isFinite(width) ? wrap(verdict, width) : [verdict]) out.push(opts.color && outcome ? `\x1b[31m${l}\x1b[0m` : l);
  return out.join("\n");
}

/** The width a diagram gets on this process's stdout: the terminal's, or $COLUMNS, or 100 when piped. */
export function terminalWidth(): number {
  return process.stdout.columns || Number(process.env.COLUMNS) || 100;
}

const widest = (lines: readonly string[]) => Math.max(...lines.map((l) => l.length));

/** A column per thread that steps, each step in its thread's column. */
function columns(rows: readonly Row[], headers: readonly string[], title: string, initial: string, maxCell: number): string[] {
  const indent = "  ";
  const widths = headers.map((h, t) =>
    Math.min(
      maxCell,
      Math.max(h.length, ...rows.filter((r) => r.lane === t).map((r) => Math.max(r.op?.length ?? 0, indent.length + r.label.length))),
    ),
  );
  const numWidth = String(rows.length).length;
  const poolWidth = Math.max(title.length, initial.length, ...rows.map((r) => r.pool.length));
  const line = (num: string, lane: number, text: string, pool: string, races = "") => {
    const cells = widths.map((w, t) => (t === lane ? cut(text, w) : "").padEnd(w));
    return [num.padStart(numWidth), ...cells, pool.padEnd(poolWidth), races].join("  ").trimEnd();
  };
  const out: string[] = [];
  out.push(["#".padStart(numWidth), ...headers.map((h, t) => cut(h, widths[t]!).padEnd(widths[t]!)), title.padEnd(poolWidth), "shared with other CPUs"].join("  ").trimEnd());
  out.push(["-".repeat(numWidth), ...widths.map((w) => "-".repeat(w)), "-".repeat(poolWidth), "----------------------"].join("  "));
  out.push(line("0", -1, "", initial));
  for (const r of rows) {
    if (r.op) out.push(line("", r.lane, r.op, ""));
    out.push(line(String(r.depth), r.lane, indent + r.label, r.pool, r.races));
  }
  return out;
}

/**
 * For a narrow terminal: one step a line, the thread named at its start, the operation above
 * its first step, and what it changed and shares on the next line when it does not fit.
 */
function list(rows: readonly Row[], names: readonly string[], title: string, initial: string, width: number): string[] {
  const numWidth = String(rows.length).length;
  const nameWidth = Math.max(...names.map((n) => n.length));
  const lead = (num: string, name: string) => `${num.padStart(numWidth)}  ${name.padEnd(nameWidth)}  `;
  const out = [`${lead("#", "thread")}step; ${title} changed; [shared with other threads]`.trimEnd(), "-".repeat(Math.min(width, 60)), `${lead("0", "")}${title} ${initial}`];
  const room = Math.max(20, width - lead("", "").length);
  for (const r of rows) {
    if (r.op) out.push(`${lead("", names[r.lane]!)}${cut(r.op, room)}`.trimEnd());
    const extra = [r.pool, r.races && `[${r.races}]`].filter(Boolean).join("  ");
    const step = `  ${r.label}`;
    if (step.length + 2 + extra.length <= room || !extra) out.push(`${lead(String(r.depth), names[r.lane]!)}${cut(`${step}${extra ? `  ${extra}` : ""}`, room)}`.trimEnd());
    else {
      out.push(`${lead(String(r.depth), names[r.lane]!)}${cut(step, room)}`.trimEnd());
      for (const l of wrap(extra, room - 4)) out.push(`${lead("", "")}    ${l}`);
    }
  }
  return out;
}
