/**
 * How a search with `workers: "auto"` (explorer/bfs.ts) chooses, from what it measures during
 * the run, between this thread alone and spreading its levels over a pool: whether another
 * process leaves a core idle to start the pool on, and then, once the pool is ready, whether
 * spreading a level is faster than expanding the next one here. On the 2-vCPU VM one
 * worker's search already keeps a core and a half busy (V8 compiles the model on a thread of
 * its own), and a pool thread compiles the model again for itself: whether a second thread
 * pays depends on the machine's load and on how long the search goes on, which no constant knows.
 */
import { cpus } from "node:os";

/** Levels of fewer states are not timed: too quick to time, and run before the JIT has compiled the model. */
export const MEASURED_FROM = 2048;

/** What the processor did up to a moment: wall time, and the time the machine's cores were idle (ms). */
export interface CpuSample {
  readonly wallMs: number;
  readonly idleMs: number;
}

export function cpuSample(): CpuSample {
  let idle = 0;
  for (const { times } of cpus()) idle += times.idle;
  return { wallMs: performance.now(), idleMs: idle };
}

/** The cores left idle between two samples, on average. */
export function idleCores(from: CpuSample, to: CpuSample): number {
  const wall = to.wallMs - from.wallMs;
  return wall > 0 ? Math.max(0, (to.idleMs - from.idleMs) / wall) : 0;
}

/**
 * The threads an "auto" search takes when its pool would start, out of `cores`: this one and
 * one for each core left idle (`idle`, idleCores since the search began or last looked, over a
 * second at least: explorer/bfs.ts) — by other processes and by this one, whose JIT compiles
 * the model on threads of its own for the first second or so, half a core more. A pool thread
 * started then, or beside another search, took the processor from this one: its start (about
 * 0.3 s of a core) and the trial were lost, and two threads took 1.6–1.7 times one's time on
 * split-unmap-xl on the loaded 2-vCPU VM.
 */
export function autoWorkers(cores: number, idle: number): number {
  return Math.max(1, Math.min(cores, 1 + Math.floor(idle + 0.25)));
}

/** A spread level is kept if it takes at most this fraction of the time a state takes here. */
const KEEP = 0.9;
/** While the pool thread warms up its spread levels get faster: the trial goes on while each pair's ratio drops by this factor. */
const IMPROVING = 0.85;
/** Pairs of levels the trial compares at most. */
const MAX_PAIRS = 4;
/** The trial's spread levels may cost at most this share of the search's time so far more than they would have here. */
const LOSS_SHARE = 0.05;

/**
 * Spread levels between two checks once the trial has kept the pool: the level after the last
 * is expanded here again, and spreading that no longer measures faster than it at all leaves the
 * pool idle until the next trial (another process took the core, or the trial's pair was one
 * level's luck).
 */
const RECHECK = 8;

/**
 * Trials at most; a trial that gives the pool up leaves it idle (its thread keeps the model it
 * compiled, and takes no processor) until the search has run RETRY times as long, then tries
 * again. Early in a search both threads' JITs are still compiling on the same cores:
 * madv-vs-map's first trial, 2.0–2.4 s in, had its spread levels at 2.5–6.5 µs a state
 * against 2.2 here, and gave the pool up; a trial 6.4 s in kept it at 1.3–2.4 against 2.3–3.5.
 */
const TRIALS = 3;
const RETRY = 3;

/**
 * The trial, once the pool is ready: levels big enough to spread are spread and expanded here
 * in turn, each pair's ratio the spread level's time per state over the next level's here
 * (neighbouring levels cost about the same per state, and the JIT has compiled this thread's
 * model by then). A ratio of KEEP or less: levels are spread from then on, every RECHECK-th
 * followed by one here to check again. A ratio above it that is no longer falling (the pool
 * thread is warm), after MAX_PAIRS pairs, or once the spread levels have cost LOSS_SHARE of the
 * search's time more than they would have here: the pool is left idle, and tried again later
 * (TRIALS, RETRY); after the last trial it is given up (its threads end, their memory given
 * back), and the rest of the search stays here. Determinism is untouched: the merge order
 * makes the result independent of who expanded what.
 */
export class AutoChoice {
  private state: "trial" | "spread" | "check" | "idle" | "here" = "trial";
  private trials = 1;
  /** While idle: the search's time (ms) at which the next trial starts. */
  private retryAt = 0;
  /** The last spread level of the trial or before a check, waiting for the level after it. */
  private spreadLevel: { count: number; ms: number } | null = null;
  private lastRatio = Infinity;
  private pairs = 0;
  /** Milliseconds the trial's spread levels took more than they would have here. */
  private loss = 0;
  /** Spread levels since the pool was kept or last checked. */
  private sinceCheck = 0;

  /** Whether the level about to be expanded is spread, if it is large enough. */
  spreadsLevel(): boolean {
    return this.state === "spread" || (this.state === "trial" && this.spreadLevel === null);
  }

  /** During a spread level: whether the level after it will be spread too (its chunks may be handed out ahead). */
  spreadsFollowing(): boolean {
    return this.state === "spread" && this.sinceCheck < RECHECK - 1;
  }

  /** The pool is given up: the search goes on here alone. */
  get gaveUp(): boolean {
    return this.state === "here";
  }

  /** A level of `count` states took `ms`, spread over the pool or here, `searchMs` into the search. */
  record(spread: boolean, count: number, ms: number, searchMs: number): void {
    if (this.state === "idle" && searchMs >= this.retryAt) {
      this.state = "trial";
      this.trials++;
      this.lastRatio = Infinity;
      this.pairs = 0;
      this.loss = 0;
      return;
    }
    if (this.state === "here" || this.state === "idle" || count < MEASURED_FROM) return;
    if (this.state === "spread") {
      if (spread && ++this.sinceCheck >= RECHECK) {
        this.spreadLevel = { count, ms };
        this.state = "check";
      }
      return;
    }
    if (spread) {
      this.spreadLevel = { count, ms };
      return;
    }
    if (!this.spreadLevel) return;
    const cost = ms / count;
    const ratio = this.spreadLevel.ms / this.spreadLevel.count / cost;
    const loss = this.spreadLevel.ms - this.spreadLevel.count * cost;
    this.spreadLevel = null;
    if (this.state === "check") {
      if (ratio > 1) this.leave(searchMs);
      else this.state = "spread";
      this.sinceCheck = 0;
      return;
    }
    this.loss += loss;
    this.pairs++;
    if (ratio <= KEEP) this.state = "spread";
    else if (ratio > this.lastRatio * IMPROVING || this.pairs >= MAX_PAIRS || this.loss > LOSS_SHARE * searchMs) this.leave(searchMs);
    this.lastRatio = ratio;
  }

  /** Spreading does not pay now: the pool is left idle until the next trial, or given up after the last. */
  private leave(searchMs: number): void {
    if (this.trials >= TRIALS) this.state = "here";
    else {
      this.state = "idle";
      this.retryAt = RETRY * searchMs;
    }
  }
}
