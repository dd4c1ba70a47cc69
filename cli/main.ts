#!/usr/bin/env node
/**
 * The mmcheck command's entry. Loading the rest of mmcheck takes a few hundred milliseconds:
 * the signals that stop a search are caught before it (cli/signals.ts), so that one sent that
 * early still ends with a report. The commands are in cli/run.ts.
 */
import { catchStopSignals } from "./signals.js";

if (process.argv[2] === "explore") catchStopSignals();
await import("./run.js");
