/**
 * File names of `DirectorySink`: `<UTC time to the microsecond>Z-<seq>-<run id>.<ext>`, e.g.
 * `2026-11-30T09-15-02.123456Z-000000000042-k3f9x2ab.json.gz`. They sort in time order
 * (lexicographic order of fixed-width fields) and never collide: `seq` is unique per logger and
 * the run id is unique per sink instance (process id and random bits).
 */
import * as crypto from "node:crypto"
import type { LogRecord } from "../../LogRecord.js"

const pad = (n: number, width: number): string => String(n).padStart(width, "0")

/** A run id: the process id in base 36 and 4 random base-36 characters (one per sink instance). */
export const makeRunId = (): string => {
  const random = crypto.randomBytes(4).readUInt32BE(0).toString(36).padStart(7, "0").slice(-4)
  return process.pid.toString(36) + random
}

/**
 * The microsecond part. `LogRecord.time` has millisecond resolution, so the three sub-millisecond
 * digits are the record's position among the records of the same millisecond named by this sink
 * (0, 1, 2, ..., held at 999): an order, not a measurement. Records arrive in `seq` order, so the
 * names keep the order of the log calls.
 */
export class MicroClock {
  private lastMs = Number.NaN
  private count = 0

  micros(ms: number): number {
    if (ms !== this.lastMs) {
      this.lastMs = ms
      this.count = 0
    } else if (this.count < 999) {
      this.count++
    }
    return this.count
  }
}

/** `2026-11-30T09-15-02.123456Z`: colons would be illegal on some file systems, dashes sort the same. */
export const timestamp = (ms: number, micros: number): string => {
  const d = new Date(Number.isFinite(ms) ? ms : 0)
  const valid = !Number.isNaN(d.getTime()) && d.getUTCFullYear() >= 0 && d.getUTCFullYear() <= 9999
  const date = valid ? d : new Date(0)
  return `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}T` +
    `${pad(date.getUTCHours(), 2)}-${pad(date.getUTCMinutes(), 2)}-${pad(date.getUTCSeconds(), 2)}.` +
    `${pad(date.getUTCMilliseconds(), 3)}${pad(micros, 3)}Z`
}

/** The name of one record's file (without a directory). */
export const fileName = (record: LogRecord, micros: number, runId: string, extension: string): string =>
  `${timestamp(record.time, micros)}-${pad(Number.isSafeInteger(record.seq) && record.seq >= 0 ? record.seq : 0, 12)}-${runId}.${extension}`

/** Matches our names (what a reader and a cleanup may rely on). */
export const NAME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{6}Z-\d{12,}-[0-9a-z]+(?:-\d+)?\.[A-Za-z0-9.]+$/

/** The UTC date of a time, `2026-11-30` (the `groupBy: "date"` subdirectory). */
export const utcDate = (ms: number): string => timestamp(ms, 0).slice(0, 10)

const SAFE = /^[A-Za-z0-9_.-]$/
const MAX_SEGMENT = 120

/**
 * A directory name for any annotation value that cannot leave its parent: characters outside
 * `[A-Za-z0-9_.-]` are percent-encoded (as UTF-8), a leading dot is encoded (no `.`, `..` or
 * hidden names), the empty value is `%empty`, a missing one `%none`, and a name longer than
 * 120 characters is cut and suffixed with `~` and a hash of the whole value (distinct values
 * stay distinct).
 */
export const segment = (value: unknown): string => {
  if (value === undefined) return "%none"
  const text = typeof value === "string" ? value : safeText(value)
  if (text.length === 0) return "%empty"
  let out = ""
  for (const char of text) {
    if (SAFE.test(char) && !(out.length === 0 && char === ".")) {
      out += char
    } else {
      for (const byte of Buffer.from(char, "utf8")) out += "%" + byte.toString(16).toUpperCase().padStart(2, "0")
    }
    if (out.length > MAX_SEGMENT * 4) break
  }
  if (out.length <= MAX_SEGMENT) return out
  const hash = crypto.createHash("sha256").update(text).digest("hex").slice(0, 16)
  return `${out.slice(0, MAX_SEGMENT - 17)}~${hash}`
}

const safeText = (value: unknown): string => {
  try {
    return typeof value === "object" && value !== null ? JSON.stringify(value) ?? String(value) : String(value)
  } catch {
    return Object.prototype.toString.call(value)
  }
}
