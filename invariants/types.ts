/** The core's invariant contexts (core/invariant.ts) specialised to the mm model's kernel view. */
import type * as core from "../core/invariant.js";
import type { Kernel } from "../model/kernel.js";

export type { Written } from "../core/invariant.js";
export type Invariant = core.Invariant<Kernel>;
export type StateContext = core.StateContext<Kernel>;
export type StepContext = core.StepContext<Kernel>;
export type DeadlockContext = core.DeadlockContext<Kernel>;
