/**
 * The signals that stop a search: SIGINT (Ctrl-C), SIGTERM (what `timeout`, CI runners and
 * service managers send) and SIGHUP (a closed terminal). Caught from the first moment of
 * `mmcheck explore` (cli/main.ts installs this before the rest of mmcheck loads), so that a
 * signal at any moment ends with the partial report and checkpoint (cli/explore.ts). A second
 * signal changes nothing: the files being written are finished. A third exits at once, with
 * 128 + the signal's number: files are written synchronously, so this happens between two
 * writes and never leaves one half-written.
 *
 * This module imports nothing else of mmcheck's: it must load in a few milliseconds.
 */
import { constants } from "node:os";

export const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

const received: StopSignal[] = [];

function onSignal(signal: StopSignal): void {
  received.push(signal);
  if (received.length === 2)
    process.stderr.write(`mmcheck: ${signal}: stopping; the report and checkpoint are being finished (a third signal exits at once without them)\n`);
  if (received.length >= 3) process.exit(128 + constants.signals[signal]);
}

export function catchStopSignals(): void {
  for (const s of STOP_SIGNALS) process.on(s, () => onSignal(s));
}

/** The first stop signal received, if any. */
export function stopSignal(): StopSignal | undefined {
  return received[0];
}
