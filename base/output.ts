/**
 * Every file mmcheck writes (reports, checkpoints) goes through here, so that none of them can
 * damage what is at its path or be seen half-written: the content goes to a temporary file in
 * the target's own folder, is flushed, and is renamed over the target, which must be a regular
 * file or missing. A device, a folder, a FIFO or a socket at the path is refused (renaming over
 * it would replace `/dev/null` with a file); a symbolic link is followed, and the file it points
 * to is replaced, the link itself left as it is. The temporary file is removed whatever fails.
 */
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, realpathSync, renameSync, rmSync, statSync, writeSync, type Stats } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

/** A path that cannot be written: one line naming the flag, the path and why. Exit 2. */
export class OutputError extends Error {
  override name = "OutputError";
}

/** The code of a failed system call (ENOENT, EACCES, …); undefined for any other error (a bug). */
function errno(e: unknown): string | undefined {
  const err = e as NodeJS.ErrnoException;
  return err?.syscall !== undefined ? err.code : undefined;
}

/** What is at `st`, if it is not something a file can be written over. */
function refusedKind(st: Stats): string | undefined {
  if (st.isFile()) return undefined;
  if (st.isDirectory()) return "a directory";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  if (st.isFIFO()) return "a FIFO";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

/**
 * The file that writing to `path` replaces: `path` itself, or the file a symbolic link there
 * points to. Refuses what must not be replaced, and a folder that does not exist.
 */
export function outputTarget(path: string, flag: string): string {
  const fail = (why: string): never => {
    throw new OutputError(`${flag}: ${path}: ${why}`);
  };
  if (/[/\\]$/.test(path)) fail("names a directory (give a file name)");
  let target = resolve(path);
  let st: Stats | undefined;
  try {
    st = lstatSync(target);
  } catch (e) {
    if (errno(e) !== "ENOENT" && errno(e) !== "ENOTDIR") fail(`cannot be examined (${errno(e) ?? "error"})`);
  }
  if (st?.isSymbolicLink()) {
    try {
      target = realpathSync(target);
      st = statSync(target);
    } catch (e) {
      return fail(`is a symbolic link to nothing (${errno(e) ?? "error"})`);
    }
  }
  const kind = st && refusedKind(st);
  if (kind) fail(`is ${kind}; only a regular file or a new one is written`);
  const dir = dirname(target);
  let dirStat: Stats | undefined;
  try {
    dirStat = statSync(dir);
  } catch {
    // Reported below.
  }
  if (!dirStat?.isDirectory()) throw new OutputError(`${flag}: no directory ${dirname(path)}`);
  return target;
}

function temporaryBeside(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
}

/**
 * Checks before a search that `path` can be written at its end: what is there, and that a file
 * can be created in its folder (a temporary one, removed at once). The file written later.
 */
export function checkOutput(path: string, flag: string): string {
  const target = outputTarget(path, flag);
  const probe = temporaryBeside(target);
  try {
    closeSync(openSync(probe, "wx", 0o644));
  } catch (e) {
    throw new OutputError(`${flag}: ${path}: cannot be written (${errno(e) ?? "error"})`);
  }
  rmSync(probe, { force: true });
  return target;
}

/** Writes `pieces` to `path` atomically (see above); an OutputError if the path cannot be written. */
export function writeAtomic(path: string, pieces: readonly (Uint8Array | string)[], flag: string): void {
  const target = outputTarget(path, flag);
  const tmp = temporaryBeside(target);
  try {
    const fd = openSync(tmp, "wx", 0o644);
    try {
      for (const p of pieces) {
        const bytes = typeof p === "string" ? Buffer.from(p) : p;
        // writeSync may write less than asked for (large pieces): go on from where it stopped.
        for (let at = 0; at < bytes.byteLength; ) at += writeSync(fd, bytes, at, bytes.byteLength - at);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // What is at the path may have changed while the content was written.
    outputTarget(path, flag);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    if (e instanceof OutputError) throw e;
    if (errno(e)) throw new OutputError(`${flag}: ${path}: cannot be written (${errno(e)})`);
    throw e;
  }
}

/** Makes the folder (and its parents) that `flag` names, for the files written into it. */
export function ensureDir(path: string, flag: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (e) {
    throw new OutputError(`${flag}: cannot create the folder ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
