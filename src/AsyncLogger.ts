/**
 * The asynchronous logger: one Layer that makes every `Effect.log*` call a queue insert (with a
 * one-level copy of the plain objects logged, so a record shows the values at the call).
 * A writer fiber, forked in the Layer's scope, takes batches from the bounded queue and
 * hands them to the `LogSink` service; when the scope closes the queue is drained and the
 * sink flushed within `shutdownTimeout`.
 *
 * Records are captured by reference: objects passed to `Effect.log*` are serialized later,
 * on the writer fiber, so do not mutate them after logging.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { NodeRuntime } from "@effect/platform-node"
 * import { AsyncLogger, FileSink, Format } from "logfiber"
 *
 * const LogLive = AsyncLogger.layer({ capacity: 10_000, batchWindow: "100 millis" }).pipe(
 *   Layer.provide(FileSink.layer({ path: "logs/app.log", format: Format.json }))
 * )
 * const program = Effect.logInfo("started", { port: 8080 })
 * program.pipe(Effect.provide(LogLive), NodeRuntime.runMain)
 * ```
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import { dual } from "effect/Function"
import * as HashSet from "effect/HashSet"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import type * as Scope from "effect/Scope"
import * as ConsoleSink from "./ConsoleSink.js"
import * as Format from "./Format.js"
import * as accounting from "./internal/accounting.js"
import { PressureScheduler } from "./internal/backpressure.js"
import * as internalOptions from "./internal/options.js"
import * as runtime from "./internal/runtime.js"
import type * as writer from "./internal/writer.js"
import type { LogRecord } from "./LogRecord.js"
import { LogSink } from "./LogSink.js"

/**
 * Counters since the Layer was built. Invariant:
 * `offered = written + dropped + sampled + failed + fallback + pending`. `written` counts records
 * the configured sink accepted; `sampled` records left out by `sample` or `rateLimit`;
 * `fallback` records that went to stderr because the sink could not take them synchronously;
 * `retries` sink write attempts after the first; `batches` successful batch writes;
 * `droppedByLevel` splits `dropped` by level; `highWater` is the most records the queue held. With `LogSink.fanOut`,
 * `written` counts records at least one sink accepted, and `sinks` has each sink's own
 * `written`, `failed`, `retries` and `batches`.
 * @since 0.1.0
 */
export type Stats = accounting.Stats

/**
 * The same figures as Effect `Metric`s (counters; gauges for `pending` and the queue's
 * high-water mark; `dropped` by level; histograms of batch sizes and of sink write latency per
 * sink name), so they show up in whatever metrics exporter the program uses (`Metrics`).
 * @since 0.1.0
 */
export const metrics = accounting.metrics

/**
 * A level name as Effect spells it (`"Debug"`, `"Info"`, `"Warning"`, ...; `"Warn"` too, any
 * case) or a `LogLevel`. @since 0.1.0
 */
export type LevelInput = internalOptions.LevelInput

/**
 * The options of `layer` and `make`; every one is optional (see `defaults`). An invalid value is
 * a programming error: building the Layer dies with a message naming the option and the value
 * (an unknown key too, naming the nearest option).
 * @since 0.1.0
 */
export type Options = internalOptions.Options

/**
 * The service: the installed `Logger`, live `stats` and `flush`.
 * @since 0.1.0
 */
export interface AsyncLoggerService {
  readonly logger: Logger.Logger<unknown, void>
  readonly stats: Effect.Effect<Stats>
  readonly flush: Effect.Effect<FlushResult>
}

/**
 * What `flush` did within `flushTimeout`: `complete` when every record offered before it was
 * settled and the sink flushed; else `pending` records were still queued or being written.
 * @since 0.1.0
 */
export type FlushResult = writer.FlushResult

/** @since 0.1.0 */
export class AsyncLogger extends Context.Tag("logfiber/AsyncLogger")<AsyncLogger, AsyncLoggerService>() {}

/** The default value of every option. @since 0.1.0 */
export const defaults = internalOptions.defaults

/**
 * Build the service in the current scope (the writer fiber lives as long as the scope)
 * without installing it as a logger. Most programs want `layer` instead.
 *
 * An invalid option is a programming error: the effect dies with a message naming the
 * option and the value.
 * @since 0.1.0
 */
export const make = (
  options: Options = {}
): Effect.Effect<AsyncLoggerService & runtime.Runtime, never, LogSink | Scope.Scope> =>
  Effect.flatMap(LogSink, (sink) =>
    Effect.suspend(() => {
      let resolved: internalOptions.ResolvedOptions
      try {
        resolved = internalOptions.resolve(options)
      } catch (error) {
        return Effect.die(error)
      }
      if (resolved.mode === "sync" && sink.writeSync === undefined) {
        return Effect.die(
          new Error(
            `logfiber: option mode "sync" needs a sink that can write synchronously (writeSync), ` +
              `and sink ${sink.name} has none: its writes are asynchronous and cannot complete on the caller's fiber. ` +
              `Use mode "async" (the default) with this sink, or a sink with writeSync (FileSink, ConsoleSink, TestSink).`
          )
        )
      }
      if (resolved.durability === "critical-sync" && sink.writeSync === undefined) {
        return Effect.dieMessage(
          `logfiber: option durability "critical-sync" needs a sink with writeSync; sink ${sink.name} has none`
        )
      }
      return runtime.make(resolved, sink)
    }))

/**
 * Install the logger, the minimum level and the scheduler for the rest of the scope. All three in
 * one effect on one fiber: FiberRef changes made by layers combined with `Layer.merge` are built
 * on separate fibers and are not restored when the scope closes.
 */
const install = (service: runtime.Runtime, options: Options): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function*() {
    // the lowest of minimumLevel and the component levels: the logger applies each one itself
    const level = service.lowestLevel
    yield* Effect.locallyScopedWith(FiberRef.currentLoggers, (set) =>
      options.replace === false
        ? HashSet.add(set, service.logger)
        // Replace Effect's default logger, and the pretty one `runMain` swaps in for it.
        : set.pipe(
          HashSet.remove(Logger.defaultLogger),
          HashSet.remove(Logger.prettyLoggerDefault),
          HashSet.add(service.logger)
        ))
    // only when it changes: every FiberRef a fiber holds is copied on each of its log calls
    if ((yield* FiberRef.get(FiberRef.currentMinimumLogLevel)) !== level) {
      yield* Effect.locallyScoped(FiberRef.currentMinimumLogLevel, level)
    }
    if (options.yieldOnPressure !== false) {
      yield* Effect.locallyScopedWith(
        FiberRef.currentScheduler,
        (underlying) => new PressureScheduler(underlying, service.backpressure)
      )
    }
  })

/**
 * The Layer: builds the service, installs its logger (replacing Effect's default one unless
 * `replace: false`), and sets Effect's minimum log level to `minimumLevel`.
 *
 * @example
 * ```ts
 * const LogLive = AsyncLogger.layer({ minimumLevel: "Debug" }).pipe(Layer.provide(ConsoleSink.layer()))
 * ```
 * @since 0.1.0
 */
export const layer = (options: Options = {}): Layer.Layer<AsyncLogger, never, LogSink> =>
  Layer.scoped(
    AsyncLogger,
    Effect.tap(make(options), (service) => install(service, options))
  )

/**
 * The Layer, with its options read from a `Config`: a bad value fails the Layer with the
 * `ConfigError`. Use it with your own `Config` (another prefix, a JSON file behind a
 * `ConfigProvider`), or use `fromEnv`.
 *
 * @example
 * ```ts
 * import { Config, Layer } from "effect"
 * const LogLive = AsyncLogger.layerConfig(
 *   Config.map(Config.integer("QUEUE"), (capacity) => ({ capacity }))
 * ).pipe(Layer.provide(FileSink.layer({ path: "logs/app.log" })))
 * ```
 * @since 0.1.0
 */
export const layerConfig = (
  config: Config.Config<Options>
): Layer.Layer<AsyncLogger, ConfigError.ConfigError, LogSink> =>
  Layer.unwrapEffect(Effect.map(config, (options) => layer(options)))

/**
 * Every option the environment can set (see README, "Configuration from the environment"):
 * `LOG_ENV` (`development` | `production` presets), `LOG_LEVEL`, `LOG_CRITICAL_LEVEL`,
 * `LOG_QUEUE_CAPACITY`, `LOG_OVERFLOW`, `LOG_BATCH_SIZE`, `LOG_BATCH_WINDOW`,
 * `LOG_SHUTDOWN_TIMEOUT`, `LOG_SYNC`, `LOG_MAX_RECORD_BYTES`, `LOG_REDACT`. Explicit variables
 * win over the preset; unset or blank variables leave the default. A bad value fails with a
 * message naming the variable and the value: `LOG_QUEUE_CAPACITY: expected a positive integer up to 16777216, got "abc"`.
 *
 * @example
 * ```ts
 * const options = yield* AsyncLogger.optionsFromEnv // { capacity: 50000, minimumLevel: "Info", ... }
 * ```
 * @since 0.1.0
 */
export const optionsFromEnv: Config.Config<Options> = internalOptions.fromEnv

/**
 * The line format named by `LOG_FORMAT` (`json` | `logfmt` | `pretty` | `pino`), else the
 * `LOG_ENV` preset's (`pretty` for development, `json` for production), else `Format.json`.
 * Pass it to the sink you build.
 *
 * @example
 * ```ts
 * const SinkLive = Layer.unwrapEffect(
 *   Effect.map(AsyncLogger.formatFromEnv, (format) => FileSink.layer({ path: "logs/app.log", format }))
 * )
 * ```
 * @since 0.1.0
 */
export const formatFromEnv: Config.Config<Format.Format> = Config.map(internalOptions.formatName, (name) => Format[name])

/**
 * `layerConfig(optionsFromEnv)`: the logger configured by environment variables; provide the
 * sink. Fails with a `ConfigError` naming the variable and the value on a bad value.
 *
 * @example
 * ```ts
 * const LogLive = AsyncLogger.fromEnv.pipe(Layer.provide(FileSink.layer({ path: "logs/app.log" })))
 * ```
 * @since 0.1.0
 */
export const fromEnv: Layer.Layer<AsyncLogger, ConfigError.ConfigError, LogSink> = layerConfig(optionsFromEnv)

/** Standard output in the `LOG_FORMAT` format. */
const consoleSinkFromEnv = Layer.unwrapEffect(Effect.map(formatFromEnv, (format) => ConsoleSink.layer({ format })))

/**
 * `fromEnv` writing to standard output in the `LOG_FORMAT` format: the whole logging setup of
 * a twelve-factor service in one Layer.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(AsyncLogger.consoleFromEnv), NodeRuntime.runMain)
 * ```
 * @since 0.1.0
 */
export const consoleFromEnv: Layer.Layer<AsyncLogger, ConfigError.ConfigError> = fromEnv.pipe(
  Layer.provide(consoleSinkFromEnv)
)

/**
 * Current counters. @since 0.1.0
 * @example
 * ```ts
 * const { offered, written, dropped } = yield* AsyncLogger.stats
 * ```
 */
export const stats: Effect.Effect<Stats, never, AsyncLogger> = Effect.flatMap(AsyncLogger, (s) => s.stats)

/**
 * Wait until every record offered before this call is written (or counted as dropped or
 * failed), then flush the sink, within `flushTimeout`. Does not wait for the batch window.
 * The result says whether it finished in time and, if not, how many of those records were
 * still pending.
 * @example
 * ```ts
 * const { complete, pending } = yield* AsyncLogger.flush
 * ```
 * @since 0.1.0
 */
export const flush: Effect.Effect<FlushResult, never, AsyncLogger> = Effect.flatMap(AsyncLogger, (s) => s.flush)

/**
 * Run an effect as a component: its records (and those of the fibers it forks) carry the
 * annotation `component` (the default `componentKey`), so `levels`, `sample` and `rateLimit`
 * apply to them. With another `componentKey`, annotate with that key instead.
 *
 * @example
 * ```ts
 * const LogLive = AsyncLogger.layer({ levels: { db: "Warning" } })
 * const query = Effect.logDebug("select 1").pipe(AsyncLogger.component("db")) // below Warning: not logged
 * ```
 * @since 0.1.0
 */
export const component: {
  (name: string): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, name: string): Effect.Effect<A, E, R>
} = dual(2, <A, E, R>(self: Effect.Effect<A, E, R>, name: string) =>
  Effect.annotateLogs(self, internalOptions.defaults.componentKey, name))

/** Re-exported for sinks and formats written against the record type. @since 0.1.0 */
export type { LogRecord }
