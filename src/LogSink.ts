/**
 * The sink service: where batches of records go. Swap it by providing a
 * different Layer (`FileSink.layer`, `ConsoleSink.layer`, `TestSink.layer`, your own).
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { LogSink } from "logfiber"
 *
 * // a sink that counts records
 * let count = 0
 * const CountingSink = Layer.succeed(LogSink.LogSink, LogSink.make({
 *   write: (batch) => Effect.sync(() => { count += batch.length })
 * }))
 * ```
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { LogRecord } from "./LogRecord.js"

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
 * new LogSink.SinkError({ sink: "otlp", reason: "HTTP 400: bad request", retryable: false })
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
}

/**
 * The `LogSink` tag.
 *
 * @since 0.1.0
 */
export class LogSink extends Context.Tag("logfiber/LogSink")<LogSink, LogSinkService>() {}

/**
 * Build a sink from its parts; `flush` defaults to nothing, `name` to `"custom"`.
 *
 * @example
 * ```ts
 * const sink = LogSink.make({ write: (batch) => Effect.sync(() => console.log(batch.length)) })
 * ```
 * @since 0.1.0
 */
export const make = (parts: {
  readonly name?: string
  readonly write: (batch: ReadonlyArray<LogRecord>) => Effect.Effect<void, SinkError>
  readonly flush?: Effect.Effect<void, SinkError>
  readonly writeSync?: (batch: ReadonlyArray<LogRecord>) => void
}): LogSinkService => ({
  name: parts.name ?? "custom",
  write: parts.write,
  flush: parts.flush ?? Effect.void,
  writeSync: parts.writeSync
})

/**
 * Write every batch to all the given sinks, concurrently. The batch fails (and is retried)
 * if any sink fails, so a retry may write a batch twice to the sinks that succeeded:
 * at-least-once per sink.
 *
 * @example
 * ```ts
 * const Both = LogSink.fanOut(FileSink.layer({ path: "logs/app.log" }), ConsoleSink.layer())
 * ```
 * @since 0.1.0
 */
export const fanOut = <E, R>(
  ...sinks: ReadonlyArray<Layer.Layer<LogSink, E, R>>
): Layer.Layer<LogSink, E, R> =>
  Layer.scoped(
    LogSink,
    Effect.gen(function*() {
      const services: Array<LogSinkService> = []
      for (const sink of sinks) {
        const context = yield* Layer.build(sink)
        services.push(Context.get(context, LogSink))
      }
      return fromServices(services)
    })
  )

const fromServices = (services: ReadonlyArray<LogSinkService>): LogSinkService => {
  const syncCapable = services.every((s) => s.writeSync !== undefined)
  return {
    name: `fanOut(${services.map((s) => s.name).join(", ")})`,
    write: (batch) => Effect.forEach(services, (s) => s.write(batch), { concurrency: "unbounded", discard: true }),
    flush: Effect.forEach(services, (s) => s.flush, { concurrency: "unbounded", discard: true }),
    writeSync: syncCapable ? (batch) => services.forEach((s) => s.writeSync!(batch)) : undefined
  }
}
