/** Waiting for a spawned mmcheck to catch its stop signals, so that one sent then is its to handle. */
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/** SigCgt bits (signal number − 1) of SIGHUP, SIGINT and SIGTERM. */
const STOP_MASK = (1n << 0n) | (1n << 1n) | (1n << 14n);

/** Resolves true once `child` catches SIGHUP, SIGINT and SIGTERM, false if it ends first. */
export async function stopSignalsCaught(child: ChildProcess): Promise<boolean> {
  while (child.exitCode === null && child.signalCode === null) {
    try {
      const m = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
      if (m !== null && (BigInt(`0x${m[1]}`) & STOP_MASK) === STOP_MASK) return true;
    } catch {
      // Not started yet, or gone.
    }
    await sleep(1);
  }
  return false;
}
