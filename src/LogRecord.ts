/**
 * The normalized log record: what every sink and format receives.
 *
 * A record is built once per log call, on the writer fiber, from the options
 * Effect hands to a `Logger`. Strings in the message are joined into `message`;
 * plain objects are merged into `fields` (pino's "merge object"); any other value
 * is kept under `fields.args` in its safe rendering.
 *
 * @example
 * ```ts
 * import type { LogRecord } from "logfiber"
 * const onlyErrors = (batch: ReadonlyArray<LogRecord.LogRecord>) =>
 *   batch.filter((r) => r.level === "ERROR" || r.level === "FATAL")
 * ```
 *
 * @since 0.1.0
 */
import type * as LogLevel from "effect/LogLevel"

/** The level labels Effect uses, upper case. @since 0.1.0 */
export type Level = LogLevel.LogLevel["label"]

/**
 * One normalized record.
 *
 * - `seq`: 1-based position among all records offered to this logger (gaps mean drops).
 * - `time`: epoch milliseconds, from Effect's `Clock` (so `TestClock` controls it).
 * - `level`: `"TRACE" | "DEBUG" | "INFO" | "WARN" | "ERROR" | "FATAL"` (and `"ALL"`/`"OFF"`).
 * - `message`: the string parts of the log call, joined with a space.
 * - `fields`: plain-object parts merged, in call order.
 * - `annotations`: `Effect.annotateLogs` values.
 * - `spans`: `Effect.withLogSpan` label -> elapsed milliseconds.
 * - `fiber`: the fiber id, e.g. `"#12"`.
 * - `cause`: the rendered `Cause` (with stack) when the call carried one.
 * - `traceId`, `spanId`, `traceSampled`: the span the call ran in (`Effect.withSpan`,
 *   `Effect.fn`, an HTTP server span, an OpenTelemetry span), as lowercase hex ids and the
 *   sampled flag; `undefined` outside any span.
 *
 * @since 0.1.0
 */
export interface LogRecord {
  readonly seq: number
  readonly time: number
  readonly level: Level
  readonly message: string
  readonly fields: Readonly<Record<string, unknown>>
  readonly annotations: Readonly<Record<string, unknown>>
  readonly spans: Readonly<Record<string, number>>
  readonly fiber: string
  readonly cause: string | undefined
  readonly traceId?: string | undefined
  readonly spanId?: string | undefined
  readonly traceSampled?: boolean | undefined
}

/**
 * Build a record by hand (tests, custom sinks, replays).
 *
 * @example
 * ```ts
 * import { LogRecord } from "logfiber"
 * const r = LogRecord.make({ message: "hello", fields: { user: 1 } })
 * ```
 * @since 0.1.0
 */
export const make = (parts: Partial<LogRecord> & { readonly message: string }): LogRecord => ({
  seq: parts.seq ?? 0,
  time: parts.time ?? Date.now(),
  level: parts.level ?? "INFO",
  message: parts.message,
  fields: parts.fields ?? {},
  annotations: parts.annotations ?? {},
  spans: parts.spans ?? {},
  fiber: parts.fiber ?? "#0",
  cause: parts.cause,
  traceId: parts.traceId,
  spanId: parts.spanId,
  traceSampled: parts.traceSampled
})
