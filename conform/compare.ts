/**
 * Kernel against model, row by row: every column of both sides, the differences marked, and
 * the list of differences. A row the model could not run (a model error) is a difference too,
 * so nothing passes unseen; a scenario whose differences are known is marked `exception` in its
 * file.
 */
import type { ModelObservation, Observation, PageObs, Plan } from "./plan.js";
import type { ConformScenario } from "./schema.js";

const FIELDS = ["result", "Total", "Free", "Rsvd", "Surp", "pages", "vmas"] as const;
export type Field = (typeof FIELDS)[number] | "step";

export interface Difference {
  readonly row: number;
  readonly proc: string;
  readonly op: string;
  readonly field: Field;
  readonly kernel: string;
  readonly model: string;
}

export interface ComparedRow {
  readonly row: number;
  readonly proc: string;
  readonly op: string;
  readonly kernel: Readonly<Record<(typeof FIELDS)[number], string>>;
  /** The model's columns, or one line saying why there are none. */
  readonly model: Readonly<Record<(typeof FIELDS)[number], string>> | string;
  readonly differing: readonly Field[];
}

export type Verdict = "match" | "differs" | "exception-holds" | "exception-gone" | "not-covered";

export interface Comparison {
  readonly scenario: string;
  readonly summary: string;
  readonly exception: string | null;
  readonly kernelNote: string | null;
  /** Why the scenario was not run on this host (its `requires:`), or null. */
  readonly notCovered: string | null;
  readonly rows: readonly ComparedRow[];
  readonly differences: readonly Difference[];
  readonly verdict: Verdict;
}

function resultText(o: Observation): string {
  if (o.signal) return o.signal;
  return o.ret === 0 && !o.errno ? "ok" : `${o.ret} ${o.errno ?? ""}`.trim();
}

/** `-` absent, `Z` the zero page, else the map count. */
function pageText(p: PageObs): string {
  if (!p.present) return "-";
  return p.zero ? "Z" : String(p.mapcount);
}

/** The kernel's counters are unsigned: below zero they wrap (the probe reports them signed). */
function counterText(n: number): string {
  return n < 0 ? `${n} (wrapped)` : String(n);
}

function columns(o: Observation, plan: Plan): Record<(typeof FIELDS)[number], string> {
  return {
    result: resultText(o),
    Total: counterText(o.counters.total),
    Free: counterText(o.counters.free),
    Rsvd: counterText(o.counters.rsvd),
    Surp: counterText(o.counters.surp),
    pages: o.pages ? o.pages.map((p, i) => `${plan.watch[i]!.label}:${pageText(p)}`).join(" ") : "",
    vmas: o.vmas ?? "",
  };
}

export function compare(plan: Plan, kernel: readonly Observation[], model: readonly ModelObservation[]): Comparison {
  const s = plan.scenario;
  const differences: Difference[] = [];
  const rows = plan.rows.map((r, i): ComparedRow => {
    const k = columns(kernel[i]!, plan);
    const m = model[i]!;
    const base = { row: i, proc: r.proc, op: r.text, kernel: k };
    if ("error" in m) {
      const why = `model error: ${m.error}`;
      differences.push({ ...base, field: "step", kernel: k.result, model: why });
      return { ...base, model: why, differing: ["step"] };
    }
    // A recording made before the probe reported VMAs has none to compare.
    const mc = { ...columns(m, plan), ...(kernel[i]!.vmas === undefined && { vmas: "" }) };
    const differing = FIELDS.filter((f) => k[f] !== mc[f]);
    for (const f of differing) differences.push({ ...base, field: f, kernel: k[f], model: mc[f] });
    return { ...base, model: mc, differing };
  });
  const exception = s.exception ?? null;
  const verdict: Verdict = exception
    ? differences.length
      ? "exception-holds"
      : "exception-gone"
    : differences.length
      ? "differs"
      : "match";
  return { scenario: s.name, summary: s.summary, exception, kernelNote: s.kernel ?? null, notCovered: null, rows, differences, verdict };
}

/** A scenario this host cannot run meaningfully: no rows, and the reason. */
/**
 * Why the host does not cover a scenario that pins through io_uring, or null: a kernel built
 * without it (ENOSYS), or with it disabled (kernel.io_uring_disabled: EPERM), refuses
 * io_uring_setup; a failed IORING_REGISTER_BUFFERS of another kind (EFAULT, ENOMEM) is a result
 * to compare.
 */
export function ioUringRefused(p: Plan, kernel: readonly Observation[]): string | null {
  const i = p.rows.findIndex((r, j) => r.step?.op === "io_uring_register_buffers" && kernel[j]?.ret === -1 && ["ENOSYS", "EPERM", "EOPNOTSUPP"].includes(kernel[j]!.errno ?? ""));
  return i < 0 ? null : `the host refuses io_uring (${p.rows[i]!.text}: ${kernel[i]!.errno})`;
}

export function notCovered(s: ConformScenario, reason: string): Comparison {
  return {
    scenario: s.name,
    summary: s.summary,
    exception: s.exception ?? null,
    kernelNote: s.kernel ?? null,
    notCovered: reason,
    rows: [],
    differences: [],
    verdict: "not-covered",
  };
}

/**
 * Does the scenario pass: it matches, or it is a marked exception whose difference is still
 * there. `not covered` passes unless `strict`.
 */
export function passes(c: Comparison, strict = false): boolean {
  return c.verdict === "match" || c.verdict === "exception-holds" || (c.verdict === "not-covered" && !strict);
}

const VERDICT_TEXT: Record<Verdict, (c: Comparison) => string> = {
  match: () => "kernel and model agree on every step",
  differs: (c) => `${c.differences.length} difference(s)`,
  "exception-holds": (c) => `known exception (${c.differences.length} difference(s)): ${c.exception}`,
  "exception-gone": (c) =>
    `kernel and model now agree: the exception "${c.exception}" is no longer needed; remove it from the file`,
  "not-covered": (c) => `not covered: ${c.notCovered}`,
};

/**
 * The table: a row both sides agree on is one line (side `=`); else a kernel line and a model
 * line, with `*` after each model column that differs.
 */
export function formatTable(c: Comparison, strict = false): string {
  if (c.verdict === "not-covered") return `${c.scenario}: ${c.summary}\n${passes(c, strict) ? "NOT COVERED" : "FAIL"} ${c.scenario}: ${VERDICT_TEXT[c.verdict](c)}`;
  const head = ["#", "proc", "operation", "side", ...FIELDS];
  const lines: string[][] = [];
  for (const r of c.rows) {
    const k = [String(r.row), r.proc, r.op];
    if (!r.differing.length) {
      lines.push([...k, "=", ...FIELDS.map((f) => r.kernel[f])]);
      continue;
    }
    lines.push([...k, "kernel", ...FIELDS.map((f) => r.kernel[f])]);
    const m = r.model;
    if (typeof m === "string") lines.push(["", "", "", "model", m]);
    else lines.push(["", "", "", "model", ...FIELDS.map((f) => m[f] + (r.differing.includes(f) ? " *" : ""))]);
  }
  // The last column of a line runs free; a one-column model line (why there are none) too.
  const widths = head.map((h, i) =>
    Math.max(h.length, ...lines.filter((l) => l.length === head.length).map((l) => (l[i] ?? "").length)),
  );
  const fmt = (l: string[]) =>
    l
      .map((cell, i) => (i === l.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  const out = [`${c.scenario}: ${c.summary}`, fmt(head), ...lines.map(fmt)];
  if (c.kernelNote) out.push(`kernel: ${c.kernelNote}`);
  out.push(`${passes(c) ? "PASS" : "FAIL"} ${c.scenario}: ${VERDICT_TEXT[c.verdict](c)}`);
  return out.join("\n");
}
