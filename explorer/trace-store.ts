/**
 * Parent links: for each state id, the id of the state it was first reached from and the
 * thread that moved. Five bytes a state, in blocks that are added as the search grows (never
 * copied to a larger array); a counterexample is rebuilt from them by re-executing the threads
 * from the initial state.
 */
const BLOCK_LOG2 = 16;
const BLOCK = 1 << BLOCK_LOG2;

export class TraceStore {
  private parents: Int32Array[] = [];
  private vias: Uint8Array[] = [];
  /** The first block of a cleared store, for the next search's first links. */
  private first: [Int32Array, Uint8Array] | null = null;
  size = 0;

  get bytes(): number {
    return this.parents.length * BLOCK * 5;
  }

  add(parent: number, thread: number): void {
    const i = this.size & (BLOCK - 1);
    if (i === 0) {
      const reused = this.size === 0 ? this.first : null;
      this.parents.push(reused?.[0] ?? new Int32Array(BLOCK));
      this.vias.push(reused?.[1] ?? new Uint8Array(BLOCK));
    }
    const b = this.size >>> BLOCK_LOG2;
    this.parents[b]![i] = parent;
    this.vias[b]![i] = thread;
    this.size++;
  }

  /** The links, each array in one piece, for a checkpoint. */
  contents(): { parent: Int32Array; via: Uint8Array } {
    const parent = new Int32Array(this.size);
    const via = new Uint8Array(this.size);
    this.parents.forEach((p, b) => {
      const n = Math.min(BLOCK, this.size - b * BLOCK);
      parent.set(p.subarray(0, n), b * BLOCK);
      via.set(this.vias[b]!.subarray(0, n), b * BLOCK);
    });
    return { parent, via };
  }

  /** Empties the store for another search, keeping its first block for it (explorer/scratch.ts): links past `size` are never read. */
  clear(): void {
    this.first = this.parents.length ? [this.parents[0]!, this.vias[0]!] : this.first;
    this.truncate(0);
  }

  /** Keeps the first `size` links only (the states a stopped level added are taken back). */
  truncate(size: number): void {
    this.size = size;
    this.parents.length = this.vias.length = Math.ceil(size / BLOCK);
  }

  static from(parent: Int32Array, via: Uint8Array): TraceStore {
    const t = new TraceStore();
    for (let i = 0; i < parent.length; i++) t.add(parent[i]!, via[i]!);
    return t;
  }

  /** The threads that lead from the initial state (id 0) to state `id`. */
  path(id: number): number[] {
    const out: number[] = [];
    while (id > 0) {
      const b = id >>> BLOCK_LOG2;
      const i = id & (BLOCK - 1);
      out.push(this.vias[b]![i]!);
      id = this.parents[b]![i]!;
    }
    return out.reverse();
  }
}
