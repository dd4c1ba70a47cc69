/**
 * The layers, written down once (README: Architecture), and checked by test/core/dependencies.test.ts:
 *
 *   base/       the atomic file writer, the tool's name and version       imports nothing of mmcheck
 *   core/       the model contract: transition system, state view,        base
 *               fingerprint, thread machine, procedure, invariant, model
 *   explorer/   the search strategies and their tables                    core, base
 *   reports/    the JSON report, ITF traces, race diagrams                explorer, core, base
 *   model/, invariants/, scenarios/   the mm model                        core, base
 *   models/     the shipped models by name: mm.ts, peer/                  the models, core
 *   workers/    the pool thread's task                                    explorer, core, models/index.ts
 *   findings/, conform/, synth/, cli/, bench/                             anything above
 *
 * and no file-level cycle anywhere.
 */
const MM = "^(model|invariants|scenarios)/";
const SEARCH = "^(explorer|workers|reports)/";

module.exports = {
  forbidden: [
    {
      name: "no-cycle",
      severity: "error",
      comment: "no file imports itself, however indirectly",
      from: {},
      to: { circular: true },
    },
    {
      name: "base-imports-nothing",
      severity: "error",
      from: { path: "^base/" },
      to: { path: "^(?!base/)", dependencyTypesNot: ["core"] },
    },
    {
      name: "core-knows-no-model",
      severity: "error",
      comment: "the core is the contract every model and strategy sits on",
      from: { path: "^core/" },
      to: { path: "^(?!core/|base/)", dependencyTypesNot: ["core"] },
    },
    {
      name: "search-imports-no-model",
      severity: "error",
      comment: "explorer, workers and reports get their model by reference or as an object; a worker builds it through the list of shipped models",
      from: { path: SEARCH },
      to: { path: "^(model|invariants|scenarios|models)/", pathNot: "^models/index\\.ts$" },
    },
    {
      name: "only-workers-build-by-name",
      severity: "error",
      from: { path: "^(explorer|reports)/" },
      to: { path: "^models/" },
    },
    {
      name: "explorer-below-reports-and-workers",
      severity: "error",
      from: { path: "^explorer/" },
      to: { path: "^(reports|workers)/" },
    },
    {
      name: "reports-below-workers",
      severity: "error",
      from: { path: "^reports/" },
      to: { path: "^workers/" },
    },
    {
      name: "mm-model-below-the-search",
      severity: "error",
      comment: "the mm model sits on the core, and knows neither the search nor how models are named",
      from: { path: MM },
      to: { path: "^(explorer|workers|reports|models)/" },
    },
    {
      name: "peer-model-knows-only-the-core",
      severity: "error",
      from: { path: "^models/peer/" },
      to: { path: "^(?!models/peer/|core/)", dependencyTypesNot: ["core"] },
    },
    {
      name: "nothing-below-imports-the-top",
      severity: "error",
      comment: "the commands, the conformance runner, the benchmark and the tests use everything; nothing uses them",
      from: { path: "^(base|core|explorer|reports|model|invariants|scenarios|models|workers|findings)/" },
      to: { path: "^(cli|conform|bench|test|synth)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|dist)/" },
    // Type-only imports count: a cycle through types is still a cycle for a reader.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
  },
};
