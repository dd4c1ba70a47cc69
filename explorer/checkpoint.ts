/**
 * Checkpoints of a search between two levels, for long nightly runs: the visited table, the
 * trace store and the level about to be expanded, with the counters that go with them. A
 * resumed search continues exactly where the checkpoint was taken (same states, same order),
 * so its verdict, counts and counterexample are those of an uninterrupted run.
 *
 * A checkpoint cannot lie about what it holds: the file (format version 6) is
 *
 *   0   "mmcheck-ckpt" (12 bytes)   12  version: uint32 LE
 *   16  byte length of the header, and lengths of the table, the trace links and the level in
 *       32-bit words: four uint32 LE
 *   32  SHA-256 of every other byte of the file (0–31 and 64 to the end)
 *   64  the header (JSON), the table's slots (int32), the trace links' parents (int32) and
 *       threads (uint8), the level's entries (fingerprint hi, lo, then the state's words)
 *
 * and the header names what was searched by content (the model's identity: the scenario's
 * resolved content hashed, the variant, the parameters), the model by reference (its name and
 * arguments), and the mmcheck version that wrote it. Reading checks the checksum, the header's fields, and that the links and the level agree
 * with the counters; resuming checks the identity against the search's, and the table's own
 * order (VisitedTable.from).
 */
import { createHash } from "node:crypto";
import { closeSync, fstatSync, openSync, readFileSync } from "node:fs";
import { z } from "zod";
import { writeAtomic } from "../base/output.js";
import { TOOL } from "../base/tool.js";

const MAGIC = "mmcheck-ckpt";
export const CHECKPOINT_VERSION = 6;
const PREFIX = 32;
const BODY = 64;

const count = z.int().min(0);
const HeaderSchema = z.strictObject({
  /** The mmcheck version that wrote it: another's model may number its states differently. */
  tool: z.string(),
  /** What was searched (core/model.ts Model.identity), compared field by field on resume. */
  identity: z.record(z.string(), z.unknown()).nullable(),
  /** The model by reference (core/model.ts ModelRef), as the search's pool threads built it; null for a model built in process only. */
  model: z.strictObject({ name: z.string(), args: z.json() }).nullable(),
  words: z.int().min(1),
  /**
   * The search used the model's symmetry of names (ExploreOptions.symmetry): its table and
   * level hold canonical fingerprints, so a resumed search must use it too. Absent: written
   * before the option existed, without.
   */
  symmetry: z.boolean().default(false),
  depth: count,
  generated: count,
  tableSize: count,
  /** The visited table's home slots (explorer/tables.ts). */
  tableCapacity: z.int().min(1),
  levelIdBase: count,
  levelCount: z.int().min(1),
  /** The labels of the steps taken so far (the search's coverage). */
  coverage: z.array(z.string()),
  /** Of those, the steps that reached code the model counts as changed. */
  changed: z.array(z.string()),
  elapsedMs: z.number().min(0),
});

export type CheckpointHeader = z.infer<typeof HeaderSchema>;

export interface CheckpointData {
  /** The file it was read from, for messages. */
  readonly path?: string;
  readonly header: CheckpointHeader;
  readonly table: Int32Array;
  readonly parent: Int32Array;
  readonly via: Uint8Array;
  readonly level: Int32Array;
}

export class CheckpointError extends Error {
  override name = "CheckpointError";
}

function bytesOf(a: Int32Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Writes the checkpoint atomically (reports/output.ts), its checksum over all it holds. */
export function writeCheckpoint(path: string, d: Omit<CheckpointData, "header" | "path"> & { header: Omit<CheckpointHeader, "tool"> }): void {
  const header = Buffer.from(JSON.stringify({ tool: TOOL.version, ...d.header }));
  const prefix = Buffer.alloc(BODY);
  prefix.write(MAGIC, 0, "latin1");
  prefix.writeUInt32LE(CHECKPOINT_VERSION, 12);
  [header.length, d.table.length, d.parent.length, d.level.length].forEach((n, i) => prefix.writeUInt32LE(n, 16 + 4 * i));
  const body = [header, bytesOf(d.table), bytesOf(d.parent), bytesOf(d.via), bytesOf(d.level)];
  const hash = createHash("sha256").update(prefix.subarray(0, PREFIX));
  for (const b of body) hash.update(b);
  hash.digest().copy(prefix, PREFIX);
  writeAtomic(path, [prefix, ...body], "--checkpoint");
}

export function readCheckpoint(path: string): CheckpointData {
  const fail = (why: string): never => {
    throw new CheckpointError(`--resume: ${path}: ${why}`);
  };
  let buf: Buffer;
  try {
    // Only a regular file: a FIFO or a device would block or never end.
    const fd = openSync(path, "r");
    try {
      if (!fstatSync(fd).isFile()) fail("not a regular file");
      buf = readFileSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    return fail(`cannot read (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
  if (buf.length < BODY || buf.toString("latin1", 0, MAGIC.length) !== MAGIC) fail("not an mmcheck checkpoint");
  const version = buf.readUInt32LE(12);
  if (version !== CHECKPOINT_VERSION) fail(`checkpoint format version ${version}; this mmcheck reads version ${CHECKPOINT_VERSION}`);
  const [hlen, tlen, plen, llen] = [0, 1, 2, 3].map((i) => buf.readUInt32LE(16 + 4 * i)) as [number, number, number, number];
  const expected = BODY + hlen + tlen * 4 + plen * 5 + llen * 4;
  if (buf.length !== expected) fail(`${buf.length} bytes where its lengths say ${expected}: cut short or appended to`);
  const digest = createHash("sha256").update(buf.subarray(0, PREFIX)).update(buf.subarray(BODY)).digest();
  if (!digest.equals(buf.subarray(PREFIX, BODY))) fail("checksum mismatch: the file was changed or damaged after it was written");

  let raw: unknown;
  try {
    raw = JSON.parse(buf.toString("utf8", BODY, BODY + hlen));
  } catch {
    return fail("unreadable header");
  }
  const parsed = HeaderSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return fail(`header: ${issue.path.join(".") || "(top level)"}: ${issue.message}`);
  }
  const header = parsed.data;
  if (header.tool !== TOOL.version) fail(`written by mmcheck ${header.tool}; this is mmcheck ${TOOL.version}`);
  let off = BODY + hlen;
  const take = (bytes: number) => {
    const ab = buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + bytes);
    off += bytes;
    return ab;
  };
  const data = {
    path,
    header,
    table: new Int32Array(take(tlen * 4)),
    parent: new Int32Array(take(plen * 4)),
    via: new Uint8Array(take(plen)),
    level: new Int32Array(take(llen * 4)),
  };
  const problem = inconsistency(data);
  if (problem) fail(`inconsistent: ${problem}`);
  return data;
}

/** What in the checkpoint does not agree with the rest, if anything (the table's own order is checked by VisitedTable.from). */
function inconsistency({ header: h, parent, level }: CheckpointData): string | undefined {
  if (parent.length !== h.levelIdBase + h.levelCount) return `${parent.length} trace links for ${h.levelIdBase} + ${h.levelCount} states`;
  if (h.tableSize !== parent.length) return `tableSize ${h.tableSize} with ${parent.length} trace links`;
  if (level.length !== h.levelCount * (h.words + 2)) return `a level of ${level.length} words for levelCount ${h.levelCount}`;
  if (h.generated < h.tableSize - 1) return `generated ${h.generated} below the ${h.tableSize - 1} states reached`;
  if (parent[0] !== -1) return "the initial state has a parent";
  for (let i = 1; i < parent.length; i++) if (!(parent[i]! >= 0 && parent[i]! < i)) return `state ${i}'s parent ${parent[i]}`;
  // The level's states are at its depth: the first one's trace has that many steps.
  let steps = 0;
  for (let id = h.levelIdBase; id > 0; id = parent[id]!) steps++;
  if (steps !== h.depth) return `depth ${h.depth} for a level whose traces have ${steps} steps`;
  return undefined;
}

/**
 * Why a checkpoint of `saved` cannot resume a search of `current`: the first field that
 * differs, named; undefined if none does. Parameters that give the same scenario content (a
 * default given explicitly) do not count.
 */
export function identityMismatch(saved: CheckpointHeader["identity"], current: Readonly<Record<string, unknown>> | null): string | undefined {
  const a = saved ?? {};
  const b = current ?? {};
  const differs = (key: string) => JSON.stringify(a[key] ?? null) !== JSON.stringify(b[key] ?? null);
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (!differs(key) || (key === "params" && !differs("scenarioSha256"))) continue;
    const [x, y] = [JSON.stringify(a[key] ?? null), JSON.stringify(b[key] ?? null)];
    if (key === "scenarioSha256")
      return `the scenario's content differs (sha256 ${x.slice(1, 13)}… in the checkpoint, ${y.slice(1, 13)}… now): was it edited since?`;
    return `${key} differs: ${x} in the checkpoint, ${y} in this run`;
  }
  return undefined;
}
