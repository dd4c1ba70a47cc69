/**
 * One benchmark run in a process of its own (a fresh JIT that sees one model only): explores the
 * model given as JSON in argv[2] with argv[3] workers and prints the figures as one JSON line.
 */
import { exploreWith } from "../explorer/parallel.js";
import type { ModelSpec } from "../workers/models.js";

const spec = JSON.parse(process.argv[2]!) as ModelSpec;
const workers = Number(process.argv[3]);
const t0 = performance.now();
const r = await exploreWith(spec, workers);
const wallMs = performance.now() - t0;
console.log(
  JSON.stringify({
    verdict: r.verdict,
    wallMs,
    distinct: r.stats.distinctStates,
    generated: r.stats.statesGenerated,
    bytesPerState: r.stats.bytesPerState,
    peakBytes: r.stats.peakBytes,
    rssBytes: process.resourceUsage().maxRSS * 1024,
  }),
);
