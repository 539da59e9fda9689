/**
 * Choose the sink with the environment, so a twelve-factor service switches with no code
 * change: `LOG_SINK=console|file|syslog|journald|otlp` (default `console`), each sink reading its
 * own variables (below) with Effect `Config`. A bad value fails the Layer with a `ConfigError`
 * whose message names the variable and the value: `LOG_SINK: expected one of console, file,
 * syslog, journald, otlp, got "kafka"`. Only the chosen sink's variables are read.
 *
 * | `LOG_SINK` | variables |
 * | --- | --- |
 * | `console` | `LOG_FORMAT` |
 * | `file` | `LOG_FILE` (required), `LOG_FORMAT`, `LOG_ENCRYPTION_KEY` (base64 of 32 bytes: encrypted at rest) |
 * | `syslog` | `LOG_SYSLOG_URL` (`udp://host:port` default `udp://127.0.0.1:514`, `tcp://host:port`, `unix:///path`), `LOG_SYSLOG_FACILITY`, `LOG_SYSLOG_PROTOCOL`, `LOG_SYSLOG_APP_NAME` |
 * | `journald` | `LOG_JOURNALD_IDENTIFIER`, `LOG_JOURNALD_NAMESPACE` |
 * | `otlp` | `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT` / `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES` |
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { NodeRuntime } from "@effect/platform-node"
 * import { SinkFromEnv } from "logfiber"
 *
 * // LOG_SINK=syslog LOG_SYSLOG_URL=tcp://10.0.0.5:514 LOG_LEVEL=debug node app.js
 * Effect.logInfo("started").pipe(Effect.provide(SinkFromEnv.layerFromEnv), NodeRuntime.runMain)
 * ```
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as AsyncLogger from "./AsyncLogger.js"
import * as ConsoleSink from "./ConsoleSink.js"
import * as Encryption from "./Encryption.js"
import * as FileSink from "./FileSink.js"
import { lower as literals, readVariable as variable } from "./internal/options.js"
import * as sinkEnv from "./internal/sinkEnv.js"
import * as JournaldSink from "./JournaldSink.js"
import type { LogSink, SinkError } from "./LogSink.js"
import * as OtlpSink from "./OtlpSink.js"
import * as SyslogSink from "./SyslogSink.js"

/** A sink's entry: the `Config` that reads its variables and gives its Layer. @since 0.1.0 */
export type SinkConfig = Config.Config<Layer.Layer<LogSink, SinkError | ConfigError.ConfigError>>

/**
 * The table `LOG_SINK` selects from: one `SinkConfig` per name.
 *
 * @example
 * ```ts
 * const syslogLayer = yield* SinkFromEnv.sinks.syslog // reads LOG_SYSLOG_URL, ...
 * ```
 * @since 0.1.0
 */
export const sinks = {
  console: Config.map(AsyncLogger.formatFromEnv, (format) => ConsoleSink.layer({ format })),
  file: Config.map(
    Config.all([sinkEnv.filePath, AsyncLogger.formatFromEnv, Config.option(Encryption.config())]),
    ([path, format, encryption]) => FileSink.layer({ path, format, encryption: Option.getOrUndefined(encryption) })
  ),
  syslog: Config.map(sinkEnv.syslogOptions, SyslogSink.layer),
  journald: Config.map(sinkEnv.journaldOptions, JournaldSink.layer),
  // OTEL_EXPORTER_OTLP_*, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES: read by OtlpSink.fromEnv
  otlp: Config.succeed(OtlpSink.fromEnv)
} satisfies Record<string, SinkConfig>

/** A name `LOG_SINK` accepts. @since 0.1.0 */
export type SinkName = keyof typeof sinks

const names = Object.keys(sinks) as Array<SinkName>

/**
 * `LOG_SINK` (any case; unset or blank: `console`).
 *
 * @example
 * ```ts
 * const name = yield* SinkFromEnv.sinkName // "syslog"
 * ```
 * @since 0.1.0
 */
export const sinkName: Config.Config<SinkName> = Config.map(
  variable("LOG_SINK", `one of ${names.join(", ")}`, literals(...names)),
  Option.getOrElse((): SinkName => "console")
)

/**
 * The sink `LOG_SINK` names, configured by its variables (a file sink that cannot open its
 * file fails with `SinkError`). Provide it to `AsyncLogger.layer`
 * (or use `layerFromEnv` for both).
 *
 * @example
 * ```ts
 * const LogLive = AsyncLogger.layer({ batchSize: 256 }).pipe(Layer.provide(SinkFromEnv.layer))
 * ```
 * @since 0.1.0
 */
export const layer: Layer.Layer<LogSink, ConfigError.ConfigError | SinkError> = Layer.unwrapEffect(
  Effect.flatMap(sinkName, (name): SinkConfig => sinks[name])
)

/**
 * The whole logging setup from the environment: `AsyncLogger.fromEnv` (`LOG_LEVEL`,
 * `LOG_BATCH_SIZE`, ...) writing to the sink `LOG_SINK` names.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(SinkFromEnv.layerFromEnv), NodeRuntime.runMain)
 * ```
 * @since 0.1.0
 */
export const layerFromEnv: Layer.Layer<AsyncLogger.AsyncLogger, ConfigError.ConfigError | SinkError> = AsyncLogger.fromEnv.pipe(
  Layer.provide(layer)
)
