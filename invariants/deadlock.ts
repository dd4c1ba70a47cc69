/** Some thread can always step until every thread is done. */
import type { StateView } from "../model/state-view.js";
import type { Invariant } from "./types.js";

export const deadlock: Invariant<StateView> = {
  name: "deadlock",
  summary: "some thread can always step until every thread is done",
  deadlock({ waiting }) {
    return `no thread can step: ${waiting.map((w) => `thread ${w.thread} waits at ${w.label}`).join("; ")}`;
  },
};
