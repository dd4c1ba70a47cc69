/**
 * A scenario resolved to numbers: the sizes of everything the state holds, and each thread's
 * list of operations. Built by scenarios/load.ts; constant during a search (not in the state).
 */
import type { Procedure } from "./types.js";

/** One call of an operation, with every argument present so that all calls share one shape. */
export interface OpCall {
  readonly op: string;
  readonly procedure: Procedure;
  /** Text for traces and diagrams, e.g. `fault(parent, 2, write)`. */
  readonly text: string;
  /** The process whose mm the operation runs in. */
  readonly proc: number;
  /** Virtual address and length, in huge pages. */
  readonly addr: number;
  readonly len: number;
  /** File (inode) index and offset in it, in huge pages. */
  readonly file: number;
  readonly pgoff: number;
  readonly shared: boolean;
  readonly noreserve: boolean;
  readonly writable: boolean;
  /** A fault's access is a write. */
  readonly write: boolean;
  /** fork: the process slot that becomes the child. */
  readonly child: number;
  /** ftruncate: the new size in huge pages. */
  readonly size: number;
}

export interface FileConfig {
  readonly name: string;
  /** Indices the model tracks: the file never grows past this many huge pages. */
  readonly pages: number;
  readonly isize: number;
}

export interface ThreadConfig {
  readonly name: string;
  readonly proc: number;
  readonly ops: readonly OpCall[];
}

export interface ModelConfig {
  readonly pool: { readonly pages: number; readonly overcommit: number };
  readonly files: readonly FileConfig[];
  readonly processes: readonly { readonly name: string; readonly alive: boolean }[];
  /** Size of each process's address space, in huge pages. */
  readonly addrPages: number;
  /** VMA slots per process: a split needs a free slot. */
  readonly vmaSlots: number;
  /** Private reserve-map slots (one per MAP_PRIVATE mmap that may be live at once). */
  readonly resvMaps: number;
  /** Operations run one after another before the search starts (not part of the state graph). */
  readonly setup: readonly { readonly proc: number; readonly ops: readonly OpCall[] }[];
  readonly threads: readonly ThreadConfig[];
}
