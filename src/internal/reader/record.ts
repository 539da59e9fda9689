import type { Level, LogRecord } from "../../LogRecord.js"

const PINO_LEVELS: Readonly<Record<number, Level>> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" }
const LEVELS: ReadonlySet<string> = new Set(["ALL", "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF"])
const PINO_OWN = new Set(["level", "time", "pid", "hostname", "msg", "fiber", "seq", "spans", "err"])
/** The trace context's keys in `Format.json` and `Format.pino` lines. */
const TRACE_KEYS = new Set(["trace_id", "span_id", "trace_flags"])

const objectOr = (value: unknown): Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : {}

const levelOf = (value: unknown): Level => {
  if (typeof value === "number") return PINO_LEVELS[value] ?? "INFO"
  const upper = typeof value === "string" ? value.toUpperCase() : ""
  return LEVELS.has(upper) ? upper as Level : "INFO"
}

const timeOf = (value: unknown): number =>
  typeof value === "number" ? value : typeof value === "string" ? Date.parse(value) : Number.NaN

/** A parsed line: the record, and whether it was written by `Format.json` (kept verbatim). */
export interface ParsedLine {
  readonly record: LogRecord
  readonly native: boolean
}

/**
 * Read a line written by `Format.json` or `Format.pino` back into a record; `undefined` when
 * the line is not a JSON object.
 */
export const parseLine = (text: string): ParsedLine | undefined => {
  let o: unknown
  try {
    o = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof o !== "object" || o === null || Array.isArray(o)) return undefined
  const obj = o as Record<string, unknown>
  const pino = typeof obj.level === "number" || "msg" in obj
  const seq = typeof obj.seq === "number" ? obj.seq : Number.NaN
  let fields = objectOr(obj.fields)
  let cause = typeof obj.cause === "string" ? obj.cause : undefined
  if (pino) {
    const rest: Record<string, unknown> = {}
    for (const key in obj) if (!PINO_OWN.has(key) && !TRACE_KEYS.has(key)) rest[key] = obj[key]
    fields = rest
    const err = objectOr(obj.err)
    if (typeof err.stack === "string") cause = err.stack
  }
  const record: LogRecord = {
    seq,
    time: timeOf(obj.time),
    level: levelOf(obj.level),
    message: typeof obj.message === "string" ? obj.message : typeof obj.msg === "string" ? obj.msg : "",
    fields,
    annotations: objectOr(obj.annotations),
    spans: objectOr(obj.spans) as Readonly<Record<string, number>>,
    fiber: typeof obj.fiber === "string" ? obj.fiber : "#?",
    cause,
    traceId: typeof obj.trace_id === "string" ? obj.trace_id : undefined,
    spanId: typeof obj.span_id === "string" ? obj.span_id : undefined,
    traceSampled: typeof obj.trace_flags === "string" ? obj.trace_flags !== "00" : undefined
  }
  return { record, native: !pino }
}
