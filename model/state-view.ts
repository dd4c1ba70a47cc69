/** The core's state view (core/state-view.ts), which the kernel view (kernel.ts) extends. */
export { StateView } from "../core/state-view.js";
