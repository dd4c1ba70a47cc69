/**
 * What a variant changes, and how a run knows it reached it (README "Not applicable"). The code
 * a variant changes from `modern` (today's kernel) is
 * - the era code it selects (model/ops/index.ts build): every function of an era table, and the
 *   steps an era's build() defines, when the variant selects another era than modern's;
 * - each line reading a Variant field whose value differs from modern's (a one-line toggle, or
 *   an era field read again at run time, as truncate reads hugetlbPrefault).
 * Both are marked, not looked up: a variant's Kernel reads a copy of the Variant whose differing
 * fields are getters that mark the step running (ThreadMachine.markChanged), and an era other
 * than modern's is a copy whose functions mark the step running when they are called with the
 * Kernel. Modern, and every field and era a variant shares with it, run unchanged: the search
 * pays only where the variant's code runs (a getter or a call through, and a byte set).
 */
import { Kernel } from "./kernel.js";
import { VARIANTS, type Variant } from "./variant.js";

/** The fields of `variant` whose value differs from modern's: what it changes, by name. */
export function changedFields(variant: Variant): (keyof Variant)[] {
  const modern = VARIANTS[0]!;
  return (Object.keys(variant) as (keyof Variant)[]).filter((f) => f !== "name" && f !== "summary" && variant[f] !== modern[f]);
}

/** The Variant a Kernel reads: each field that differs from modern's calls `reached` when read. */
export function markedVariant(variant: Variant, reached: () => void): Variant {
  const out = { ...variant };
  for (const f of changedFields(variant)) {
    const value = variant[f];
    Object.defineProperty(out, f, {
      enumerable: true,
      get() {
        reached();
        return value;
      },
    });
  }
  return out;
}

/**
 * `selected`, the era the variant selects, as it runs: if it is not `today`'s, a copy whose
 * functions mark the step running when called with a Kernel (Kernel.reached), and whose
 * results that are tables (an era's build() of steps) are marked alike, so every step an era
 * defines marks itself. Values that are not functions (hugetlb_wp's `oom` result) are read
 * as they are: the era function called before them on the same path has marked the run.
 */
export function era<T>(selected: T, today: T): T {
  return selected === today ? selected : marked(selected);
}

function marked<T>(x: T): T {
  if (typeof x === "function") {
    const f = x as (...args: unknown[]) => unknown;
    return ((...args: unknown[]) => {
      if (args[0] instanceof Kernel) args[0].reached();
      return marked(f(...args));
    }) as T;
  }
  if (x !== null && typeof x === "object" && Object.getPrototypeOf(x) === Object.prototype)
    return Object.fromEntries(Object.entries(x).map(([key, v]) => [key, marked(v)])) as T;
  return x;
}
