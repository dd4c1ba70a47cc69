/**
 * Each operation ends with the result its scenario states (`expect:` among the operation's
 * arguments), on every path the search finds to its end. A result never assigned (POISON) is
 * uninitialised's to report.
 */
import { POISON } from "../model/layout.js";
import { RESULT_NAMES } from "../model/types.js";
import type { Invariant } from "./types.js";

export const expectedResult: Invariant = {
  name: "expected-result",
  summary: "each operation ends with the result its scenario states (expect: ok, SIGBUS, …), on every path",
  onOpEnd: true,
  step({ before, after, thread, opEnded }) {
    if (!opEnded) return null;
    const op = before.op(thread);
    const got = after.thread_result(thread);
    if (op.expect < 0 || got === op.expect || got === POISON) return null;
    return `${before.cfg.threads[thread]?.name ?? "setup"}'s ${op.text} returned ${RESULT_NAMES[got]}, the scenario expects ${RESULT_NAMES[op.expect]}`;
  },
};
