import * as Cause from "effect/Cause"
import * as FiberId from "effect/FiberId"
import * as HashMap from "effect/HashMap"
import * as List from "effect/List"
import type * as Logger from "effect/Logger"
import type { LogRecord } from "../LogRecord.js"

/** Objects whose own enumerable keys are merged into `fields`. */
const isPlainObject = (u: unknown): u is Record<string, unknown> => {
  if (u === null || typeof u !== "object") return false
  const proto = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === null
}

const EMPTY: Readonly<Record<string, never>> = Object.freeze({})

/**
 * Turn the options Effect passes to a Logger into a `LogRecord`. Runs on the
 * writer fiber, once per record; it must never throw.
 */
export const normalize = (options: Logger.Logger.Options<unknown>, seq: number): LogRecord => {
  let message = ""
  let fields: Record<string, unknown> | undefined
  let args: Array<unknown> | undefined
  let mergedCopy = false
  const parts = options.message
  if (Array.isArray(parts)) {
    for (let i = 0; i < parts.length; i++) {
      const part: unknown = parts[i]
      if (typeof part === "string") {
        message = message.length === 0 ? part : message + " " + part
      } else if (isPlainObject(part)) {
        if (fields === undefined && !mergedCopy) {
          // one merge object: use it as is (records are captured by reference anyway)
          fields = part
        } else {
          if (!mergedCopy) {
            fields = { ...fields }
            mergedCopy = true
          }
          for (const key in part) fields![key] = part[key]
        }
      } else {
        ;(args ??= []).push(part)
      }
    }
  } else if (typeof parts === "string") {
    message = parts
  } else if (isPlainObject(parts)) {
    fields = { ...parts }
  } else if (parts !== undefined) {
    args = [parts]
  }
  if (args !== undefined) {
    fields = mergedCopy || fields === undefined ? (fields ?? {}) : { ...fields }
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
    const now = options.date.getTime()
    for (const span of options.spans) spans[span.label] = now - span.startTime
  }
  return {
    seq,
    time: options.date.getTime(),
    level: options.logLevel.label,
    message,
    fields: fields ?? EMPTY,
    annotations,
    spans,
    fiber: FiberId.threadName(options.fiberId),
    cause: Cause.isEmpty(options.cause) ? undefined : renderCause(options.cause)
  }
}

const renderCause = (cause: Cause.Cause<unknown>): string => {
  try {
    return Cause.pretty(cause, { renderErrorCause: true })
  } catch {
    return "[unrenderable cause]"
  }
}
