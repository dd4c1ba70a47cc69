#!/usr/bin/env node
/** The mmcheck command (../shared/contract.md): cli/run.ts, with the process's arguments. */
import { mmcheck } from "./run.js";

process.exitCode = await mmcheck(process.argv.slice(2));
