/**
 * Progress of a sweep or fuzz run on stderr (cli-progress): scenarios done (of how many),
 * failures, scenarios per second and the time left; plain lines every two seconds when stderr is
 * not a terminal; nothing with --no-progress.
 */
import { SingleBar } from "cli-progress";
import type { SynthProgress } from "../synth/sweep.js";

const LINE_EVERY_MS = 2000;
/** Redraws at most this often: a sweep reports thousands of scenarios a second. */
const REDRAW_MS = 100;

function fields(p: SynthProgress) {
  const rate = p.elapsedMs > 0 ? (p.done * 1000) / p.elapsedMs : 0;
  const left = p.total !== undefined && rate > 0 ? Math.round((p.total - p.done) / rate) : undefined;
  return {
    done: p.done.toLocaleString("en-US"),
    of: p.total !== undefined ? ` of ${p.total.toLocaleString("en-US")}` : "",
    failures: p.failures,
    rate: Math.round(rate).toLocaleString("en-US"),
    eta: left !== undefined ? `, ${left} s left` : "",
  };
}

export function synthProgress(enabled: boolean, what: string, stream: NodeJS.WriteStream = process.stderr) {
  if (!enabled) return { onProgress: undefined, stop() {} };
  let last = -Infinity;
  if (!stream.isTTY)
    return {
      onProgress(p: SynthProgress) {
        if (p.elapsedMs - last < LINE_EVERY_MS) return;
        last = p.elapsedMs;
        const f = fields(p);
        stream.write(`${what}: ${f.done}${f.of} scenarios, ${f.failures} distinct failures, ${f.rate} scenarios/s${f.eta}\n`);
      },
      stop() {},
    };
  const bar = new SingleBar({
    stream,
    format: `${what}: {done}{of} scenarios, {failures} distinct failures, {rate} scenarios/s{eta}`,
    clearOnComplete: true,
    hideCursor: false,
    synchronousUpdate: true,
  });
  let started = false;
  return {
    onProgress(p: SynthProgress) {
      if (p.elapsedMs - last < REDRAW_MS) return;
      last = p.elapsedMs;
      if (!started) bar.start(p.total ?? 0, 0, fields(p));
      started = true;
      bar.update(p.done, fields(p));
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
