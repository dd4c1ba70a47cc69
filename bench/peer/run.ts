/**
 * `node dist/bench/peer/run.js [N …] [--bug]`: explores the peer benchmark model
 * (/work/shared/peer-truncate-race.md) for each N (default 2 … 8) and prints distinct states,
 * transitions and time next to the counts SPIN and TLC give; exits 1 if a count differs. With
 * --bug, the 2006 fault: prints the shortest counterexample instead.
 */
import { explore } from "../../explorer/explore.js";
import { replay } from "../../explorer/trace.js";
import { buildModel } from "../../models/index.js";
import { PEER_COUNTS } from "./counts.js";


const args = process.argv.slice(2);
const bug = args.includes("--bug");
const ns = args.filter((a) => a !== "--bug").map(Number);
let mismatch = false;
for (const n of ns.length ? ns : [2, 3, 4, 5, 6, 7, 8]) {
  const model = await buildModel({ name: "peer", args: { n, bug } });
  const r = await explore(model);
  const { distinctStates: d, statesGenerated: g, durationMs: ms } = r.stats;
  const rate = Math.round(d / Math.max(ms / 1000, 1e-3));
  let line =
    `N=${n}${bug ? " (bug)" : ""}: ${r.verdict}, ${d} distinct, ${g} transitions, depth ${r.stats.maxDepth}, ` +
    `${ms} ms (${rate} distinct/s, ${r.stats.bytesPerState} B/state)`;
  const want = PEER_COUNTS[n];
  if (!bug && want) {
    const ok = d === want.distinct && g === want.transitions;
    mismatch ||= !ok;
    line += ok ? "  = SPIN/TLC" : `  != SPIN/TLC ${want.distinct} distinct, ${want.transitions} transitions`;
  }
  console.log(line);
  if (r.violation) {
    const v = r.violation;
    console.log(`  ${v.invariant}: ${v.message} (${v.threads.length} steps)`);
    const { states, transitions } = replay(model.system, v.threads);
    transitions.forEach((tr, i) => {
      console.log(`  ${String(i + 1).padStart(2)}. T${tr.thread + 1} ${tr.op.text} ${tr.step.label}`);
      console.log(`      ${JSON.stringify(model.describe.state(model.system.view(states[i + 1]!)))}`);
    });
  }
}
process.exitCode = mismatch ? 1 : 0;
