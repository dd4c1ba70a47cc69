/**
 * Scenario parameters, so that one scenario can be grown for a benchmark or a nightly run:
 * `params: { pages: 3 }` declares them with their defaults; a string "${expr}" anywhere in the
 * file is an integer expression over them (+ - * / % and parentheses; / rounds down); and an
 * element `{ repeat: { count, as, each } }` of a list stands for `count` copies of `each` (one
 * element or a list of them), with the parameter named by `as` running from 0.
 */

export class ParamError extends Error {
  override name = "ParamError";
}

type Env = Readonly<Record<string, number>>;

/** A parameter's value, from the file or --params: at most this far from 0. */
export const PARAM_MAX = 1000;
/** The elements all the `repeat`s of a file may stand for, together. */
export const REPEAT_TOTAL_MAX = 10_000;
/** An expression's length: it keeps the parser's recursion (one call a token) shallow. */
export const EXPRESSION_MAX = 200;

/** Evaluates an integer expression over `env` (a small recursive-descent parser, no eval). */
export function evaluate(expr: string, env: Env, where: string): number {
  if (expr.length > EXPRESSION_MAX) throw new ParamError(`${where}: the expression is longer than ${EXPRESSION_MAX} characters`);
  // Past 2^53 the arithmetic is no longer exact.
  const exact = (v: number): number => {
    if (!Number.isSafeInteger(v)) throw new ParamError(`${where}: "${expr}" leaves the range of exact integers (±${Number.MAX_SAFE_INTEGER})`);
    return v;
  };
  const tokens = expr.match(/\s*(\d+|[A-Za-z_][A-Za-z0-9_]*|[-+*/%()])/g)?.map((s) => s.trim()) ?? [];
  if (tokens.join("") !== expr.replace(/\s+/g, "")) throw new ParamError(`${where}: cannot read the expression "${expr}"`);
  let i = 0;
  const peek = () => tokens[i];
  const primary = (): number => {
    const tok = tokens[i++];
    if (tok === undefined) throw new ParamError(`${where}: "${expr}" ends too early`);
    if (tok === "(") {
      const v = sum();
      if (tokens[i++] !== ")") throw new ParamError(`${where}: "${expr}" misses a ")"`);
      return v;
    }
    if (tok === "-") return -primary();
    if (/^\d+$/.test(tok)) return exact(Number(tok));
    if (/^[A-Za-z_]/.test(tok)) {
      if (!(tok in env)) throw new ParamError(`${where}: unknown parameter "${tok}" (known: ${Object.keys(env).join(", ") || "none"})`);
      return env[tok]!;
    }
    throw new ParamError(`${where}: unexpected "${tok}" in "${expr}"`);
  };
  const product = (): number => {
    let v = primary();
    while (peek() === "*" || peek() === "/" || peek() === "%") {
      const op = tokens[i++];
      const r = primary();
      if (op !== "*" && r === 0) throw new ParamError(`${where}: division by zero in "${expr}"`);
      v = exact(op === "*" ? v * r : op === "/" ? Math.floor(v / r) : v % r);
    }
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (peek() === "+" || peek() === "-") v = exact(tokens[i++] === "+" ? v + product() : v - product());
    return v;
  };
  const v = sum();
  if (i !== tokens.length) throw new ParamError(`${where}: unexpected "${tokens[i]}" in "${expr}"`);
  return v;
}

function isRepeat(x: unknown): x is { repeat: unknown } {
  return typeof x === "object" && x !== null && !Array.isArray(x) && Object.keys(x).length === 1 && "repeat" in x;
}

/** What is left of REPEAT_TOTAL_MAX as a file is expanded. */
interface Budget {
  left: number;
}

function expandValue(v: unknown, env: Env, path: string, budget: Budget): unknown {
  if (typeof v === "string") {
    const m = /^\$\{(.*)\}$/.exec(v);
    return m ? evaluate(m[1]!, env, path) : v;
  }
  if (Array.isArray(v)) return v.flatMap((x, i) => expandElement(x, env, `${path}.${i}`, budget));
  if (typeof v === "object" && v !== null)
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, expandValue(x, env, path ? `${path}.${k}` : k, budget)]));
  return v;
}

function expandElement(x: unknown, env: Env, path: string, budget: Budget): unknown[] {
  if (!isRepeat(x)) return [expandValue(x, env, path, budget)];
  const r = x.repeat as Record<string, unknown>;
  if (typeof r !== "object" || r === null || !("count" in r) || !("each" in r))
    throw new ParamError(`${path}.repeat: needs count and each (and as, the name of the counter)`);
  const count = expandValue(r.count, env, `${path}.repeat.count`, budget);
  if (typeof count !== "number" || !Number.isInteger(count) || count < 0)
    throw new ParamError(`${path}.repeat.count: must be a whole number ≥ 0`);
  const as = r.as ?? "i";
  if (typeof as !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(as)) throw new ParamError(`${path}.repeat.as: must be a name`);
  const each = Array.isArray(r.each) ? r.each : [r.each];
  // Counted before the copies are made: nested repeats multiply.
  budget.left -= count * each.length;
  if (budget.left < 0)
    throw new ParamError(`${path}.repeat.count: the repeats of the file would make more than ${REPEAT_TOTAL_MAX} elements`);
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const inner = { ...env, [as]: i };
    each.forEach((e, j) => {
      for (const y of expandElement(e, inner, `${path}.repeat.each.${j}`, budget)) out.push(y);
    });
  }
  return out;
}

/** A parameter's value, checked against PARAM_MAX. */
function paramValue(v: number, what: string): number {
  if (Math.abs(v) > PARAM_MAX) throw new ParamError(`${what}: ${v} is out of range (at most ${PARAM_MAX} from 0)`);
  return v;
}

/**
 * The scenario file with its parameters applied: defaults from `params`, replaced by
 * `overrides` (each must be declared). Returns the file without `params`.
 */
export function applyParams(raw: unknown, overrides: Readonly<Record<string, number>> = {}): unknown {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return raw;
  const { params, ...rest } = raw as Record<string, unknown>;
  const declared: Record<string, number> = {};
  if (params !== undefined) {
    if (typeof params !== "object" || params === null || Array.isArray(params))
      throw new ParamError("params: a map from parameter names to whole-number defaults");
    for (const [k, v] of Object.entries(params)) {
      if (typeof v !== "number" || !Number.isInteger(v)) throw new ParamError(`params.${k}: the default must be a whole number`);
      declared[k] = paramValue(v, `params.${k}`);
    }
  }
  for (const [k, v] of Object.entries(overrides)) {
    if (!(k in declared))
      throw new ParamError(`--params: "${k}" is not a parameter of this scenario (its parameters: ${Object.keys(declared).join(", ") || "none"})`);
    declared[k] = paramValue(v, `--params: ${k}`);
  }
  return expandValue(rest, declared, "", { left: REPEAT_TOTAL_MAX });
}
