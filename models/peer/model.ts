/**
 * The peer benchmark model (/work/shared/peer-truncate-race.md) as a model module
 * (core/model.ts): `{ n, bug }` builds the truncate race of N pages, with the 2006 fault if bug.
 */
import type { Json, Model } from "../../core/model.js";
import { describeThreadStep, type ThreadTransition } from "../../core/thread-machine.js";
import { PEER_INVARIANTS } from "./invariants.js";
import { PeerMachine, type PeerConfig, type PeerOp } from "./machine.js";
import type { PeerState } from "./state.js";

export type PeerModel = Model<PeerState, ThreadTransition<PeerState, PeerOp>> & { readonly system: PeerMachine };

function config(args: Json): PeerConfig {
  const a = (typeof args === "object" && args !== null && !Array.isArray(args) ? args : {}) as Record<string, Json>;
  const { n, bug = false } = a;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1) throw new Error("peer model: n: expected a positive integer");
  if (typeof bug !== "boolean") throw new Error("peer model: bug: expected true or false");
  const extra = Object.keys(a).find((key) => key !== "n" && key !== "bug");
  if (extra !== undefined) throw new Error(`peer model: ${extra}: unknown argument (known: n, bug)`);
  return { n, bug };
}

export function build(args: Json): PeerModel {
  const cfg = config(args);
  const system = new PeerMachine(cfg);
  return {
    ref: { name: "peer", args: { n: cfg.n, bug: cfg.bug } },
    system,
    invariants: PEER_INVARIANTS,
    describe: {
      threads: ["T1", "T2", "T3"],
      step: describeThreadStep,
      counters: { title: "pool", of: (k) => [["free", k.free], ["resv", k.resv]] },
      state: (k) => k.fields(),
    },
    identity: { model: "peer", n: cfg.n, bug: cfg.bug },
  };
}
