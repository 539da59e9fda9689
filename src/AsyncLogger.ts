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
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as HashSet from "effect/HashSet"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as ConsoleSink from "./ConsoleSink.js"
import * as Format from "./Format.js"
import * as internal from "./internal/asyncLogger.js"
import * as internalConfig from "./internal/config.js"
import { DEFAULT_MAX_RECORD_BYTES, makeNormalize, MIN_MAX_RECORD_BYTES } from "./internal/normalize.js"
import { PressureScheduler } from "./internal/pressureScheduler.js"
import type { LogRecord } from "./LogRecord.js"
import { LogSink } from "./LogSink.js"

/**
 * Counters since the Layer was built. Invariant: `offered = written + dropped + failed + pending`.
 * `retries` counts sink write attempts after the first, `batches` successful batch writes.
 * @since 0.1.0
 */
export type Stats = internal.Stats

/**
 * The same figures as Effect `Metric`s (counters, and a gauge for `pending`), so they show up
 * in whatever metrics exporter the program uses.
 * @since 0.1.0
 */
export const metrics = internal.metrics

/** A level name as Effect spells it (`"Debug"`, `"Info"`, ...) or a `LogLevel`. @since 0.1.0 */
export type LevelInput = internal.LevelInput

/** @since 0.1.0 */
export interface Options {
  /** Bounded queue size. Default `10_000`. */
  readonly capacity?: number | undefined
  /** On a full queue: `"dropping"` drops the newest (default), `"sliding"` the oldest. */
  readonly overflow?: "dropping" | "sliding" | undefined
  /** Write as soon as this many records wait; also the largest batch. Default `512`. */
  readonly batchSize?: number | undefined
  /** Longest wait for a batch to fill: a duration or a `Schedule`. Default `"100 millis"`. */
  readonly batchWindow?: Duration.DurationInput | Schedule.Schedule<unknown, unknown> | undefined
  /** Bound on draining and flushing at scope close. Default `"5 seconds"`. */
  readonly shutdownTimeout?: Duration.DurationInput | undefined
  /** Records below this level are ignored; also sets Effect's minimum level. Default `"Info"`. */
  readonly minimumLevel?: LevelInput | undefined
  /** Records at or above this level are never dropped. Default `"Error"`. */
  readonly criticalLevel?: LevelInput | undefined
  /** `true` (default) replaces Effect's default logger; `false` adds beside it. */
  readonly replace?: boolean | undefined
  /** `"async"` (default) or `"sync"`: write inline on the caller's fiber, for debugging. */
  readonly mode?: "async" | "sync" | undefined
  /** Retry policy for a failing sink write. Default: exponential from 100 ms, 4 retries. */
  readonly retry?: Schedule.Schedule<unknown, unknown> | undefined
  /**
   * `true` (default): while the queue is filling faster than the writer has had a turn to
   * drain it, fibers yield one operation early so the writer runs (see README, "Scheduling").
   * `false` leaves Effect's scheduler untouched; bursts from many fibers then drop sooner.
   */
  readonly yieldOnPressure?: boolean | undefined
  /**
   * Upper bound, in bytes, of one rendered record in any built-in format. Longer strings are
   * cut with a visible `…[truncated N bytes]` marker and extra entries dropped with a marker;
   * a record is never split across lines. At least `1024`. Default `65_536` (64 KiB).
   */
  readonly maxRecordBytes?: number | undefined
  /**
   * Key paths replaced by `"[REDACTED]"` in `fields` and `annotations`, on the writer fiber:
   * `"password"` (top level), `"req.headers.authorization"` (nested), `"*.token"` (`*` is any
   * one key or index), `'headers["x-api-key"]'` (a key with special characters). Default none.
   */
  readonly redact?: ReadonlyArray<string> | undefined
}

/**
 * The service: the installed `Logger`, live `stats` and `flush`.
 * @since 0.1.0
 */
export interface AsyncLoggerService {
  readonly logger: Logger.Logger<unknown, void>
  readonly stats: Effect.Effect<Stats>
  readonly flush: Effect.Effect<void>
}

/** @since 0.1.0 */
export class AsyncLogger extends Context.Tag("logfiber/AsyncLogger")<AsyncLogger, AsyncLoggerService>() {}

/** Default values of every option. @since 0.1.0 */
export const defaults = {
  capacity: 10_000,
  overflow: "dropping",
  batchSize: 512,
  batchWindow: "100 millis",
  shutdownTimeout: "5 seconds",
  minimumLevel: "Info",
  criticalLevel: "Error",
  replace: true,
  mode: "async",
  maxRecordBytes: DEFAULT_MAX_RECORD_BYTES,
  redact: []
} as const

const toLevel = (name: string, input: LevelInput): LogLevel.LogLevel => {
  if (typeof input !== "string") return input
  const level = LogLevel.allLevels.find((l) => l._tag === input)
  if (level === undefined) {
    throw new Error(
      `logfiber: option ${name} must be one of ${LogLevel.allLevels.map((l) => l._tag).join(", ")}; got ${JSON.stringify(input)}`
    )
  }
  return level
}

const positiveInt = (name: string, value: number): number => {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`logfiber: option ${name} must be a positive integer; got ${String(value)}`)
  }
  return value
}

const duration = (name: string, value: Duration.DurationInput): Duration.DurationInput => {
  const decoded = Duration.decodeUnknown(value)
  if (decoded._tag === "None") {
    throw new Error(`logfiber: option ${name} must be a duration such as "100 millis"; got ${String(value)}`)
  }
  return decoded.value
}

const oneOf = <A extends string>(name: string, value: string, allowed: ReadonlyArray<A>): A => {
  if (!allowed.includes(value as A)) {
    throw new Error(`logfiber: option ${name} must be one of ${allowed.join(", ")}; got ${JSON.stringify(value)}`)
  }
  return value as A
}

const normalizeFor = (options: Options) => {
  const maxRecordBytes = positiveInt("maxRecordBytes", options.maxRecordBytes ?? defaults.maxRecordBytes)
  if (maxRecordBytes < MIN_MAX_RECORD_BYTES) {
    throw new Error(`logfiber: option maxRecordBytes must be at least ${MIN_MAX_RECORD_BYTES}; got ${maxRecordBytes}`)
  }
  try {
    return makeNormalize({ redact: options.redact ?? defaults.redact, maxRecordBytes })
  } catch (error) {
    throw new Error(`logfiber: option redact: ${error instanceof Error ? error.message : String(error)}`)
  }
}

/** Validate options; throws an `Error` naming the option and the value. */
const resolve = (options: Options): internal.ResolvedOptions => {
  const batchWindow = options.batchWindow ?? defaults.batchWindow
  return {
    capacity: positiveInt("capacity", options.capacity ?? defaults.capacity),
    overflow: oneOf("overflow", options.overflow ?? defaults.overflow, ["dropping", "sliding"]),
    batchSize: positiveInt("batchSize", options.batchSize ?? defaults.batchSize),
    batchWindow: Schedule.isSchedule(batchWindow)
      ? batchWindow
      : duration("batchWindow", batchWindow as Duration.DurationInput),
    shutdownTimeout: duration("shutdownTimeout", options.shutdownTimeout ?? defaults.shutdownTimeout),
    minimumLevel: toLevel("minimumLevel", options.minimumLevel ?? defaults.minimumLevel),
    criticalLevel: toLevel("criticalLevel", options.criticalLevel ?? defaults.criticalLevel),
    replace: options.replace ?? defaults.replace,
    mode: oneOf("mode", options.mode ?? defaults.mode, ["async", "sync"]),
    retry: options.retry ?? Schedule.exponential("100 millis").pipe(Schedule.intersect(Schedule.recurs(4))),
    normalize: normalizeFor(options)
  }
}

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
): Effect.Effect<AsyncLoggerService & internal.AsyncLoggerRuntime, never, LogSink | Scope.Scope> =>
  Effect.flatMap(LogSink, (sink) =>
    Effect.suspend(() => {
      let resolved: internal.ResolvedOptions
      try {
        resolved = resolve(options)
      } catch (error) {
        return Effect.die(error)
      }
      return internal.make(resolved, sink)
    }))

/**
 * Install the logger, the minimum level and the scheduler for the rest of the scope. All three in
 * one effect on one fiber: FiberRef changes made by layers combined with `Layer.merge` are built
 * on separate fibers and are not restored when the scope closes.
 */
const install = (service: internal.AsyncLoggerRuntime, options: Options): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function*() {
    const level = toLevel("minimumLevel", options.minimumLevel ?? defaults.minimumLevel)
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
 * message naming the variable and the value: `LOG_QUEUE_CAPACITY: expected a positive integer, got "abc"`.
 *
 * @example
 * ```ts
 * const options = yield* AsyncLogger.optionsFromEnv // { capacity: 50000, minimumLevel: "Info", ... }
 * ```
 * @since 0.1.0
 */
export const optionsFromEnv: Config.Config<Options> = internalConfig.options

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
export const formatFromEnv: Config.Config<Format.Format> = Config.map(internalConfig.formatName, (name) => Format[name])

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
  Layer.provide(Layer.unwrapEffect(Effect.map(formatFromEnv, (format) => ConsoleSink.layer({ format }))))
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
 * failed), then flush the sink. Does not wait for the batch window.
 * @since 0.1.0
 */
export const flush: Effect.Effect<void, never, AsyncLogger> = Effect.flatMap(AsyncLogger, (s) => s.flush)

/** Re-exported for sinks and formats written against the record type. @since 0.1.0 */
export type { LogRecord }
