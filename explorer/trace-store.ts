/**
 * Parent links: for each state id, the id of the state it was first reached from and the
 * thread that moved. Five bytes a state; a counterexample is rebuilt from them by re-executing
 * the threads from the initial state.
 */
export class TraceStore {
  private parent = new Int32Array(1 << 16);
  private via = new Uint8Array(1 << 16);
  size = 0;

  get bytes(): number {
    return this.parent.byteLength + this.via.byteLength;
  }

  add(parent: number, thread: number): void {
    if (this.size === this.parent.length) {
      const p = new Int32Array(this.size * 2);
      p.set(this.parent);
      this.parent = p;
      const v = new Uint8Array(this.size * 2);
      v.set(this.via);
      this.via = v;
    }
    this.parent[this.size] = parent;
    this.via[this.size] = thread;
    this.size++;
  }

  /** The used part of the two arrays, for a checkpoint. */
  contents(): { parent: Int32Array; via: Uint8Array } {
    return { parent: this.parent.subarray(0, this.size), via: this.via.subarray(0, this.size) };
  }

  static from(parent: Int32Array, via: Uint8Array): TraceStore {
    const t = new TraceStore();
    const cap = Math.max(1 << 16, 2 ** Math.ceil(Math.log2(parent.length + 1)));
    t.parent = new Int32Array(cap);
    t.parent.set(parent);
    t.via = new Uint8Array(cap);
    t.via.set(via);
    t.size = parent.length;
    return t;
  }

  /** The threads that lead from the initial state (id 0) to state `id`. */
  path(id: number): number[] {
    const out: number[] = [];
    while (id > 0) {
      out.push(this.via[id]!);
      id = this.parent[id]!;
    }
    return out.reverse();
  }
}
