/**
 * Recorded kernel runs (`mmcheck conform --record DIR`): the kernel side of every scenario on one
 * host, with the host's profile, so that the model can be held against real observations of
 * several kernels on any machine, with no root and no kernel (`replayRecording`). A recording
 * comes only from a live kernel; the model never writes one.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { compare, notCovered, type Comparison } from "./compare.js";
import { HostProfileSchema, kernelConfigOf, unmetRequirement, type HostProfile } from "./host.js";
import { runModel } from "./model.js";
import type { Observation } from "./plan.js";
import { plan } from "./plan.js";
import { ConformInputError, readChecked, type ConformScenario } from "./schema.js";
import { writeAtomic } from "../base/output.js";

const ObservationSchema = z.strictObject({
  ret: z.number().int(),
  errno: z.string().nullable(),
  signal: z.enum(["SIGBUS", "SIGSEGV"]).nullable(),
  counters: z.strictObject({ total: z.number().int(), free: z.number().int(), rsvd: z.number().int(), surp: z.number().int() }).readonly(),
  pages: z
    .array(z.strictObject({ present: z.boolean(), zero: z.boolean(), mapcount: z.number().int() }).readonly())
    .readonly()
    .nullable(),
  vmas: z.string().nullable().optional(),
});

const RecordedScenarioSchema = z.strictObject({
  name: z.string(),
  /** The probe's input as it ran: the recording holds for a scenario whose plan is the same. */
  input: z.string(),
  /** One observation a row; null where the host did not meet the scenario's `requires:`. */
  observations: z.array(ObservationSchema.readonly()).readonly().nullable(),
  notCovered: z.string().nullable(),
});

export const RecordingSchema = z.strictObject({
  format: z.literal("mmcheck-conform-recording/1"),
  recordedAt: z.string(),
  host: HostProfileSchema,
  scenarios: z.array(RecordedScenarioSchema),
});

export type Recording = z.infer<typeof RecordingSchema>;
export type RecordedScenario = z.infer<typeof RecordedScenarioSchema>;

/** The folder of committed recordings (in the source tree, also when run from dist/). */
export function recordingDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, "recordings"), resolve(here, "../../conform/recordings")];
  return candidates.find((d) => existsSync(d)) ?? candidates[0]!;
}

/** A name for a host profile's recording: its release, its zero page, and a hash of the whole profile. */
export function recordingName(host: HostProfile): string {
  const hash = createHash("sha256").update(JSON.stringify(host)).digest("hex").slice(0, 8);
  return `${host.release.replace(/[^A-Za-z0-9._-]/g, "_")}-zero-page-${host.zeroPage}-${hash}.json`;
}

/** Writes a recording into `dir` (created if missing), named after its host; returns the path. */
export function writeRecording(dir: string, rec: Recording): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, recordingName(rec.host));
  writeAtomic(path, [`${JSON.stringify(RecordingSchema.parse(rec), null, 1)}\n`], "--record");
  return path;
}

export function readRecording(path: string): Recording {
  return readChecked(RecordingSchema, () => JSON.parse(readFileSync(path, "utf8")), path, "not a recording");
}

/** The recorded kernel side of one scenario run. */
export function recordScenario(s: ConformScenario, kernel: readonly Observation[] | null, reason: string | null): RecordedScenario {
  return { name: s.name, input: plan(s).input, observations: kernel, notCovered: reason };
}

/**
 * The model against a recorded kernel run of `s`, configured as the recorded host. Throws
 * ConformInputError when the recording no longer fits the scenario (its plan changed, or its
 * `requires:` now says otherwise): the scenario must be recorded again on such a host.
 */
export function replayRecorded(s: ConformScenario, host: HostProfile, rec: RecordedScenario): Comparison {
  const p = plan(s);
  if (rec.input !== p.input)
    throw new ConformInputError(`${s.name}: the scenario's steps changed since it was recorded on ${host.release}: record it again there`);
  // A host that refused io_uring was recorded as not covering the scenario (ioUringRefused).
  if (rec.observations === null && rec.notCovered !== null && s.steps.some((st) => st.op === "io_uring_register_buffers"))
    return notCovered(s, rec.notCovered);
  const reason = unmetRequirement(s.requires, host);
  if ((reason === null) !== (rec.observations !== null))
    throw new ConformInputError(`${s.name}: its requires: changed since it was recorded on ${host.release}: record it again there`);
  if (reason !== null) return notCovered(s, reason);
  if (rec.observations!.length !== p.rows.length)
    throw new ConformInputError(`${s.name}: the recording has ${rec.observations!.length} rows, the plan ${p.rows.length}`);
  return compare(p, rec.observations!, runModel(p, kernelConfigOf(host)));
}
