/**
 * The sink's types: `SinkError`, `LogSinkService`, `SinkStats`, re-exported by `LogSink.ts`
 * (here so that internal parts such as `fanOut.ts` use them without importing the public module).
 */
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"
import type * as LogLevel from "effect/LogLevel"
import type { LogRecord } from "../LogRecord.js"

/**
 * A sink could not write or flush. `reason` is human readable; `cause` is the
 * underlying error (an errno exception, a socket error, ...).
 *
 * Two optional fields tell the logger what a retry would do:
 * - `retryable: false`: the same batch would fail again (an HTTP 400, a record the peer
 *   refuses): the logger does not retry it and counts the batch as failed at once.
 * - `rejected: n`: the peer took the batch but refused `n` of its records (OTLP's partial
 *   success): the logger counts `n` as failed and the rest as written, and never retries.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { LogSink } from "logfiber"
 *
 * // map whatever a client library throws to a SinkError
 * const send = (body: string) =>
 *   Effect.tryPromise({
 *     try: () => fetch("http://127.0.0.1:9000/logs", { method: "POST", body }),
 *     catch: (cause) => new LogSink.SinkError({ sink: "http", reason: "POST failed", cause })
 *   })
 * ```
 * @since 0.1.0
 */
export class SinkError extends Data.TaggedError("SinkError")<{
  readonly sink: string
  readonly reason: string
  readonly cause?: unknown
  readonly retryable?: boolean | undefined
  readonly rejected?: number | undefined
}> {
  override get message(): string {
    return `${this.sink}: ${this.reason}`
  }
}

/**
 * The service. `write` receives each batch once, in order; `flush` is called after the
 * queue drains (on `AsyncLogger.flush` and at shutdown). `writeSync`, when present, is used
 * for critical records while the queue is full and for records logged during shutdown.
 *
 * @since 0.1.0
 */
export interface LogSinkService {
  readonly name: string
  readonly write: (batch: ReadonlyArray<LogRecord>) => Effect.Effect<void, SinkError>
  readonly flush: Effect.Effect<void, SinkError>
  readonly writeSync?: ((batch: ReadonlyArray<LogRecord>) => void) | undefined
  /** Records below this level are not written by this sink (see `withMinimumLevel`). */
  readonly minimumLevel?: LogLevel.LogLevel | undefined
  /** Per-sink counts, for a sink made of others (`fanOut`). */
  readonly stats?: Effect.Effect<ReadonlyArray<SinkStats>> | undefined
}

/**
 * What one sink of a `fanOut` has done: records `written` (accepted by it), records `failed`
 * (not accepted after its retries), its `retries`, and the `batches` it accepted.
 *
 * @example
 * ```ts
 * const perSink = yield* LogSink.stats // [{ sink: "file(logs/app.log)", written: 10, failed: 0, ... }, ...]
 * ```
 * @since 0.1.0
 */
export interface SinkStats {
  readonly sink: string
  readonly written: number
  readonly failed: number
  readonly retries: number
  readonly batches: number
}
