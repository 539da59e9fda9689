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
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import type * as LogLevel from "effect/LogLevel"
import type * as Schedule from "effect/Schedule"
import * as internalFanOut from "./internal/fanOut.js"
import { type LogSinkService, SinkError, type SinkStats } from "./internal/sinkService.js"
import { labelOrdinal, type LevelInput, toLevel } from "./internal/levels.js"
import { defaultRetry } from "./internal/options.js"
import type { LogRecord } from "./LogRecord.js"

/**
 * `SinkError` (a sink could not write or flush; `retryable`, `rejected`), the `LogSinkService`
 * shape and a fan-out's per-sink `SinkStats`: defined in `internal/sinkService.ts`, documented there.
 * @since 0.1.0
 */
export { SinkError }
/** @since 0.1.0 */
export type { LogSinkService, SinkStats }

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
  readonly name?: string | undefined
  readonly write: (batch: ReadonlyArray<LogRecord>) => Effect.Effect<void, SinkError>
  readonly flush?: Effect.Effect<void, SinkError> | undefined
  readonly writeSync?: ((batch: ReadonlyArray<LogRecord>) => void) | undefined
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
  /** A sink's write with no answer by then fails (and is retried). Default: 5 seconds. */
  readonly writeTimeout?: Duration.DurationInput | undefined
}

/**
 * Write every batch to all the given sinks, concurrently and in isolation: each sink has its own
 * queue of batches and fiber, retries on its own (`retry`, default exponential from 100 ms,
 * 4 retries; `writeTimeout`, default 5 s) and keeps its own counts. A batch counts as written
 * once one sink accepted it. A slow sink 16 batches behind holds the logger back, as it would
 * alone; a failing one (down, hanging) does not: it falls behind and the batches it has no room
 * for are counted failed for it alone, named on stderr. Per-sink counts: `LogSink.stats` (and
 * `AsyncLogger.stats`'s `sinks`).
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
      return yield* internalFanOut.make(
        services,
        { retry: options.retry ?? defaultRetry, writeTimeout: options.writeTimeout ?? "5 seconds" },
        (fields) => new SinkError(fields)
      )
    })
  )
}

const filterService = (sink: LogSinkService, level: LogLevel.LogLevel): LogSinkService => {
  // the same batch gives the same array: a fanOut inside knows a batch the logger retries
  // (after its writeTimeout) by its identity
  const filtered = new WeakMap<ReadonlyArray<LogRecord>, ReadonlyArray<LogRecord>>()
  const keep = (batch: ReadonlyArray<LogRecord>): ReadonlyArray<LogRecord> => {
    for (const r of batch) {
      // most batches are all kept or all skipped: copy only when they are mixed
      if (labelOrdinal(r.level) < level.ordinal) {
        let kept = filtered.get(batch)
        if (kept === undefined) {
          kept = batch.filter((x) => labelOrdinal(x.level) >= level.ordinal)
          filtered.set(batch, kept)
        }
        return kept
      }
    }
    return batch
  }
  const writeSync = sink.writeSync
  const service: LogSinkService & { readonly [internalFanOut.settleGivenUpKey]: (batch: ReadonlyArray<LogRecord>) => boolean } = {
    ...sink,
    name: `${sink.name} (${level.label} and above)`,
    minimumLevel: level,
    write: (batch) => {
      const kept = keep(batch)
      return kept.length === 0 ? Effect.void : sink.write(kept)
    },
    [internalFanOut.settleGivenUpKey]: (batch: ReadonlyArray<LogRecord>) => internalFanOut.settledByFanOut(sink, keep(batch)),
    writeSync: writeSync === undefined ? undefined : (batch) => {
      const kept = keep(batch)
      // an empty batch asks a fan-out inside for what it still has queued (the exit hook)
      if (kept.length > 0 || (batch.length === 0 && internalFanOut.isFanOut(sink))) writeSync(kept)
    }
  }
  return service
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
