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
import { MergeError } from "../synth/merge.js";
import { UsageError } from "./args.js";
import { conformCommand, hostCommand } from "./conform.js";
import { EXIT, exploreCommand } from "./explore.js";
import { listCommand } from "./list.js";
import { replayCommand } from "./replay.js";


const INTERNAL_ERROR = 4;

/**
 * The commands: each is one entry, with its usage and help; `mmcheck --help` lists them,
 * `mmcheck help CMD` and `mmcheck CMD --help` print one. The flags are parsed by cli/args.ts,
 * not commander: its errors would not be the contract's one line with exit 2, and its help
 * would not say what each command's exit codes mean.
 */
interface Command {
  readonly usage: string;
  readonly summary: string;
  readonly help: string;
  run(args: readonly string[], color: boolean): number | Promise<number>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  explore: {
    usage: `mmcheck explore --scenario NAME|PATH [--variant NAME] [--workers N] [--report PATH]
                [--max-states N] [--max-depth N] [--max-memory SIZE]
                [--checkpoint FILE] [--resume FILE] [--params NAME=N,...]
                [--kernel zeroPage=mapped|forbidden,thp=always|madvise|never,thpZeroPage=0|1]
                [--no-symmetry] [--no-progress]`,
    summary: "search every interleaving of one scenario under one variant",
    help: `Explores every interleaving of the scenario's threads under the variant (default: modern),
with N worker threads (default: one per core; at most 4 per core). --kernel configures the kernel
(how it was built and booted; it overrides the scenario's kernel:). On a violation prints the race
diagram and writes the report (default ./mmcheck-report.json); otherwise writes a report only with
--report, or after a stop signal (SIGINT, SIGTERM, SIGHUP: exit 3, a partial report).
--checkpoint writes a checkpoint every minute and when a bound or a signal stops the search;
--resume continues from one of the same scenario content, variant and parameters. --report and
--checkpoint must name a regular file or a new one (a symbolic link is followed); they are checked
before the search. --params sets the scenario's parameters. --max-memory bounds the process's
resident memory (K, M or G suffix). States that differ only in which slot holds which page are
counted once (same verdicts and counterexamples); --no-symmetry searches each apart.

exit codes: 0 pass (exhaustive, every invariant held; "not applicable" when the run never reaches
the code the variant changes); 1 a violation; 2 bad input or usage; 3 incomplete (a bound or a
signal stopped the search, nothing violated); 4 internal error`,
    run: exploreCommand,
  },
  check: {
    usage: `mmcheck check [--scenario NAME|GLOB|PATH …] [--variant NAME …] [--all-variants]
              [--shard k/N] [--timings SUMMARY] [--max-states N] [--max-depth N]
              [--run-time SECONDS] [--time-budget SECONDS] [--workers N] [--no-symmetry] --out DIR`,
    summary: "the scenario × variant matrix against each scenario's expect:, for CI",
    help: `Runs each scenario (default: every shipped one; --scenario may be given several times, as a
name, a glob such as 'fork-*', or a path) under each variant its expect: names (--variant: those
named instead; --all-variants: every variant), N runs at a time (default: one per core), each
exhaustive unless --max-states, --max-depth or --run-time stops it; --time-budget stops every run
still going that many seconds after the start. Compares each outcome with the expectation:
  held                  the expected pass, or a violation of the expected invariant
  unexpected-violation  a violation where a pass or another invariant was expected
  violation-gone        an expected violation no longer happens
  incomplete            a bound or the time stopped the run
  not-applicable        the variant changes nothing the scenario reaches
  no-expectation        expect: does not name the variant (--all-variants; does not fail)
--shard k/N runs the k-th of N parts of the matrix, dealt by the durations of the summary
--timings names (a previous run's summary.json), so that shards take about as long.
Writes DIR/summary.json, DIR/junit.xml, DIR/step-summary.md (appended to $GITHUB_STEP_SUMMARY
too when it is set), DIR/report.html, and under DIR/reports/ the report of every run that did
not meet its expectation and of every counterexample.

exit codes: 0 every expectation held; 1 some did not (the summary says which); 2 bad input; 4 internal error`,
    // Loaded when asked for: explore's start (which a stop signal may interrupt) does not pay for them.
    run: async (args) => (await import("./check.js")).checkCommand(args),
  },
  merge: {
    usage: "mmcheck merge DIR … --out DIR",
    summary: "join the output folders of shards (check --shard, sweep --shard) into one",
    help: `Reads DIR/summary.json of each folder, all of one format, and joins them into --out: from check
(mmcheck-check/1) one summary, JUnit file, step summary and HTML report, with the shards'
reports; from sweep (mmcheck-sweep/1) the summary and findings one unsharded sweep writes.

exit codes: as the merged command's (check: 0 every expectation held, 1 some did not; sweep: 0
nothing found, 1 a finding, 3 stopped); 2 bad input (an unknown format, a run in two folders)`,
    run: async (args) => (await import("./merge.js")).mergeCommand(args),
  },
  diff: {
    usage: `mmcheck diff VARIANT_A VARIANT_B [--scenario NAME|GLOB|PATH …] [--max-states N]
             [--max-depth N] [--workers N] [--json]`,
    summary: "the scenarios whose verdict or invariant differs between two variants",
    help: `Runs every scenario (default: every shipped one) under both variants and lists each whose
verdict, or violated invariant, differs: for reviewing a patch modelled as a variant.

exit codes: 0 no scenario differs; 1 some do; 2 bad input`,
    run: async (args) => (await import("./diff.js")).diffCommand(args),
  },
  sweep: {
    usage: `mmcheck sweep [--variant NAME] [--against NAME] --threads T --ops K [--pages P]
              [--shard k/N] [--workers N] --out DIR [--no-symmetry] [--no-progress]`,
    summary: "every small scenario up to a bound, each searched exhaustively (scenario synthesis)",
    help: `Every scenario of T threads of at most K operations each, over mappings of P pages (default 1),
from every operation the model has, with thread order and page renaming symmetries removed, each
searched exhaustively under the variant (default: modern). With --against, only scenarios where
the variant fails and NAME holds count. --shard k/N runs the k-th of N fixed slices (mmcheck merge
joins them). --workers N judges blocks of scenarios on N threads (default 1: two measured no faster), merged in
order: the same results for any N. Writes DIR/summary.json and, per distinct failure,
DIR/findings/<id>.yaml and <id>.json (replay it).

exit codes: 0 nothing found; 1 a finding; 2 bad input; 3 stopped (a signal, or a scenario too
large) with nothing found`,
    run: async (args) => (await import("./sweep.js")).sweepCommand(args),
  },
  fuzz: {
    usage: `mmcheck fuzz [--variant NAME] [--against NAME] [--seed S] [--runs N] [--time SECONDS]
             [--path P] [--workers N] --out DIR [--no-symmetry] [--no-progress]`,
    summary: "random scenarios, searched and shrunk to the smallest that fails (scenario synthesis)",
    help: `Random scenarios (2-4 threads of up to 4 operations, mappings of up to 3 pages), each searched
exhaustively when small and by random walks (uniform and PCT) when not; a failure is shrunk (fewer
threads, operations, pages) on the same invariant, then searched for its shortest trace. --runs
(default 100) scenarios, or until --time; the same --seed (default 1) gives the same run; --path
regenerates a finding from the seed and the path its summary gives. --workers N judges the draws on
N threads (default 1: two measured no faster), merged in draw order, shrinking on the main one: the same run for
any N. --against and DIR as for sweep.

exit codes: as for sweep`,
    run: async (args) => (await import("./fuzz.js")).fuzzCommand(args),
  },
  list: {
    usage: "mmcheck list [--json] [--findings | --steps]",
    summary: "the shipped scenarios, variants and invariants, one line each",
    help: `The shipped scenarios, the variants and the invariants, one line each; --findings: the bugs of
today's kernel mmcheck found; --steps: every step of the model (label, kernel function, file, the
variants that can run it).`,
    run: listCommand,
  },
  replay: {
    usage: "mmcheck replay REPORT [--force]",
    summary: "re-execute a report's counterexample and check the violation again",
    help: `Re-executes a report's counterexample and checks the violation again. A scenario file is found
relative to the report's folder; the report records the SHA-256 of the scenario's content, and a
scenario that no longer has it is refused (exit 2) unless --force is given.

exit codes: 1 the recorded violation reproduces exactly; 6 the trace runs but does not end as
recorded (it runs clean, or ends in another invariant or at another depth); 2 bad input (an
edited scenario included)`,
    run: replayCommand,
  },
  conform: {
    usage: "mmcheck conform [--scenario NAME|PATH] [--json] [--strict] [--record DIR]",
    summary: "the model against the live kernel (root, hugetlb)",
    help: `Profiles this host's kernel, runs the conformance scenarios on it (root, hugetlb) and in the
model configured as that kernel, and compares them step by step. A scenario whose requires: the
host does not meet is "not covered" (a failure with --strict). --record writes the kernel side,
with the profile, into DIR.

exit codes: 0 agree; 1 a difference; 2 cannot run here or bad input; 3 SIGINT, SIGTERM or SIGHUP
stopped it (everything put back); 5 the hugetlb pool or mount could not be put back`,
    run: (args) => conformCommand(args),
  },
  host: {
    usage: "mmcheck host [--json]      (also: mmcheck conform --host)",
    summary: "this host's kernel profile",
    help: "This host's kernel profile: zero page, THP, huge page sizes, kpagecount, overcommit.",
    run: (args) => hostCommand(args),
  },
};

const NAMES = Object.keys(COMMANDS).join(", ");

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    `mmcheck ${TOOL.version}: a model checker for the Linux kernel's memory-management code`,
    "",
    "usage: mmcheck COMMAND [flags]     mmcheck help COMMAND (or mmcheck COMMAND --help) for one",
    "",
    ...Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`),
    "",
    "exit codes: 0 pass; 1 a violation or an expectation not held; 2 bad input or usage; 3 incomplete; 4 internal error;",
    "5 conform could not put the hugetlb pool back; 6 replay: the trace does not end as recorded",
  ].join("\n");
}

function commandHelp(name: string): string {
  const c = COMMANDS[name]!;
  return `usage: ${c.usage}\n\n${c.help}`;
}

function command(name: string): Command {
  if (!Object.hasOwn(COMMANDS, name)) throw new UsageError(`command: unknown command "${name}" (${NAMES}; see mmcheck help)`);
  return COMMANDS[name]!;
}

async function run(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) throw new UsageError(`command: missing (${NAMES}; see mmcheck help)`);
  if (name === "--help" || name === "-h") {
    console.log(usage());
    return 0;
  }
  if (name === "--version") {
    console.log(TOOL.version);
    return 0;
  }
  if (name === "help") {
    if (rest.length > 1) throw new UsageError(`${rest[1]}: unexpected argument (mmcheck help COMMAND)`);
    console.log(rest.length ? (command(rest[0]!), commandHelp(rest[0]!)) : usage());
    return 0;
  }
  const c = command(name);
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(commandHelp(name));
    return 0;
  }
  const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  return c.run(rest, color);
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
      e instanceof OutputError ||
      e instanceof MergeError
    ) {
      process.stderr.write(`mmcheck: ${e.message.replace(/\s*\n\s*/g, " ")}\n`);
      // A file that does not parse: the place in it, below the one-line message.
      if (e instanceof ScenarioError && e.frame) process.stderr.write(`${e.frame}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`mmcheck: internal error (a bug in mmcheck, not in your input):\n${(e as Error).stack ?? String(e)}\n`);
    return INTERNAL_ERROR;
  }
}
