/**
 * One benchmark run in a process of its own (a fresh JIT that sees one model only): explores the
 * model whose reference (core/model.ts) is given as JSON in argv[2] with argv[3] workers and prints the figures as one JSON line.
 */
import type { ModelRef } from "../core/model.js";
import { explore } from "../explorer/explore.js";
import { buildModel } from "../models/index.js";

const ref = JSON.parse(process.argv[2]!) as ModelRef;
const workers = Number(process.argv[3]);
const t0 = performance.now();
const r = await explore(await buildModel(ref), { workers });
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
