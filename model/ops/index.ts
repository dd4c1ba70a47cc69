/** The operations a scenario can name, each the procedure that models its kernel path. */
import { hugetlbFault } from "../hugetlb/fault.js";
import type { Procedure } from "../types.js";
import { exitMmap } from "./exit.js";
import { fallocatePunchHole } from "./fallocate.js";
import { fork } from "./fork.js";
import { ftruncate } from "./ftruncate.js";
import { mmap } from "./mmap.js";
import { mprotect } from "./mprotect.js";
import { munmap } from "./munmap.js";

export const OPERATIONS: Readonly<Record<string, Procedure>> = {
  mmap,
  fault: hugetlbFault,
  munmap,
  mprotect,
  fork,
  exit: exitMmap,
  ftruncate,
  punch_hole: fallocatePunchHole,
};
