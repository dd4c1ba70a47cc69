/**
 * A view of one peer-model state as the kernel objects the spec names: the pool counters, the
 * inode (i_size, page cache, reserve map, fault mutexes), the two processes' ptes, the pages'
 * refcounts and mapcounts, and the threads. Steps read and write the state only through it;
 * underneath, every field is a word of one Int32Array (layout.ts), written through w().
 */
import { StateView } from "../../core/state-view.js";
import * as L from "./layout.js";
import { PeerLayout } from "./layout.js";

export class PeerState extends StateView {
  readonly L: PeerLayout;

  constructor(n: number, a?: Int32Array, layout?: PeerLayout) {
    const lay = layout ?? new PeerLayout(n);
    super(a ?? new Int32Array(lay.size));
    this.L = lay;
  }

  /** A view of another state array of the same model. */
  view(a: Int32Array): PeerState {
    return new PeerState(this.L.n, a, this.L);
  }

  // ---- struct hstate ------------------------------------------------------------------
  /** HugePages_Free. */
  get free(): number {
    return this.a[L.FREE]!;
  }
  set free(v: number) {
    this.w(L.FREE, v);
  }
  /** HugePages_Rsvd. */
  get resv(): number {
    return this.a[L.RESV]!;
  }
  set resv(v: number) {
    this.w(L.RESV, v);
  }
  /** HugePages_Total: the pool never grows or shrinks here. */
  get total(): number {
    return this.L.pages;
  }

  // ---- the inode of F -----------------------------------------------------------------
  /** i_size, in huge pages. */
  get isize(): number {
    return this.a[L.ISIZE]!;
  }
  set isize(v: number) {
    this.w(L.ISIZE, v);
  }
  cache(i: number): number {
    return this.a[this.L.cache(i)]!;
  }
  set_cache(i: number, g: number): void {
    this.w(this.L.cache(i), g);
  }
  region(i: number): number {
    return this.a[this.L.region(i)]!;
  }
  set_region(i: number, v: number): void {
    this.w(this.L.region(i), v);
  }
  consumed(i: number): number {
    return this.a[this.L.consumed(i)]!;
  }
  set_consumed(i: number, v: number): void {
    this.w(this.L.consumed(i), v);
  }
  /** hugetlb_fault_mutex_table[hash(F, i)]: L.MUTEX_FREE or L.MUTEX_HELD. */
  mutex(i: number): number {
    return this.a[this.L.mutex(i)]!;
  }
  /** mutex_lock at the start of a step: false means the step is blocked. */
  mutex_trylock(i: number): boolean {
    if (this.mutex(i) !== L.MUTEX_FREE) return false;
    this.w(this.L.mutex(i), L.MUTEX_HELD);
    return true;
  }
  mutex_unlock(i: number): void {
    this.w(this.L.mutex(i), L.MUTEX_FREE);
  }

  // ---- page tables of A and B ---------------------------------------------------------
  /** The page pte[p][i] maps, 0 for none. */
  pte(p: number, i: number): number {
    return this.a[this.L.pte(p, i)]!;
  }
  set_pte(p: number, i: number, g: number): void {
    this.w(this.L.pte(p, i), g);
  }

  // ---- struct folio -------------------------------------------------------------------
  ref(g: number): number {
    return this.a[this.L.ref(g)]!;
  }
  set_ref(g: number, v: number): void {
    this.w(this.L.ref(g), v);
  }
  mapc(g: number): number {
    return this.a[this.L.mapc(g)]!;
  }
  set_mapc(g: number, v: number): void {
    this.w(this.L.mapc(g), v);
  }

  // ---- threads ------------------------------------------------------------------------
  /** The operation thread t is in: for T1 and T2, the spec's k (faults completed). */
  thread_op(t: number): number {
    return this.a[this.L.thread(t) + L.TH_OP]!;
  }
  thread_pc(t: number): number {
    return this.a[this.L.thread(t) + L.TH_PC]!;
  }
  /** The process whose page tables fault thread t fills. */
  fault_mm(t: number): number {
    return t === L.T1 ? L.A : L.B;
  }
  /** The index fault thread t is at: T1 goes 0, 1, …, N−1; T2 goes N−1, …, 0. */
  fault_index(t: number): number {
    return t === L.T1 ? this.thread_op(t) : this.L.n - 1 - this.thread_op(t);
  }
  hold(t: number): number {
    return this.a[this.L.thread(t) + L.TH_LOCALS + L.L_HOLD]!;
  }
  set_hold(t: number, g: number): void {
    this.w(this.L.thread(t) + L.TH_LOCALS + L.L_HOLD, g);
  }
  j(t: number): number {
    return this.a[this.L.thread(t) + L.TH_LOCALS + L.L_J]!;
  }
  set_j(t: number, v: number): void {
    this.w(this.L.thread(t) + L.TH_LOCALS + L.L_J, v);
  }
  freed(t: number): number {
    return this.a[this.L.thread(t) + L.TH_LOCALS + L.L_FREED]!;
  }
  set_freed(t: number, v: number): void {
    this.w(this.L.thread(t) + L.TH_LOCALS + L.L_FREED, v);
  }

  /** The state's variables by name (ITF traces, bench/peer/run.ts): per index, per page, per thread. */
  fields(): Record<string, number | number[] | Record<string, number>> {
    const idx = (f: (i: number) => number) => Array.from({ length: this.L.n }, (_, i) => f(i));
    const pg = (f: (g: number) => number) => Array.from({ length: this.L.pages }, (_, g) => f(g + 1));
    const th = (t: number) => ({ op: this.thread_op(t), pc: this.thread_pc(t) });
    return {
      free: this.free,
      resv: this.resv,
      isize: this.isize,
      cache: idx((i) => this.cache(i)),
      region: idx((i) => this.region(i)),
      consumed: idx((i) => this.consumed(i)),
      mutex: idx((i) => this.mutex(i)),
      pteA: idx((i) => this.pte(L.A, i)),
      pteB: idx((i) => this.pte(L.B, i)),
      ref: pg((g) => this.ref(g)),
      mapc: pg((g) => this.mapc(g)),
      T1: { ...th(L.T1), hold: this.hold(L.T1) },
      T2: { ...th(L.T2), hold: this.hold(L.T2) },
      T3: { ...th(L.T3), j: this.j(L.T3), freed: this.freed(L.T3) },
    };
  }
}
