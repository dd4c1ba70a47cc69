/**
 * Progress of a search on stderr: a redrawn status line on a terminal, plain lines at most every
 * two seconds otherwise (CI logs), nothing with --no-progress. Runs shorter than the first tick
 * print nothing, so quick checks stay quiet.
 */
import { SingleBar } from "cli-progress";
import type { Progress } from "../explorer/options.js";

const LINE_EVERY_MS = 2000;
/** A terminal status line appears once a search has run this long. */
const BAR_AFTER_MS = 500;

export interface ProgressDisplay {
  readonly onProgress?: (p: Progress) => void;
  /** Removes the status line before the summary is printed. */
  stop(): void;
}

function elapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  const hms = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60];
  return hms.map((n) => String(n).padStart(2, "0")).join(":");
}

function fields(p: Progress) {
  const rate = p.elapsedMs > 0 ? Math.round((p.statesGenerated * 1000) / p.elapsedMs) : 0;
  return {
    generated: p.statesGenerated.toLocaleString("en-US"),
    distinct: p.distinctStates.toLocaleString("en-US"),
    depth: p.depth,
    rate: rate.toLocaleString("en-US"),
    elapsed: elapsed(p.elapsedMs),
  };
}

export function progressDisplay(enabled: boolean, stream: NodeJS.WriteStream = process.stderr): ProgressDisplay {
  if (!enabled) return { stop() {} };
  if (!stream.isTTY) {
    let last = 0;
    return {
      onProgress(p) {
        if (p.elapsedMs - last < LINE_EVERY_MS) return;
        last = p.elapsedMs;
        const f = fields(p);
        stream.write(`progress: ${f.generated} states, ${f.distinct} distinct, depth ${f.depth}, ${f.rate} states/s, ${f.elapsed}\n`);
      },
      stop() {},
    };
  }
  // The search runs synchronously, so the bar redraws from update() (synchronousUpdate), not from its timer.
  const bar = new SingleBar({
    stream,
    format: "exploring: {generated} states, {distinct} distinct, depth {depth}, {rate} states/s, {elapsed}",
    clearOnComplete: true,
    hideCursor: false,
    synchronousUpdate: true,
  });
  let started = false;
  return {
    onProgress(p) {
      if (!started && p.elapsedMs < BAR_AFTER_MS) return;
      if (!started) bar.start(0, 0, fields(p));
      started = true;
      bar.update(p.distinctStates, fields(p));
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
