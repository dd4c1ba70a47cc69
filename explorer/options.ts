/** What a search is asked (its bounds, checkpoints, threads) and what it answers. */
import type { Model } from "../core/model.js";
import type { StateView } from "../core/state-view.js";
import type { CheckpointData } from "./checkpoint.js";
import type { Violation } from "./check.js";
import type { SearchPool } from "./search-pool.js";

/**
 * What the process takes after the search, for the report (the trace replayed, the report made,
 * validated and written): 7 MiB measured on bench/split-unmap-xl.yaml; kept free by --max-memory.
 */
export const AFTER_SEARCH_BYTES = 16 << 20;

export interface ExploreOptions {
  /** Stop (incomplete) before expanding a level once this many distinct states are known. */
  readonly maxStates?: number;
  /** States at this depth are not expanded. */
  readonly maxDepth?: number;
  /**
   * Stop (incomplete) before the process's resident memory would pass this: checked between
   * chunks against the resident set, or the search's own memory (table, traces, levels) and what
   * the process held besides it when the search started if that is more, plus the table's next
   * growth once a chunk's new states could cause it.
   */
  readonly maxMemoryBytes?: number;
  /** Polled between chunks: true stops the search (incomplete), e.g. after Ctrl-C. */
  readonly interrupted?: () => boolean;
  /** Called after each chunk, and once at the end. */
  readonly onProgress?: (p: Progress) => void;
  /** States per chunk (default 4096). */
  readonly chunkSize?: number;
  /**
   * States that this thread expands together, their table lookups made at once; 0: one at a
   * time (default: by the model's state size, explorer/direct.ts).
   */
  readonly batch?: number;
  /**
   * With workers: levels of at least this many states are spread over them, and the first such
   * level starts the pool, however long the search has run (default: the pool starts at the
   * first level that would take 20 ms on one thread — with "auto", once the search has run
   * AUTO_START_AFTER_MS — and then levels of 10 ms or more are spread; explorer/bfs.ts).
   */
  readonly spreadFrom?: number;
  /**
   * Write a checkpoint between levels at most every `everyMs`, and when a bound or an interrupt
   * stops the search (during a level: of that level, the states it had added taken back).
   */
  readonly checkpoint?: { readonly path: string; readonly everyMs: number };
  /** Continue from this checkpoint instead of the initial state. */
  readonly resume?: CheckpointData;
  /**
   * Threads to search with (default 1: this thread alone, which still yields to the event loop
   * between chunks so that an interrupt is seen). More need a model with a reference
   * (core/model.ts), which each pool thread builds again; their pool is started with the
   * search. "auto": one per core left idle, the pool started only once the search has run long
   * enough and a level is large enough to pay for it (explorer/bfs.ts startsPool), and spread
   * over only while that measures faster than this thread alone (explorer/auto.ts).
   */
  readonly workers?: number | "auto";
  /**
   * The pool, started by the caller before the model was built here (explorer/search-pool.ts):
   * the search uses its threads (and their number, over `workers`) and destroys it when it ends.
   */
  readonly pool?: SearchPool;
  /**
   * Count states that differ only by the names of interchangeable objects once (the model's
   * TransitionSystem.symmetry: the mm model's pages, model/symmetry.ts). Default true; false
   * searches every renaming apart. Verdicts and counterexamples are the same either way.
   */
  readonly symmetry?: boolean;
  /** Random walks instead of the exhaustive search (explorer/walk.ts): on this thread, no table. */
  readonly walks?: WalkOptions;
}

/** Random walks (explorer/walk.ts). */
export interface WalkOptions {
  readonly walks: number;
  readonly seed: number;
  /** 0: uniform; n > 0: PCT with n priority change points a walk. */
  readonly changePoints: number;
  /** Steps a walk takes at most (default 10,000). */
  readonly maxDepth?: number;
}

export interface Progress {
  readonly distinctStates: number;
  readonly statesGenerated: number;
  readonly depth: number;
  readonly queued: number;
  readonly elapsedMs: number;
}

export interface Stats {
  readonly distinctStates: number;
  readonly statesGenerated: number;
  readonly maxDepth: number;
  readonly durationMs: number;
  /** Visited table and trace store, per distinct state. */
  readonly bytesPerState: number;
  /** The most memory the search held at once: table, trace store, two levels, the workers' chunks not merged yet. */
  readonly peakBytes: number;
  /** Probability that a fingerprint collision merged two distinct states (as TLC estimates it). */
  readonly collisionProbability: number;
  /**
   * The threads this run expanded states on: 1, or this thread and the pool's once a level was
   * spread over them. The default (`workers: "auto"`) starts a pool only where it pays, and
   * `--workers N` spreads no level too small to gain from it: N is what a run may take.
   */
  readonly workers: number;
}

/** `walks`: random walks ran out with nothing found (explorer/walk.ts). */
export type Bound = "max-states" | "max-depth" | "max-memory" | "interrupted" | "walks";

export interface ExploreResult {
  /** `not-applicable`: a pass of a model that counts changes (Model.changes) whose run reached none. */
  readonly verdict: "pass" | "not-applicable" | "violation" | "incomplete";
  readonly stats: Stats;
  /**
   * The labels of the steps the search took (core/procedure.ts Step.label), sorted: setup's
   * and every expanded level's, the same for any number of workers.
   */
  readonly coverage: readonly string[];
  /** Of those, the steps that reached code the model counts as changed (Model.changes), sorted. */
  readonly changed: readonly string[];
  /** Why the search stopped early, for `incomplete`. */
  readonly bound?: Bound;
  readonly violation?: Violation & {
    readonly depth: number;
    /** The threads that moved, from the initial state to the violation. */
    readonly threads: readonly number[];
  };
}


/** What a search reads of a model: its description is for the reports. */
export type Searched<V extends StateView> = Pick<Model<V>, "ref" | "system" | "invariants" | "identity" | "changes">;
