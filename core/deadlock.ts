/** Some thread can always step until every thread is done. */
import type { Invariant } from "./invariant.js";
import type { StateView } from "./state-view.js";

export const deadlock: Invariant<StateView> = {
  name: "deadlock",
  summary: "some thread can always step until every thread is done",
  deadlock({ waiting }) {
    return `no thread can step: ${waiting.map((w) => `thread ${w.thread} waits at ${w.label}`).join("; ")}`;
  },
};
