/**
 * The peer model's state as one Int32Array (/work/shared/peer-truncate-race.md, "State"): the
 * spec's variables and nothing else, each at a fixed offset. SPIN and TLC count a state once
 * per distinct valuation of these variables; so must we, so no word may hold anything the spec
 * does not have (no operation results, no lock owners, no page flags).
 */

/** The hstate counters and the file's i_size. */
export const FREE = 0;
export const RESV = 1;
export const ISIZE = 2;
const GLOBALS = 3;

/** The threads: T1 faults process A's pages in order, T2 process B's in reverse, T3 truncates. */
export const T1 = 0;
export const T2 = 1;
export const T3 = 2;
export const THREADS = 3;

/** The two processes mapping the file (MAP_SHARED), indices of pte[p][i]. */
export const A = 0;
export const B = 1;

/**
 * Per thread: the operation it is in (for a fault thread, the spec's k: faults completed; for
 * T3, 1 once its truncate is done), the step in that operation, then the operation's locals.
 */
export const TH_OP = 0;
export const TH_PC = 1;
export const TH_LOCALS = 2;
/** A fault's local: the page it holds a reference on (the spec's hold), 0 for none. */
export const L_HOLD = 0;
/** Truncate's locals: the index remove_inode_hugepages is at, and the pages it freed. */
export const L_J = 0;
export const L_FREED = 1;
export const NR_LOCALS = 2;
export const THREAD_SIZE = TH_LOCALS + NR_LOCALS;

/** The fault mutex of an index is a flag: the spec's mutex has no owner (who holds it follows from the pcs). */
export const MUTEX_FREE = 0;
export const MUTEX_HELD = 1;

export class PeerLayout {
  /** Pages in the file, pages in the pool (P = N), and the size truncate cuts to (S = ⌊N/2⌋). */
  readonly pages: number;
  readonly truncateTo: number;

  readonly cacheBase: number;
  readonly regionBase: number;
  readonly consumedBase: number;
  readonly mutexBase: number;
  readonly pteBase: number;
  readonly refBase: number;
  readonly mapcBase: number;
  readonly threadBase: number;
  readonly size: number;

  constructor(readonly n: number) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`peer model: N must be a positive integer, not ${n}`);
    this.pages = n;
    this.truncateTo = Math.floor(n / 2);
    this.cacheBase = GLOBALS;
    this.regionBase = this.cacheBase + n;
    this.consumedBase = this.regionBase + n;
    this.mutexBase = this.consumedBase + n;
    this.pteBase = this.mutexBase + n;
    this.refBase = this.pteBase + 2 * n;
    this.mapcBase = this.refBase + this.pages;
    this.threadBase = this.mapcBase + this.pages;
    this.size = this.threadBase + THREADS * THREAD_SIZE;
  }

  /** The page-cache slot of index i: a page id, 0 for none. */
  cache(i: number): number {
    return this.cacheBase + i;
  }
  /** The inode's reserve map entry for index i (1: reserved, or was and consumed). */
  region(i: number): number {
    return this.regionBase + i;
  }
  /** Whether a fault has consumed index i's reservation. */
  consumed(i: number): number {
    return this.consumedBase + i;
  }
  mutex(i: number): number {
    return this.mutexBase + i;
  }
  pte(p: number, i: number): number {
    return this.pteBase + p * this.n + i;
  }
  /** Page ids run from 1 to P; 0 is none. */
  ref(g: number): number {
    return this.refBase + g - 1;
  }
  mapc(g: number): number {
    return this.mapcBase + g - 1;
  }
  thread(t: number): number {
    return this.threadBase + t * THREAD_SIZE;
  }
}
