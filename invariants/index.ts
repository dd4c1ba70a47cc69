/** Every invariant, in the order they are checked (the first that fails names the violation). */
import { cowIsolation } from "./cow-isolation.js";
import { deadlock } from "../core/deadlock.js";
import { expectedResult } from "./expected-result.js";
import { kernelSplat } from "./kernel-splat.js";
import { lockBalance } from "./lock-balance.js";
import { pageCacheCoherence } from "./page-cache-coherence.js";
import { poolCounters } from "./pool-counters.js";
import { pteSameGuard } from "./pte-same-guard.js";
import { refcountBalance } from "./refcount-balance.js";
import { reservationConservation } from "./reservation-conservation.js";
import { reservedFaultSucceeds } from "./reserved-fault-succeeds.js";
import { resultGuarantee } from "./result-guarantee.js";
import { truncateCoherence } from "./truncate-coherence.js";
import { uninitialised } from "./uninitialised.js";
import { zapFaultSerializable } from "./zap-fault-serializable.js";
import { zeroPage } from "./zero-page.js";
import type { Invariant } from "./types.js";

export const INVARIANTS: readonly Invariant[] = [
  kernelSplat,
  uninitialised,
  reservationConservation,
  poolCounters,
  refcountBalance,
  pteSameGuard,
  lockBalance,
  deadlock,
  cowIsolation,
  zeroPage,
  pageCacheCoherence,
  reservedFaultSucceeds,
  truncateCoherence,
  zapFaultSerializable,
  resultGuarantee,
  expectedResult,
];
