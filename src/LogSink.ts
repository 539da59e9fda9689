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
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import type * as LogLevel from "effect/LogLevel"
import type * as Schedule from "effect/Schedule"
import * as internalFanOut from "./internal/fanOut.js"
import { labelOrdinal, type LevelInput, toLevel } from "./internal/levels.js"
import { defaultRetry } from "./internal/options.js"
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

/** Options of `fanOut`. @since 0.1.0 */
export interface FanOutOptions {
  /** Retry policy of each sink's write, on its own. Default: exponential from 100 ms, 4 retries. */
  readonly retry?: Schedule.Schedule<unknown, unknown> | undefined
}

/**
 * Write every batch to all the given sinks, concurrently and in isolation: each sink retries on
 * its own (`retry`, default exponential from 100 ms, 4 retries) and keeps its own counts, so a
 * failing sink never makes the others write a batch twice. A batch counts as written when at
 * least one sink accepted it; a sink that gave up on it is named on stderr. Per-sink counts:
 * `LogSink.stats` (and `AsyncLogger.stats`'s `sinks`).
 *
 * @example
 * ```ts
 * const Both = LogSink.fanOut(FileSink.layer({ path: "logs/app.log" }), ConsoleSink.layer())
 * const Patient = LogSink.fanOut({ retry: Schedule.spaced("1 second").pipe(Schedule.upTo("1 minute")) },
 *   FileSink.layer({ path: "logs/app.log" }), SyslogLive)
 * ```
 * @since 0.1.0
 */
export function fanOut<E, R>(...sinks: ReadonlyArray<Layer.Layer<LogSink, E, R>>): Layer.Layer<LogSink, E, R>
export function fanOut<E, R>(
  options: FanOutOptions,
  ...sinks: ReadonlyArray<Layer.Layer<LogSink, E, R>>
): Layer.Layer<LogSink, E, R>
export function fanOut<E, R>(
  ...args: ReadonlyArray<FanOutOptions | Layer.Layer<LogSink, E, R>>
): Layer.Layer<LogSink, E, R> {
  const options: FanOutOptions = args.length > 0 && !Layer.isLayer(args[0]) ? (args[0] as FanOutOptions) : {}
  const sinks = args.filter((a): a is Layer.Layer<LogSink, E, R> => Layer.isLayer(a))
  return Layer.scoped(
    LogSink,
    Effect.gen(function*() {
      const services: Array<LogSinkService> = []
      for (const sink of sinks) {
        const context = yield* Layer.build(sink)
        services.push(Context.get(context, LogSink))
      }
      return internalFanOut.make(services, options.retry ?? defaultRetry, (fields) => new SinkError(fields))
    })
  )
}

const filterService = (sink: LogSinkService, level: LogLevel.LogLevel): LogSinkService => {
  const keep = (batch: ReadonlyArray<LogRecord>): ReadonlyArray<LogRecord> => {
    for (const r of batch) {
      // most batches are all kept or all skipped: copy only when they are mixed
      if (labelOrdinal(r.level) < level.ordinal) return batch.filter((x) => labelOrdinal(x.level) >= level.ordinal)
    }
    return batch
  }
  const writeSync = sink.writeSync
  return {
    ...sink,
    name: `${sink.name} (${level.label} and above)`,
    minimumLevel: level,
    write: (batch) => {
      const kept = keep(batch)
      return kept.length === 0 ? Effect.void : sink.write(kept)
    },
    writeSync: writeSync === undefined ? undefined : (batch) => {
      const kept = keep(batch)
      if (kept.length > 0) writeSync(kept)
    }
  }
}

/**
 * A sink that writes only the records at or above `level` (`"Error"`, `"Warn"`, a `LogLevel`):
 * with `fanOut`, the "errors also to their own file" layout pino users build with multistream.
 * Takes and returns a sink Layer (or a `LogSinkService`); works in a pipe too.
 *
 * @example
 * ```ts
 * const Sinks = LogSink.fanOut(
 *   FileSink.layer({ path: "logs/app.log" }),
 *   LogSink.withMinimumLevel(FileSink.layer({ path: "logs/errors.log" }), "Error")
 * )
 * ```
 * @since 0.1.0
 */
export const withMinimumLevel: {
  (level: LevelInput): <S extends LogSinkService | Layer.Layer<LogSink, unknown, unknown>>(sink: S) => S
  <S extends LogSinkService | Layer.Layer<LogSink, unknown, unknown>>(sink: S, level: LevelInput): S
} = dual(2, (sink: LogSinkService | Layer.Layer<LogSink, unknown, unknown>, input: LevelInput) => {
  const level = toLevel("LogSink.withMinimumLevel level", input)
  if (!Layer.isLayer(sink)) return filterService(sink as LogSinkService, level)
  return Layer.map(
    sink as Layer.Layer<LogSink, unknown, unknown>,
    (context) => Context.add(context, LogSink, filterService(Context.get(context, LogSink), level))
  )
})

/**
 * Per-sink counts of the `LogSink` in context: one entry per sink of a `fanOut`, none for a
 * single sink (whose counts are `AsyncLogger.stats`). Provide the sink with `Layer.provideMerge`
 * to reach it.
 *
 * @example
 * ```ts
 * const [file, syslog] = yield* LogSink.stats
 * ```
 * @since 0.1.0
 */
export const stats: Effect.Effect<ReadonlyArray<SinkStats>, never, LogSink> = Effect.flatMap(
  LogSink,
  (sink) => sink.stats ?? Effect.succeed([])
)

/** The level names `withMinimumLevel` and `AsyncLogger` accept. @since 0.1.0 */
export type { LevelInput }
