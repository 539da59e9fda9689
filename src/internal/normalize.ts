import * as Cause from "effect/Cause"
import * as FiberId from "effect/FiberId"
import * as HashMap from "effect/HashMap"
import * as List from "effect/List"
import type * as Logger from "effect/Logger"
import * as os from "node:os"
import type { LogRecord } from "../LogRecord.js"
import { ENTRY_OVERHEAD, QUOTES, SCALAR, stringCost, truncateString, WORST_PER_UNIT } from "./recordSize.js"
import * as Redact from "./redact.js"
import { type Budget, stringify, toSafe } from "./safeJson.js"

/** Objects whose own enumerable keys are merged into `fields`. */
const isPlainObject = (u: unknown): u is Record<string, unknown> => {
  if (u === null || typeof u !== "object") return false
  const proto = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === null
}

const EMPTY: Readonly<Record<string, never>> = Object.freeze({})

/** Default `maxRecordBytes`: 64 KiB. */
export const DEFAULT_MAX_RECORD_BYTES = 65_536
/** Smallest accepted `maxRecordBytes`: the envelope of a record must fit. */
export const MIN_MAX_RECORD_BYTES = 1_024

/** What normalization does besides reshaping: redaction and the size bound. */
export interface NormalizeOptions {
  /** Key paths (see `redact.ts`) replaced by `"[REDACTED]"` in fields and annotations. */
  readonly redact: ReadonlyArray<string>
  /** Upper bound on the bytes of a rendered record (any built-in format). */
  readonly maxRecordBytes: number
}

/** The parts of Effect's logger options that normalization reads. */
export type LogCall =
  & Pick<Logger.Logger.Options<unknown>, "fiberId" | "logLevel" | "message" | "cause" | "spans" | "annotations">
  & {
    /** `date.getTime()`, read at capture while the Date is still in cache. */
    readonly time: number
    /**
     * Set for the common call `Effect.log*("text", { ...fields })`, split at capture: then
     * `message` is the text and this is the snapshot of the object (see `snapshotFields`).
     */
    readonly fields?: Record<string, unknown> | undefined
  }

/**
 * The message of a log call as the queue keeps it: every plain object copied one level deep.
 * A record then shows the values at the call, not at the write (a caller that mutates the
 * object after logging it does not rewrite history), and the caller's own objects die young:
 * kept alive in the queue, they made V8 allocate them straight into old space (see the README).
 */
export const snapshotParts = (parts: unknown): unknown => {
  if (isPlainObject(parts)) return mergeInto({}, parts)
  if (!Array.isArray(parts)) return parts
  for (let i = 0; i < parts.length; i++) {
    if (isPlainObject(parts[i])) return parts.map((part: unknown) => isPlainObject(part) ? mergeInto({}, part) : part)
  }
  return parts
}

/** The fields of the common call `Effect.log*("text", { ...fields })`, or undefined. */
export const snapshotFields = (parts: unknown): Record<string, unknown> | undefined =>
  Array.isArray(parts) && parts.length === 2 && typeof parts[0] === "string" && isPlainObject(parts[1])
    ? mergeInto({}, parts[1])
    : undefined

export type Normalize = (options: LogCall, seq: number) => LogRecord

/**
 * Build the function that turns the options Effect passes to a Logger into a `LogRecord`:
 * message parts joined or merged, then redaction, then the size bound. It runs on the writer
 * fiber, once per record, and never throws (the caller still guards it). Throws only here, at
 * construction, on a malformed redact path.
 */
export const makeNormalize = (options: NormalizeOptions): Normalize => {
  const redactor = Redact.compile(options.redact)
  const maxBytes = options.maxRecordBytes
  return (captured, seq) => {
    const record = reshape(captured, seq)
    const redacted = redactor === undefined ? record : redactRecord(record, redactor)
    return bound(redacted, maxBytes)
  }
}

/** Copy the keys of `from` into `into`; a getter that throws leaves a note instead of failing the record. */
const mergeInto = (into: Record<string, unknown>, from: Record<string, unknown>): Record<string, unknown> => {
  for (const key in from) {
    let value: unknown
    try {
      value = from[key]
    } catch (e) {
      value = `[Getter threw: ${e instanceof Error ? e.message : String(e)}]`
    }
    if (key === "__proto__") {
      Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true })
    } else {
      into[key] = value
    }
  }
  return into
}

// FiberId.threadName builds a set and joins it for every call (~0.3 us); a batch mostly comes
// from a few fibers, and a runtime fiber's id object is the same for its whole life.
let lastFiberId: FiberId.FiberId | undefined
let lastFiberName = ""
const fiberName = (id: FiberId.FiberId): string => {
  if (id !== lastFiberId) {
    lastFiberId = id
    lastFiberName = id._tag === "Runtime" ? "#" + id.id : FiberId.threadName(id)
  }
  return lastFiberName
}

const reshape = (options: LogCall, seq: number): LogRecord => {
  let message = ""
  let fields: Record<string, unknown> | undefined
  let args: Array<unknown> | undefined
  let mergedCopy = false
  const parts = options.message
  if (options.fields !== undefined && typeof parts === "string") {
    message = parts
    fields = options.fields
  } else if (Array.isArray(parts)) {
    for (let i = 0; i < parts.length; i++) {
      const part: unknown = parts[i]
      if (typeof part === "string") {
        message = message.length === 0 ? part : message + " " + part
      } else if (isPlainObject(part)) {
        if (fields === undefined && !mergedCopy) {
          // one merge object: use it as is (the queue holds a snapshot, see snapshotParts)
          fields = part
        } else {
          if (!mergedCopy) {
            fields = mergeInto({}, fields ?? {})
            mergedCopy = true
          }
          mergeInto(fields!, part)
        }
      } else {
        ;(args ??= []).push(part)
      }
    }
  } else if (typeof parts === "string") {
    message = parts
  } else if (isPlainObject(parts)) {
    // already a copy: the queue holds a snapshot (see snapshotParts)
    fields = parts
  } else if (parts !== undefined) {
    args = [parts]
  }
  if (args !== undefined) {
    fields = mergedCopy || fields === undefined ? (fields ?? {}) : mergeInto({}, fields)
    fields.args = args
  }
  let annotations: Record<string, unknown> = EMPTY
  if (HashMap.size(options.annotations) > 0) {
    annotations = {}
    for (const [key, value] of options.annotations) annotations[key] = value
  }
  let spans: Record<string, number> = EMPTY
  if (!List.isNil(options.spans)) {
    spans = {}
    const now = options.time
    for (const span of options.spans) spans[span.label] = now - span.startTime
  }
  return new NormalizedRecord(
    seq,
    options.time,
    options.logLevel.label,
    message,
    fields ?? EMPTY,
    annotations,
    spans,
    fiberName(options.fiberId),
    Cause.isEmpty(options.cause) ? undefined : renderCause(options.cause)
  )
}

/** A class, not an object literal: V8 tracks literal allocation sites and would pretenure this one. */
class NormalizedRecord implements LogRecord {
  constructor(
    readonly seq: number,
    readonly time: number,
    readonly level: LogRecord["level"],
    readonly message: string,
    readonly fields: LogRecord["fields"],
    readonly annotations: LogRecord["annotations"],
    readonly spans: LogRecord["spans"],
    readonly fiber: string,
    readonly cause: string | undefined
  ) {}
}

const redactRecord = (record: LogRecord, redactor: Redact.Redactor): LogRecord => {
  const fields = record.fields === EMPTY ? EMPTY : redactor.apply(record.fields)
  const annotations = record.annotations === EMPTY ? EMPTY : redactor.apply(record.annotations)
  return fields === record.fields && annotations === record.annotations
    ? record
    : { ...record, fields, annotations }
}

// ---------------------------------------------------------------------------------------------
// The size bound (units: see recordSize.ts)

/**
 * Bytes every format may spend around the content: time, level, fiber, seq, pid, hostname,
 * key names and color codes.
 */
const ENVELOPE = 320 + 3 * os.hostname().length

/** A quick upper bound of the cost of a value, or `Infinity` when a walk is needed to know. */
const quickCost = (value: unknown, depth: number, nodes: { n: number }): number => {
  switch (typeof value) {
    case "string":
      return value.length * WORST_PER_UNIT + QUOTES
    case "number":
    case "boolean":
    case "undefined":
      return SCALAR
    case "object":
      break
    default:
      return Infinity
  }
  if (value === null) return SCALAR
  if (depth > 3 || ++nodes.n > 256) return Infinity
  let cost = ENTRY_OVERHEAD
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) cost += ENTRY_OVERHEAD + quickCost(value[i], depth + 1, nodes)
    return cost
  }
  if (!isPlainObject(value)) return Infinity
  for (const key in value) {
    cost += ENTRY_OVERHEAD + key.length * WORST_PER_UNIT + QUOTES + quickCost(value[key], depth + 1, nodes)
  }
  return cost
}

const quickEntriesCost = (obj: Readonly<Record<string, unknown>>): number => {
  let cost = 0
  const nodes = { n: 0 }
  for (const key in obj) {
    cost += ENTRY_OVERHEAD + key.length * WORST_PER_UNIT + QUOTES + quickCost(obj[key], 1, nodes)
    if (cost === Infinity) return cost
  }
  return cost
}

const spansCost = (spans: Readonly<Record<string, number>>): number => {
  let cost = 0
  for (const label in spans) cost += ENTRY_OVERHEAD + stringCost(label) + QUOTES + SCALAR
  return cost
}

/** The record itself when it fits `maxBytes`, else a copy with strings cut and entries dropped. */
const bound = (record: LogRecord, maxBytes: number): LogRecord => {
  const fixed = ENVELOPE + record.fiber.length * WORST_PER_UNIT
  let estimate: number
  try {
    estimate = fixed + record.message.length * WORST_PER_UNIT +
      2 * (record.cause?.length ?? 0) * WORST_PER_UNIT + (record.spans === EMPTY ? 0 : spansCost(record.spans)) +
      (record.fields === EMPTY ? 0 : quickEntriesCost(record.fields)) +
      (record.annotations === EMPTY ? 0 : quickEntriesCost(record.annotations))
  } catch {
    estimate = Infinity // a getter threw: the walk below renders it safely
  }
  return estimate <= maxBytes || fitsExactly(record, maxBytes - fixed) ? record : shrink(record, maxBytes, fixed)
}

/**
 * Whether the record fits `content` by the exact count (a walk of the safe rendering, which
 * stops at the budget). A record that fits is kept as logged: Errors and class instances stay
 * what they are for sinks that read records rather than text.
 */
const fitsExactly = (record: LogRecord, content: number): boolean => {
  const budget: Budget = {
    remaining: content - stringCost(record.message) - QUOTES - spansCost(record.spans) -
      (record.cause === undefined ? 0 : 2 * (stringCost(record.cause) + QUOTES))
  }
  if (budget.remaining <= 0) return false
  if (record.annotations !== EMPTY) toSafe(record.annotations, budget)
  if (record.fields !== EMPTY) toSafe(record.fields, budget)
  return budget.cut !== true && budget.remaining >= 0
}

const entriesOf = (obj: Readonly<Record<string, unknown>>, budget: Budget): Record<string, unknown> => {
  const safe = toSafe(obj, budget)
  return safe !== null && typeof safe === "object" && !Array.isArray(safe)
    ? (safe as Record<string, unknown>)
    : { value: safe }
}

const shrink = (record: LogRecord, maxBytes: number, fixed: number): LogRecord => {
  const content = maxBytes - fixed
  const budget: Budget = { remaining: content }
  const hasMore = record.fields !== EMPTY || record.annotations !== EMPTY || record.cause !== undefined
  // the message keeps at most half of the room when something else wants some
  const messageRoom = hasMore ? Math.floor(content / 2) : content
  const message = truncateString(record.message, messageRoom)
  budget.remaining -= stringCost(message) + QUOTES
  const annotations = record.annotations === EMPTY ? EMPTY : entriesOf(record.annotations, budget)
  const fields = record.fields === EMPTY ? EMPTY : entriesOf(record.fields, budget)
  let spans: Record<string, number> = EMPTY
  if (record.spans !== EMPTY) {
    const cost = spansCost(record.spans)
    if (cost <= budget.remaining) spans = record.spans as Record<string, number>
    else spans = { [`…[${Object.keys(record.spans).length} spans]`]: 0 }
    budget.remaining -= Math.min(cost, spansCost(spans))
  }
  let cause = record.cause
  if (cause !== undefined) {
    // counted twice: pino writes it as err.message (first line) and err.stack
    cause = truncateString(cause, Math.max(0, Math.floor(budget.remaining / 2)) - QUOTES)
    budget.remaining -= 2 * (stringCost(cause) + QUOTES)
  }
  if (budget.remaining < 0) {
    // markers overran the room: keep the message and say what was dropped
    const dropped = stringify({ fields: Object.keys(fields).length, annotations: Object.keys(annotations).length })
    return {
      ...record,
      message: truncateString(message, Math.floor(content / 2)),
      fields: { "…": `[record over ${maxBytes} bytes: entries dropped ${dropped}]` },
      annotations: EMPTY,
      spans: EMPTY,
      cause: cause === undefined ? undefined : truncateString(cause, Math.floor(content / 8))
    }
  }
  return { ...record, message, fields, annotations, spans, cause }
}

// ---------------------------------------------------------------------------------------------
// Cause rendering

/**
 * A `Cause` as text with stacks. Effect's own rendering when every error in it is an `Error`
 * without extra fields (it adds span traces); otherwise each failure and defect rendered safely:
 * an Error's stack, own fields and cause chain, any other value its JSON. The errors of a cause
 * with several (a parallel one) are separated by a blank line (`Format.pino` lists them all).
 */
export const renderCause = (cause: Cause.Cause<unknown>): string => {
  try {
    const errors = [...Cause.failures(cause), ...Cause.defects(cause)]
    const plain = errors.every(isPlainError)
    if (plain && errors.length <= 1) return Cause.pretty(cause, { renderErrorCause: true })
    const parts = errors.map((error) =>
      plain ? Cause.pretty(Cause.fail(error), { renderErrorCause: true }) : renderError(error, [])
    )
    for (const id of Cause.interruptors(cause)) parts.push(`Interrupted by fiber ${FiberId.threadName(id)}`)
    return parts.join("\n\n")
  } catch {
    return "[unrenderable cause]"
  }
}

const isPlainError = (u: unknown): boolean =>
  u instanceof Error && Object.keys(u).length === 0 && (u.cause === undefined || isPlainError(u.cause))

const renderError = (u: unknown, seen: Array<unknown>): string => {
  if (!(u instanceof Error)) return "Error: " + (typeof u === "string" ? u : stringify(u))
  if (seen.includes(u)) return "[Circular]"
  seen.push(u)
  const safe = toSafe(u) as Record<string, unknown>
  const name = String(safe.name ?? "Error")
  const message = typeof safe.message === "string" && safe.message.length > 0 ? safe.message : "An error has occurred"
  const extra: Record<string, unknown> = {}
  for (const key in safe) if (!["name", "message", "stack", "cause"].includes(key)) extra[key] = safe[key]
  let text = `${name}: ${message}`
  if (Object.keys(extra).length > 0) text += " " + JSON.stringify(extra)
  if (typeof safe.stack === "string") {
    const at = safe.stack.indexOf("\n    at ")
    if (at >= 0) text += safe.stack.slice(at)
  }
  const cause = u.cause
  if (cause !== undefined) text += "\n[cause]: " + renderError(cause, seen)
  return text
}
