/**
 * One benchmark run in a process of its own (a fresh JIT that sees one model only): explores the
 * model whose reference (core/model.ts) is given as JSON in argv[2] with argv[3] workers (a
 * number, or `auto`: the default of `mmcheck explore`), without the symmetry reduction when
 * argv[4] is `no-symmetry`, and prints the figures as one JSON line.
 * As `mmcheck explore --workers N` does, N > 1 starts the pool before the model is built here.
 */
import type { ModelRef } from "../core/model.js";
import { explore } from "../explorer/explore.js";
import { SearchPool } from "../explorer/search-pool.js";
import { buildModel } from "../models/index.js";

const ref = JSON.parse(process.argv[2]!) as ModelRef;
const workers = process.argv[3] === "auto" ? "auto" : Number(process.argv[3]);
const t0 = performance.now();
const pool = typeof workers === "number" && workers > 1 ? new SearchPool(ref, workers) : undefined;
const symmetry = process.argv[4] !== "no-symmetry";
const r = await explore(await buildModel(ref), { workers, pool, symmetry });
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage();
console.log(
  JSON.stringify({
    verdict: r.verdict,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    distinct: r.stats.distinctStates,
    generated: r.stats.statesGenerated,
    bytesPerState: r.stats.bytesPerState,
    peakBytes: r.stats.peakBytes,
    rssBytes: process.resourceUsage().maxRSS * 1024,
  }),
);
