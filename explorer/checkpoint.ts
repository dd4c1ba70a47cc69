/**
 * Checkpoints of a search between two levels, for long nightly runs: the visited table, the
 * trace store and the level about to be expanded, with the counters that go with them. A
 * resumed search continues exactly where the checkpoint was taken (same states, same order),
 * so its verdict, counts and counterexample are those of an uninterrupted run.
 */
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";

const MAGIC = "mmcheck-checkpoint/3";

export interface CheckpointHeader {
  readonly format: typeof MAGIC;
  /** What was being searched: a resumed search must be given the same. */
  readonly model: unknown;
  readonly words: number;
  readonly depth: number;
  readonly generated: number;
  readonly tableSize: number;
  /** The visited table's home slots (explorer/tables.ts). */
  readonly tableCapacity: number;
  readonly levelIdBase: number;
  readonly levelCount: number;
  readonly elapsedMs: number;
}

export interface CheckpointData {
  readonly header: CheckpointHeader;
  readonly table: Int32Array;
  readonly parent: Int32Array;
  readonly via: Uint8Array;
  readonly level: Int32Array;
}

export class CheckpointError extends Error {
  override name = "CheckpointError";
}

/** Writes the checkpoint atomically: a temporary file beside it, then a rename. */
export function writeCheckpoint(path: string, d: Omit<CheckpointData, "header"> & { header: Omit<CheckpointHeader, "format"> }): void {
  const header = Buffer.from(JSON.stringify({ format: MAGIC, ...d.header }));
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    const lengths = new Uint32Array([header.length, d.table.length, d.parent.length, d.level.length]);
    writeSync(fd, new Uint8Array(lengths.buffer));
    writeSync(fd, header);
    for (const a of [d.table, d.parent, d.via, d.level]) writeSync(fd, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    closeSync(fd);
    renameSync(tmp, path);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}

export function readCheckpoint(path: string): CheckpointData {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new CheckpointError(`--resume: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
  const fail = (why: string): never => {
    throw new CheckpointError(`--resume: ${path} is not an mmcheck checkpoint (${why})`);
  };
  if (buf.length < 16) fail("too short");
  const [hlen, tlen, plen, llen] = Array.from(new Uint32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + 16)));
  const expected = 16 + hlen! + tlen! * 4 + plen! * 5 + llen! * 4;
  if (buf.length !== expected) fail(`size ${buf.length}, expected ${expected}`);
  let header: CheckpointHeader;
  try {
    header = JSON.parse(buf.subarray(16, 16 + hlen!).toString("utf8")) as CheckpointHeader;
  } catch {
    return fail("unreadable header");
  }
  if (header.format !== MAGIC) fail(`format ${String(header.format)}`);
  let off = 16 + hlen!;
  const take = (bytes: number) => {
    const ab = buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + bytes);
    off += bytes;
    return ab;
  };
  return {
    header,
    table: new Int32Array(take(tlen! * 4)),
    parent: new Int32Array(take(plen! * 4)),
    via: new Uint8Array(take(plen!)),
    level: new Int32Array(take(llen! * 4)),
  };
}
