/**
 * The mmcheck command as a function of its arguments (cli/main.ts runs it for the process):
 * writes to stdout and stderr, returns the exit code. Exit codes: 0 pass, 1 violation, 2 bad
 * input or usage (one line on stderr, no stack, no report), 3 incomplete, 4 a bug in mmcheck.
 */
import { ReportError } from "../reports/read.js";
import { TraceError } from "../reports/itf.js";
import { TOOL } from "../base/tool.js";
import { ScenarioError } from "../scenarios/load.js";
import { CheckpointError } from "../explorer/checkpoint.js";
import { OutputError } from "../base/output.js";
import { UsageError } from "./args.js";
import { conformCommand, hostCommand } from "./conform.js";
import { EXIT, exploreCommand } from "./explore.js";
import { listCommand } from "./list.js";
import { replayCommand } from "./replay.js";

const INTERNAL_ERROR = 4;

const USAGE = `mmcheck ${TOOL.version}: a model checker for the Linux kernel's hugetlb code

usage:
  mmcheck explore --scenario NAME|PATH [--variant NAME] [--workers N] [--report PATH]
                  [--max-states N] [--max-depth N] [--max-memory SIZE]
                  [--checkpoint FILE] [--resume FILE] [--params NAME=N,...]
                  [--kernel zeroPage=mapped|forbidden] [--no-progress]
      Explores every interleaving of the scenario's threads under the variant (default: modern),
      with N worker threads (default: one per core; at most 4 per core). --kernel configures the kernel (how it was
      built and booted; it overrides the scenario's kernel:). On a violation prints the race diagram and
      writes the report (default ./mmcheck-report.json); otherwise writes a report only with
      --report, or after a stop signal (SIGINT, SIGTERM, SIGHUP: exit 3, a partial report).
      --checkpoint writes a checkpoint every minute and when a bound or a signal stops the
      search; --resume continues from one of the same scenario content, variant and parameters.
      --report and --checkpoint must name a regular file or a new one (a symbolic link is
      followed); they are checked before the search. --params sets the scenario's parameters.
      --max-memory bounds the process's resident memory (K, M or G suffix).
  mmcheck list [--json] [--findings | --steps]
      The shipped scenarios, the variants and the invariants, one line each; --findings the bugs
      of today's kernel mmcheck found; --steps every step of the model (label, kernel function,
      file, the variants that can run it).
  mmcheck replay REPORT
      Re-executes a report's counterexample and checks the violation again.
  mmcheck conform [--scenario NAME|PATH] [--json] [--strict] [--record DIR]
      Profiles this host's kernel, runs the conformance scenarios on it (root, hugetlb) and in
      the model configured as that kernel, and compares them step by step; exit 1 on any
      difference. A scenario whose requires: the host does not meet is "not covered" (a failure
      with --strict). --record writes the kernel side, with the profile, into DIR. Exit 3 when
      SIGINT, SIGTERM or SIGHUP stopped it (everything put back), 5 when the hugetlb pool or
      mount could not be put back.
  mmcheck host [--json]      (also: mmcheck conform --host)
      This host's kernel profile: zero page, THP, huge page sizes, kpagecount, overcommit.

exit codes: 0 pass (exhaustive, every invariant held; "not applicable" when the run never reaches
the code the variant changes) or a replayed trace ran clean; 1 a violation;
2 bad input or usage; 3 incomplete (a bound or a signal stopped the search, nothing violated); 4 internal error`;

async function run(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "--help" || command === "-h" || rest.includes("--help") || rest.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  if (command === "--version") {
    console.log(TOOL.version);
    return 0;
  }
  const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  switch (command) {
    case "explore":
      return exploreCommand(rest, color);
    case "list":
      return listCommand(rest);
    case "replay":
      return replayCommand(rest, color);
    case "conform":
      return conformCommand(rest);
    case "host":
      return hostCommand(rest);
    case undefined:
      throw new UsageError("command: missing (explore, list, replay, conform or host; see mmcheck --help)");
    default:
      throw new UsageError(`command: unknown command "${command}" (explore, list, replay, conform or host; see mmcheck --help)`);
  }
}

export async function mmcheck(argv: readonly string[]): Promise<number> {
  try {
    return await run(argv);
  } catch (e) {
    if (
      e instanceof UsageError ||
      e instanceof ScenarioError ||
      e instanceof ReportError ||
      e instanceof TraceError ||
      e instanceof CheckpointError ||
      e instanceof OutputError
    ) {
      process.stderr.write(`mmcheck: ${e.message.replace(/\s*\n\s*/g, " ")}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`mmcheck: internal error (a bug in mmcheck, not in your input):\n${(e as Error).stack ?? String(e)}\n`);
    return INTERNAL_ERROR;
  }
}
