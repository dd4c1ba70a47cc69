/**
 * The layer under every model: a state is one Int32Array, read directly and written only
 * through w(), which keeps the state's fingerprint (core/fingerprint.ts) current, so the search
 * never rehashes a whole state, and logs the word's old value, so the search can step a state in
 * place and put it back (ThreadMachine.stepInPlace, core/thread-machine.ts) instead of copying it for every transition.
 * A model's view (the mm model's model/kernel.ts, models/peer/state.ts) builds its named fields on it.
 */
import { laneHi, laneLo, ZOBRIST, ZOBRIST_WORDS } from "./fingerprint.js";

export class StateView {
  /** Set to the parent's fingerprint before a step; holds the child's after it. */
  fpHi = 0;
  fpLo = 0;
  /** The words written since begin(): (offset, old value) pairs, `logged` words of them. */
  log: Int32Array = new Int32Array(64);
  logged = 0;

  constructor(public a: Int32Array) {}

  /** Starts a new log: what follows is one step. */
  begin(): void {
    this.logged = 0;
  }

  /** Puts the logged words of `s` back as they were at begin(). */
  undo(s: Int32Array): void {
    const log = this.log;
    for (let i = this.logged - 2; i >= 0; i -= 2) s[log[i]!] = log[i + 1]!;
  }

  w(off: number, value: number): void {
    const v = value | 0;
    const old = this.a[off]!;
    if (old === v) return;
    this.a[off] = v;
    const n = this.logged;
    if (n === this.log.length) this.log = growLog(this.log);
    this.log[n] = off;
    this.log[n + 1] = old;
    this.logged = n + 2;
    if (off < ZOBRIST_WORDS && ((old + 128) | (v + 128)) >>> 8 === 0) {
      const zo = 2 * ((off << 8) | (old & 255));
      const zv = 2 * ((off << 8) | (v & 255));
      this.fpHi = (this.fpHi ^ ZOBRIST[zo]! ^ ZOBRIST[zv]!) >>> 0;
      this.fpLo = (this.fpLo ^ ZOBRIST[zo + 1]! ^ ZOBRIST[zv + 1]!) >>> 0;
      return;
    }
    this.fpHi = (this.fpHi ^ laneHi(off, old) ^ laneHi(off, v)) >>> 0;
    this.fpLo = (this.fpLo ^ laneLo(off, old) ^ laneLo(off, v)) >>> 0;
  }

  // w_fill and w_copy skip the words that already hold their value before calling w(): most
  // do (an operation's locals cleared at its end, the empty VMA slots a link shifts), and w()
  // is not inlined here.
  w_fill(from: number, to: number, v: number): void {
    const x = v | 0;
    const a = this.a;
    for (let i = from; i < to; i++) if (a[i] !== x) this.w(i, x);
  }

  /** Like copyWithin(dst, src, end), word by word in the direction that is safe for overlap. */
  w_copy(dst: number, src: number, end: number): void {
    const n = end - src;
    const a = this.a;
    if (dst < src) {
      for (let i = 0; i < n; i++) if (a[dst + i] !== a[src + i]) this.w(dst + i, a[src + i]!);
    } else for (let i = n - 1; i >= 0; i--) if (a[dst + i] !== a[src + i]) this.w(dst + i, a[src + i]!);
  }
}

function growLog(log: Int32Array): Int32Array {
  const longer = new Int32Array(2 * log.length);
  longer.set(log);
  return longer;
}
