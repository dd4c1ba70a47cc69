/** The operations a scenario can name, each the procedure that models its kernel path. */
import { hugetlbFault } from "../hugetlb/fault.js";
import type { Procedure } from "../types.js";
import { access4k } from "./access.js";
import { exitMmap } from "./exit.js";
import { fallocatePunchHole } from "./fallocate.js";
import { fork } from "./fork.js";
import { ftruncate } from "./ftruncate.js";
import { ftruncate4k } from "./ftruncate4k.js";
import { gup4k } from "./gup.js";
import { dontneed4k } from "./madvise.js";
import { madviseDontneed } from "./madvise_hugetlb.js";
import { mlock4k, munlock4k } from "./mlock.js";
import { mmap } from "./mmap.js";
import { mmap4k } from "./mmap4k.js";
import { mprotect } from "./mprotect.js";
import { munmap } from "./munmap.js";
import { unlink } from "./unlink.js";

export const OPERATIONS: Readonly<Record<string, Procedure>> = {
  mmap,
  fault: hugetlbFault,
  munmap,
  mprotect,
  fork,
  exit: exitMmap,
  ftruncate,
  punch_hole: fallocatePunchHole,
  unlink,
  mmap4k,
  access4k,
  mlock4k,
  munlock4k,
  gup4k,
  dontneed4k,
  ftruncate4k,
  madvise_dontneed: madviseDontneed,
};
