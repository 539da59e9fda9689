import * as Cause from "effect/Cause"
import * as FiberId from "effect/FiberId"
import * as HashMap from "effect/HashMap"
import * as List from "effect/List"
import type * as Logger from "effect/Logger"
import * as os from "node:os"
import type { LogRecord } from "../LogRecord.js"
import { ENTRY_OVERHEAD, QUOTES, SCALAR, stringCostUpTo, truncateString, WORST_PER_UNIT } from "./recordSize.js"
import * as Redact from "./redact.js"
import { type Budget, stringify, toSafe, toSafeEntries, visitLimit } from "./safeJson.js"

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
    /** The current span's ids and sampled flag at the call (see `capture.ts`); undefined outside a span. */
    readonly traceId?: string | undefined
    readonly spanId?: string | undefined
    readonly traceSampled?: boolean | undefined
  }

/**
 * The message of a log call as the queue keeps it: every plain object copied one level deep.
 * A record then shows the values at the call, not at the write (a caller that mutates the
 * object after logging it does not rewrite history), and the caller's own objects die young:
 * kept alive in the queue, they made V8 allocate them straight into old space (see the README).
 */
export const snapshotParts = (parts: unknown, limit: number): unknown => {
  if (isPlainObject(parts)) return copyOf(parts, limit)
  if (!Array.isArray(parts)) return parts
  // Effect passes the call's arguments as an array: as long as the call, but bounded all the same
  const n = Math.min(parts.length, limit)
  for (let i = 0; i < n; i++) {
    if (isPlainObject(parts[i])) {
      const copy: Array<unknown> = []
      let left = limit // shared by all the parts: `limit` reads for the whole call
      for (let j = 0; j < n; j++) {
        const part: unknown = parts[j]
        if (isPlainObject(part)) {
          const into: Record<string, unknown> = {}
          left = mergeInto(into, part, left)
          copy.push(into)
        } else {
          copy.push(part)
        }
      }
      if (parts.length > n) copy.push(`…[${parts.length - n} more parts]`)
      return copy
    }
  }
  return parts
}

/** The fields of the common call `Effect.log*("text", { ...fields })`, or undefined. */
export const snapshotFields = (parts: unknown, limit: number): Record<string, unknown> | undefined =>
  Array.isArray(parts) && parts.length === 2 && typeof parts[0] === "string" && isPlainObject(parts[1])
    ? copyOf(parts[1], limit)
    : undefined

/**
 * Most keys copied from one object, at the call and when parts are merged: as many entries as a
 * record of `maxRecordBytes` can show (`visitLimit`: 4,160 for the default 64 KiB).
 */
export const copyLimit = (maxRecordBytes: number): number => visitLimit(maxRecordBytes)

export type Normalize = (options: LogCall, seq: number) => LogRecord

/**
 * Build the function that turns the options Effect passes to a Logger into a `LogRecord`:
 * message parts joined or merged, then one bounded walk that reads each value once into a safe
 * snapshot, redacting on the way (see `snapshot`). It runs on the writer fiber, once per record,
 * and never throws (the caller still guards it). Throws only here, at construction, on a
 * malformed redact path.
 */
export const makeNormalize = (options: NormalizeOptions): Normalize => {
  const redact = Redact.compile(options.redact)
  const maxBytes = options.maxRecordBytes
  const limit = copyLimit(maxBytes)
  return (captured, seq) => snapshot(reshape(captured, seq, maxBytes, limit), maxBytes, redact)
}

/**
 * Copy the keys of `from` into `into`, `left` of them at most (then a `"…"` entry says more were
 * left out): reads at most that many properties, whatever the object's size. Returns how many
 * reads are left. A getter that throws leaves a note instead of failing the record.
 */
const mergeInto = (into: Record<string, unknown>, from: Record<string, unknown>, left: number): number => {
  for (const key in from) {
    if (left-- <= 0) {
      setKey(into, "…", "[more keys]")
      break
    }
    let value: unknown
    try {
      value = from[key]
    } catch (e) {
      value = `[Getter threw: ${e instanceof Error ? String(e.message).slice(0, 200) : "unknown"}]`
    }
    setKey(into, key, value)
  }
  return left
}

/** A copy of `from`'s first `limit` keys. */
const copyOf = (from: Record<string, unknown>, limit: number): Record<string, unknown> => {
  const into: Record<string, unknown> = {}
  mergeInto(into, from, limit)
  return into
}

const setKey = (into: Record<string, unknown>, key: string, value: unknown): void => {
  if (key === "__proto__") {
    Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true })
  } else {
    into[key] = value
  }
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

const reshape = (options: LogCall, seq: number, maxBytes: number, limit: number): LogRecord => {
  let message = ""
  let fields: Record<string, unknown> | undefined
  let args: Array<unknown> | undefined
  let mergedCopy = false
  let left = limit
  const parts = options.message
  if (options.fields !== undefined && typeof parts === "string") {
    message = parts
    fields = options.fields
  } else if (Array.isArray(parts)) {
    const n = Math.min(parts.length, limit)
    for (let i = 0; i < n; i++) {
      const part: unknown = parts[i]
      if (typeof part === "string") {
        message = message.length === 0 ? part : message + " " + part
      } else if (isPlainObject(part)) {
        if (fields === undefined && !mergedCopy) {
          // one merge object: use it as is (the queue holds a snapshot, see snapshotParts)
          fields = part
        } else {
          if (!mergedCopy) {
            const merged: Record<string, unknown> = {}
            left = mergeInto(merged, fields ?? {}, left)
            fields = merged
            mergedCopy = true
          }
          left = mergeInto(fields!, part, left)
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
    fields = mergedCopy || fields === undefined ? (fields ?? {}) : copyOf(fields, limit)
    fields.args = args
  }
  let annotations: Record<string, unknown> = EMPTY
  if (HashMap.size(options.annotations) > 0) {
    annotations = {}
    let entries = 0
    for (const [key, value] of options.annotations) {
      if (++entries > limit) {
        annotations["…"] = "[more keys]"
        break
      }
      setKey(annotations, key, value)
    }
  }
  let spans: Record<string, number> = EMPTY
  if (!List.isNil(options.spans)) {
    spans = {}
    const now = options.time
    let count = 0
    for (const span of options.spans) {
      if (++count > limit) break // the rest would be cut by the size bound anyway
      setKey(spans, span.label, now - span.startTime)
    }
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
    Cause.isEmpty(options.cause) ? undefined : renderCause(options.cause, maxBytes),
    options.traceId,
    options.spanId,
    options.traceSampled
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
    readonly cause: string | undefined,
    readonly traceId: string | undefined,
    readonly spanId: string | undefined,
    readonly traceSampled: boolean | undefined
  ) {}
}

// ---------------------------------------------------------------------------------------------
// The snapshot: safe, redacted and bounded (units: see recordSize.ts)

/**
 * Bytes every format may spend around the content: time, level, fiber, seq, pid, hostname,
 * key names and color codes.
 */
const ENVELOPE = 320 + 3 * os.hostname().length

/** Bytes of the trace context's keys, quotes and flags: `,"trace_id":"","span_id":"","trace_flags":"01"`. */
const TRACE_KEYS = 64

/**
 * The cost of an object whose values are all strings, numbers, booleans, null or undefined (the
 * common record), or `Infinity` when any value is something else or it has too many keys. Such
 * an object, the caller's own copy (data properties, read once), is already a safe snapshot.
 */
const flatCost = (obj: Readonly<Record<string, unknown>>, limit: number): number => {
  let cost = 0
  let keys = 0
  for (const key in obj) {
    const value = obj[key]
    switch (typeof value) {
      case "string":
        cost += value.length * WORST_PER_UNIT + QUOTES
        break
      case "number":
      case "boolean":
      case "undefined":
        cost += SCALAR
        break
      case "object":
        if (value === null) {
          cost += SCALAR
          break
        }
        return Infinity
      default:
        return Infinity
    }
    cost += ENTRY_OVERHEAD + key.length * WORST_PER_UNIT + QUOTES
    if (++keys > limit) return Infinity
  }
  return cost
}

/** The cost of the spans (labels counted up to `limit`). */
const spansCost = (spans: Readonly<Record<string, number>>, limit: number): number => {
  let cost = 0
  for (const label in spans) {
    cost += ENTRY_OVERHEAD + stringCostUpTo(label, limit) + QUOTES + SCALAR
    if (cost > limit) return cost
  }
  return cost
}

/**
 * The record as sinks and formats see it. The common record (no redaction, flat values, within
 * `maxBytes` at the worst cost per character) is kept as captured. Any other is rebuilt: its
 * fields and annotations walked once (`toSafeEntries`: each value read once, `toJSON` resolved,
 * redact paths applied on what is read, at most `visitLimit(budget)` entries visited), then the
 * message and cause cut to the room left. Formats render only this snapshot, so what they write
 * is what was redacted, whatever getters, Proxies or `toJSON` do on a second read.
 */
const snapshot = (record: LogRecord, maxBytes: number, redact: Redact.RedactNode | undefined): LogRecord => {
  let fixed = ENVELOPE + record.fiber.length * WORST_PER_UNIT
  // the trace context's keys ("trace_id", "span_id", "trace_flags") and its ids
  if (record.traceId !== undefined) {
    fixed += TRACE_KEYS + (record.traceId.length + (record.spanId?.length ?? 0)) * WORST_PER_UNIT
  }
  const content = maxBytes - fixed
  const keyLimit = visitLimit(content)
  if (redact === undefined) {
    let estimate: number
    try {
      estimate = fixed + record.message.length * WORST_PER_UNIT +
        2 * (record.cause?.length ?? 0) * WORST_PER_UNIT +
        (record.spans === EMPTY ? 0 : spansCost(record.spans, maxBytes)) +
        (record.fields === EMPTY ? 0 : flatCost(record.fields, keyLimit)) +
        (record.annotations === EMPTY ? 0 : flatCost(record.annotations, keyLimit))
    } catch {
      estimate = Infinity // a hostile object (a Proxy's trap threw): the walk renders what it can
    }
    if (estimate <= maxBytes) return record
  }
  return rebuild(record, maxBytes, content, redact)
}

const rebuild = (record: LogRecord, maxBytes: number, content: number, redact: Redact.RedactNode | undefined) => {
  const hasMore = record.fields !== EMPTY || record.annotations !== EMPTY || record.cause !== undefined
  const messageCost = stringCostUpTo(record.message, content) + QUOTES
  // counted twice: pino writes it as err.message (first line) and err.stack
  const causeCost = record.cause === undefined ? 0 : 2 * (stringCostUpTo(record.cause, content) + QUOTES)
  // room kept for the message and cause whatever the fields take: half and a quarter at most
  const messageReserve = hasMore ? Math.min(messageCost, Math.floor(content / 2)) : messageCost
  const causeReserve = Math.min(causeCost, Math.floor((content - messageReserve) / 2))
  let spans: Readonly<Record<string, number>> = record.spans
  let spansUsed = record.spans === EMPTY ? 0 : spansCost(record.spans, content)
  if (spansUsed > Math.floor(content / 8)) {
    let count = 0
    for (const _ in record.spans) count++
    spans = { [`…[${count} spans]`]: 0 }
    spansUsed = spansCost(spans, content)
  }
  const budget: Budget = { remaining: content - messageReserve - causeReserve - spansUsed }
  const annotations = record.annotations === EMPTY ? EMPTY : toSafeEntries(record.annotations, budget, redact)
  const fields = record.fields === EMPTY ? EMPTY : toSafeEntries(record.fields, budget, redact)
  // what the walk left goes to the message first, then the cause
  const left = budget.remaining + messageReserve + causeReserve
  const message = messageCost <= left - causeCost
    ? record.message
    : truncateString(record.message, Math.max(messageReserve, left - causeCost) - QUOTES)
  const messageUsed = message === record.message ? messageCost : stringCostUpTo(message, content) + QUOTES
  let cause = record.cause
  if (cause !== undefined && causeCost > left - messageUsed) {
    cause = truncateString(cause, Math.max(0, Math.floor((left - messageUsed) / 2)) - QUOTES)
  }
  if (budget.remaining < 0) {
    // markers overran the room: keep the message and say what was dropped
    return new NormalizedRecord(
      record.seq,
      record.time,
      record.level,
      truncateString(message, Math.floor(content / 2)),
      { "…": `[record over ${maxBytes} bytes: entries dropped]` },
      EMPTY,
      EMPTY,
      record.fiber,
      cause === undefined ? undefined : truncateString(cause, Math.floor(content / 8)),
      record.traceId,
      record.spanId,
      record.traceSampled
    )
  }
  return new NormalizedRecord(
    record.seq,
    record.time,
    record.level,
    message,
    fields,
    annotations,
    spans,
    record.fiber,
    cause,
    record.traceId,
    record.spanId,
    record.traceSampled
  )
}

// ---------------------------------------------------------------------------------------------
// Cause rendering

/** Most failures and defects of one `Cause` rendered; more are counted, not shown. */
const CAUSE_ERRORS_LIMIT = 16
/** Most `cause` links followed from one error. */
const CAUSE_CHAIN_LIMIT = 8

/**
 * A `Cause` as text with stacks, within about `maxBytes`. Effect's own rendering when every error
 * in it is an `Error` without extra fields, short enough (it adds span traces); otherwise each
 * failure and defect rendered safely: an Error's stack, own fields and cause chain, any other
 * value its JSON, each through a walk bounded by `maxBytes`. The errors of a cause with several
 * (a parallel one) are separated by a blank line (`Format.pino` lists them all).
 */
export const renderCause = (cause: Cause.Cause<unknown>, maxBytes: number = DEFAULT_MAX_RECORD_BYTES): string => {
  try {
    const { errors, more, interruptors } = causeParts(cause)
    const plain = more === 0 && errors.every((error) => isPlainError(error, maxBytes, 0))
    if (plain && errors.length <= 1) return Cause.pretty(cause, { renderErrorCause: true })
    const budget: Budget = { remaining: maxBytes }
    const parts = errors.map((error) =>
      plain ? Cause.pretty(Cause.fail(error), { renderErrorCause: true }) : renderError(error, [], budget, 0)
    )
    if (more > 0) parts.push(`…[${more} more errors]`)
    for (const id of interruptors) parts.push(`Interrupted by fiber ${FiberId.threadName(id)}`)
    return parts.join("\n\n")
  } catch {
    return "[unrenderable cause]"
  }
}

/**
 * The failures and defects of a `Cause`, visiting at most a bounded number of its nodes (a
 * `Cause` built in a loop can hold millions): the first `CAUSE_ERRORS_LIMIT`, and how many more.
 */
const causeParts = (cause: Cause.Cause<unknown>) => {
  const errors: Array<unknown> = []
  const interruptors: Array<FiberId.FiberId> = []
  let more = 0
  const stack: Array<Cause.Cause<unknown>> = [cause]
  let visits = 0
  while (stack.length > 0) {
    if (++visits > 16 * CAUSE_ERRORS_LIMIT) {
      more += stack.length
      break
    }
    const node = stack.pop()!
    switch (node._tag) {
      case "Fail":
      case "Die": {
        const error = node._tag === "Fail" ? node.error : node.defect
        if (errors.length < CAUSE_ERRORS_LIMIT) errors.push(error)
        else more++
        break
      }
      case "Interrupt":
        if (interruptors.length < CAUSE_ERRORS_LIMIT) interruptors.push(node.fiberId)
        break
      case "Sequential":
      case "Parallel":
        stack.push(node.right, node.left)
        break
    }
  }
  return { errors, more, interruptors }
}

/** An Error Effect's `Cause.pretty` renders faithfully and cheaply: no own fields, short texts, a short plain cause chain. */
const isPlainError = (u: unknown, maxBytes: number, depth: number): boolean => {
  if (!(u instanceof Error) || depth > CAUSE_CHAIN_LIMIT) return false
  for (const _ in u) return false
  const message: unknown = u.message
  const stack: unknown = u.stack
  if (typeof message !== "string" || message.length > maxBytes) return false
  if (stack !== undefined && (typeof stack !== "string" || stack.length > maxBytes)) return false
  const cause: unknown = u.cause
  return cause === undefined || isPlainError(cause, maxBytes, depth + 1)
}

const renderError = (u: unknown, seen: Array<unknown>, budget: Budget, depth: number): string => {
  if (!(u instanceof Error)) return "Error: " + (typeof u === "string" ? truncateString(u, Math.max(budget.remaining, 256)) : JSON.stringify(toSafe(u, budget)))
  if (seen.includes(u)) return "[Circular]"
  if (depth > CAUSE_CHAIN_LIMIT) return "[cause chain too long]"
  seen.push(u)
  const safe = toSafe(u, budget) as Record<string, unknown>
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
  let cause: unknown
  try {
    cause = u.cause
  } catch {
    cause = undefined
  }
  if (cause !== undefined) text += "\n[cause]: " + renderError(cause, seen, budget, depth + 1)
  return text
}
