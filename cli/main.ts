#!/usr/bin/env node
/**
 * The mmcheck command's entry. Loading the rest of mmcheck takes a few hundred milliseconds:
 * the signals that stop a search are caught before it (cli/signals.ts), so that one sent that
 * early still ends with a report. The commands are in cli/run.ts.
 */
import { catchStopSignals } from "./signals.js";

if (["explore", "sweep", "fuzz"].includes(process.argv[2] ?? "")) catchStopSignals();
const { mmcheck } = await import("./run.js");
process.exitCode = await mmcheck(process.argv.slice(2));
// Exit as soon as the command is done: left to wind down on its own, Node resets the signals to
// their defaults some milliseconds before it exits, and a stop signal then would kill a run
// whose results are complete, with no exit code.
process.exit();
