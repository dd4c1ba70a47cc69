/**
 * Runs the invariants on a transition, on a state, and on a state where no thread can step.
 * The search steps states in place (ThreadMachine.stepInPlace); the *InPlace/AfterStep calls
 * read what the step wrote from the stepping view's log.
 */
import type { Invariant, StateContext, StepContext, Written } from "../core/invariant.js";
import type { StateView } from "../core/state-view.js";
import type { StepInfo, Transition, TransitionSystem } from "../core/system.js";

export interface Violation {
  readonly invariant: string;
  readonly message: string;
}

/** The words that differ between two states, as a step's log lists them, in `log` (two words a state word). */
export function writtenBetween(before: Int32Array, after: Int32Array, log: Int32Array = new Int32Array(2 * before.length)): Written {
  let logged = 0;
  for (let i = 0; i < before.length; i++)
    if (before[i] !== after[i]) {
      log[logged++] = i;
      log[logged++] = before[i]!;
    }
  return { log, logged };
}

/** A state invariant's context: allDone is worked out only if an invariant asks, once a state. */
class StateCheck<V extends StateView> implements StateContext<V> {
  private s: Int32Array = new Int32Array(0);
  private known = false;
  private done = false;

  constructor(
    private readonly machine: TransitionSystem<V>,
    readonly k: V,
  ) {}

  /** Now the context of state s; `done`: its allDone, if the caller has worked it out. */
  reset(s: Int32Array, done?: boolean): void {
    this.s = s;
    this.known = done !== undefined;
    this.done = done ?? false;
  }

  get allDone(): boolean {
    if (!this.known) {
      this.done = this.machine.allDone(this.s);
      this.known = true;
    }
    return this.done;
  }
}

export class Checker<V extends StateView> {
  private readonly before: V;
  private readonly after: V;
  private readonly stateInvs: Invariant<V>[];
  private readonly stepInvs: Invariant<V>[];
  /** Per state word: bit i set if step invariant i (i < 31) judges a step that writes the word (Invariant.stepWrites). */
  private readonly stepReaders: Int32Array;
  /** Bits of the step invariants that judge every step: they declare neither stepWrites nor onOpEnd. */
  private readonly everyStep: number;
  /** Bits of the step invariants that judge a step ending an operation (Invariant.onOpEnd). */
  private readonly opEnd: number;
  private readonly allSteps: number;
  private readonly deadlockInvs: Invariant<V>[];
  /** Reused for every call: these run once per transition and once per new state. */
  private readonly stepCtx: { before: V; after: V; thread: number; step: StepInfo | null; opEnded: boolean; written: Written };
  private readonly stateCtx: StateCheck<V>;
  /** Per state word: bit i set if state invariant i (i < 31) declares that it reads the word. */
  private readonly readers: Int32Array;
  /** Bits of the state invariants that declare no reads, and so run on every state. */
  private readonly always: number;
  /** Bits of the state invariants that run on every state where every thread is done (Invariant.atEnd). */
  private readonly atEnd: number;
  private readonly all: number;
  /** The state the search steps from in place, for the step invariants (stepFrom()). */
  private readonly beforeStep: Int32Array;
  /** transition()'s list of the words two states differ in, reused. */
  private readonly diff: Int32Array;

  constructor(
    private readonly machine: TransitionSystem<V>,
    invariants: readonly Invariant<V>[],
  ) {
    this.before = machine.view(new Int32Array(0));
    this.after = machine.view(new Int32Array(0));
    this.stateInvs = invariants.filter((i) => i.state);
    this.stepInvs = invariants.filter((i) => i.step);
    this.stepReaders = new Int32Array(machine.stateWords);
    let everyStep = 0;
    let opEnd = 0;
    this.stepInvs.forEach((inv, i) => {
      if (i >= 31) return;
      if (!inv.stepWrites && !inv.onOpEnd) everyStep |= 1 << i;
      if (inv.onOpEnd) opEnd |= 1 << i;
      if (inv.stepWrites) for (const off of inv.stepWrites(machine.k)) this.stepReaders[off]! |= 1 << i;
    });
    this.everyStep = everyStep;
    this.opEnd = opEnd;
    this.allSteps = this.stepInvs.length >= 31 ? -1 : (1 << this.stepInvs.length) - 1;
    this.deadlockInvs = invariants.filter((i) => i.deadlock);
    this.stepCtx = { before: this.before, after: this.after, thread: 0, step: null, opEnded: false, written: machine.k };
    this.stateCtx = new StateCheck(machine, this.after);
    this.readers = new Int32Array(machine.stateWords);
    let always = 0;
    let atEnd = 0;
    this.stateInvs.forEach((inv, i) => {
      if (i >= 31) return;
      if (!inv.reads) always |= 1 << i;
      else for (const off of inv.reads(machine.k)) this.readers[off]! |= 1 << i;
      if (inv.reads && inv.atEnd) atEnd |= 1 << i;
    });
    this.always = always;
    this.atEnd = atEnd;
    this.all = this.stateInvs.length >= 31 ? -1 : (1 << this.stateInvs.length) - 1;
    this.beforeStep = new Int32Array(machine.stateWords);
    this.diff = new Int32Array(2 * machine.stateWords);
  }

  /** The step invariants of the transition from `s` to `next`. */
  transition(s: Int32Array, next: Int32Array, tr: Transition): Violation | null {
    if (this.stepInvs.length === 0) return null;
    return this.stepChecks(s, next, tr, writtenBetween(s, next, this.diff));
  }

  private stepChecks(s: Int32Array, next: Int32Array, tr: Transition, written: Written): Violation | null {
    this.before.a = s;
    this.after.a = next;
    const c = this.stepCtx;
    c.thread = tr.thread;
    c.step = tr.step;
    c.opEnded = tr.opEnded;
    c.written = written;
    // Those the step could break: what it wrote and whether it ended its operation say which.
    let due = this.everyStep | (tr.opEnded ? this.opEnd : 0);
    if (due !== this.allSteps) {
      const log = written.log;
      for (let i = 0; i < written.logged; i += 2) due |= this.stepReaders[log[i]!]!;
    }
    // In the invariants' order: the first that fails names the violation.
    const invs = this.stepInvs;
    for (let i = 0; i < invs.length; i++) {
      if (i < 31 && ((due >>> i) & 1) === 0) continue;
      const m = invs[i]!.step!(c as StepContext<V>);
      if (m) return { invariant: invs[i]!.name, message: m };
    }
    return null;
  }

  /**
   * The search steps from `s` next, each step in place and undone after it: the step
   * invariants will compare each step's state with this copy of `s`.
   */
  stepFrom(s: Int32Array): void {
    if (this.stepInvs.length > 0) this.beforeStep.set(s);
  }

  /** The step invariants of the step just taken in place in `s`, from the state given to stepFrom(). */
  transitionInPlace(s: Int32Array, tr: Transition): Violation | null {
    if (this.stepInvs.length === 0) return null;
    return this.stepChecks(this.beforeStep, s, tr, this.machine.k);
  }

  state(s: Int32Array): Violation | null {
    return this.check(s, this.all);
  }

  /**
   * The state invariants of `s`, reached by the step just taken in place from a state that
   * passed them all: those that declare their reads run only if the step wrote one of them.
   */
  stateAfterStep(s: Int32Array): Violation | null {
    let due = this.always;
    if (due !== this.all) {
      const k = this.machine.k;
      const log = k.log;
      for (let i = 0; i < k.logged; i += 2) due |= this.readers[log[i]!]!;
      // Those that look at allDone and are not due yet are, where every thread is done.
      if (this.atEnd & ~due) {
        const done = this.machine.allDone(s);
        if (done) due |= this.atEnd;
        return this.check(s, due, done);
      }
    }
    return this.check(s, due);
  }

  /** Runs state invariant i if bit i of `due` is set (from the 32nd on, always); `done`: s's allDone, if known. */
  private check(s: Int32Array, due: number, done?: boolean): Violation | null {
    if (due === 0) return null;
    const c = this.stateCtx;
    c.reset(s, done);
    this.after.a = s;
    const invs = this.stateInvs;
    for (let i = 0; i < invs.length; i++) {
      if (i < 31 && ((due >>> i) & 1) === 0) continue;
      const m = invs[i]!.state!(c);
      if (m) return { invariant: invs[i]!.name, message: m };
    }
    return null;
  }

  /** Called for a state from which no thread could step. */
  stuck(s: Int32Array): Violation | null {
    if (this.machine.allDone(s)) return null;
    const waiting: { thread: number; label: string }[] = [];
    for (let t = 0; t < this.machine.threads; t++) {
      const step = this.machine.nextStep(s, t);
      if (step) waiting.push({ thread: t, label: step.label });
    }
    this.after.a = s;
    for (const inv of this.deadlockInvs) {
      const m = inv.deadlock!({ k: this.after, waiting });
      if (m) return { invariant: inv.name, message: m };
    }
    return null;
  }
}
