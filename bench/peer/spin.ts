/**
 * SPIN on the peer model (bench/peer/peer.pml), on this machine: the benchmark runs it beside
 * mmcheck, interleaved, so that the two are compared under the same load rather than against
 * figures from another day, and a test holds its counts to the spec's table, so that the
 * Promela model is known to be the same state space. Needs `spin` (Debian package spin) and gcc.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The Promela model, in the sources (it is not compiled, so dist/ does not hold it). */
export const PEER_PML = fileURLToPath(new URL(import.meta.url.endsWith(".ts") ? "./peer.pml" : "../../../bench/peer/peer.pml", import.meta.url));

/** Why SPIN cannot run here, or null if it can. */
export function spinMissing(): string | null {
  for (const [tool, flag] of [["spin", "-V"], ["gcc", "--version"]] as const) {
    const r = spawnSync(tool, [flag], { encoding: "utf8" });
    if (r.error || r.status !== 0) return `${tool} is not installed (apt-get install ${tool})`;
  }
  return null;
}

/** A pan verifier for the peer model at N: gcc -O2 as in the peer document, safety properties only (-DSAFETY). */
export class Pan {
  readonly dir: string;
  /** Milliseconds spin -a and gcc took. */
  readonly buildMs: number;

  constructor(readonly n: number) {
    this.dir = mkdtempSync(join(tmpdir(), "mmcheck-spin-"));
    const t0 = performance.now();
    try {
      execFileSync("spin", [`-DN=${n}`, "-a", PEER_PML], { cwd: this.dir, stdio: "pipe" });
      execFileSync("gcc", ["-O2", "-DSAFETY", "-o", "pan", "pan.c"], { cwd: this.dir, stdio: "pipe" });
    } catch (e) {
      this.dispose();
      throw e;
    }
    this.buildMs = performance.now() - t0;
  }

  /**
   * One exhaustive search, depth-first as SPIN does, with a hash table of 2^hashBits slots.
   * SPIN counts the initial state as a transition: `transitions` is its figure less that one,
   * as mmcheck and the spec count them.
   */
  run(hashBits: number): PanRun {
    const t0 = performance.now();
    const out = execFileSync(join(this.dir, "pan"), [`-w${hashBits}`, "-m100000"], { cwd: this.dir, encoding: "utf8", maxBuffer: 1 << 20 });
    const wallMs = performance.now() - t0;
    const num = (re: RegExp, what: string): number => {
      const m = re.exec(out);
      if (!m) throw new Error(`pan's output has no ${what}:\n${out}`);
      return Number(m[1]);
    };
    return {
      wallMs,
      distinct: num(/^\s*(\d+) states, stored/m, "states stored"),
      transitions: num(/^\s*(\d+) transitions \(= stored\+matched\)/m, "transitions") - 1,
      errors: num(/errors: (\d+)/, "error count"),
      memoryMB: num(/^\s*([\d.]+)\s+total actual memory usage/m, "memory usage"),
    };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface PanRun {
  /** The pan process, start to exit: the hash table's allocation included, as mmcheck's setup is in its time. */
  wallMs: number;
  distinct: number;
  transitions: number;
  /** Assertion violations (the spec's invariants) and invalid end states. */
  errors: number;
  /** pan's own figure: state storage, hash table and stack. */
  memoryMB: number;
}
