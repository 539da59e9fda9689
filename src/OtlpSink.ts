/**
 * Send records to an OpenTelemetry Collector (or any OTLP/HTTP receiver): one
 * `POST {url}/v1/logs` per batch, in protobuf (default) or JSON, following the OpenTelemetry
 * logs data model: times in nanoseconds, severity number and text, the message as `body`, fields
 * and annotations as typed attributes (strings, ints, doubles, booleans, arrays, nested maps as
 * `kvlistValue`), the trace and span ids of the span the record was logged in, and the resource
 * (`service.name` and `OTEL_RESOURCE_ATTRIBUTES`).
 *
 * Failures follow the OTLP protocol: 429, 502, 503, 504, timeouts and network errors are retried
 * with the logger's `retry` schedule (after the receiver's `Retry-After`); any other status fails
 * the batch at once, counted in `stats.failed` with the receiver's message on stderr; a partial
 * success counts exactly the records the receiver rejected. The sink never turns itself off.
 *
 * Encoding is `@effect/opentelemetry`'s `OtlpSerialization` (the encoder Effect's own OTLP
 * exporters use); HTTP is `@effect/platform`'s `HttpClient`.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { AsyncLogger, OtlpSink } from "logfiber"
 *
 * const LogLive = AsyncLogger.layer({ batchSize: 512 }).pipe(
 *   Layer.provide(OtlpSink.layer({ url: "http://localhost:4318", resource: { serviceName: "checkout" } }))
 * )
 * ```
 *
 * @since 0.1.0
 */
import type * as OtlpSerialization from "@effect/opentelemetry/OtlpSerialization"
import * as HttpClient from "@effect/platform/HttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as LogSink from "./LogSink.js"
import * as OtlpConfig from "./internal/otlp/config.js"
import { exportBatch } from "./internal/otlp/exporter.js"

/**
 * Options of `OtlpSink.layer`.
 *
 * - `url`: the receiver's base URL (`http://localhost:4318`); records go to `{url}/v1/logs`.
 * - `headers`: sent with every request (an API key, a tenant id).
 * - `resource`: `serviceName` (else `OTEL_SERVICE_NAME`, else `unknown_service:node`),
 *   `serviceVersion`, and `attributes` (over those of `OTEL_RESOURCE_ATTRIBUTES`).
 * - `encoding`: `"protobuf"` (default, `application/x-protobuf`) or `"json"`.
 * - `timeout`: how long one request may take; default 10 seconds (the OTLP default).
 * - `maxRetryAfter`: the longest `Retry-After` honoured; default 60 seconds.
 *
 * @since 0.1.0
 */
export interface Options {
  readonly url: string
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly resource?: OtlpConfig.ResourceOptions | undefined
  readonly encoding?: OtlpConfig.Encoding | undefined
  readonly timeout?: Duration.DurationInput | undefined
  readonly maxRetryAfter?: Duration.DurationInput | undefined
}

/** The full endpoint to post to, for `make`: `layer` derives it from `url`. */
interface Settings extends Omit<Options, "url"> {
  readonly endpoint: string
}

/**
 * `@effect/opentelemetry` is an optional peer dependency (it needs effect 3.22 or later): loaded
 * only when an OTLP sink is built, so the rest of logfiber works without it.
 */
const loadSerialization = (encoding: "protobuf" | "json"): Effect.Effect<OtlpSerialization.OtlpSerialization["Type"]> =>
  Effect.tryPromise(() => import("@effect/opentelemetry/OtlpSerialization")).pipe(
    Effect.orDieWith((error) =>
      new Error(
        "logfiber: OtlpSink needs the package @effect/opentelemetry (npm install @effect/opentelemetry); " +
          `it could not be loaded: ${error.error instanceof Error ? error.error.message : String(error.error)}`
      )
    ),
    Effect.flatMap((module) =>
      Effect.provide(module.OtlpSerialization, encoding === "json" ? module.layerJson : module.layerProtobuf)
    )
  )

const build = (settings: Settings): Effect.Effect<LogSink.LogSinkService, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const endpoint = yield* Either.match(OtlpConfig.checkUrl("url", settings.endpoint), {
      onLeft: Effect.fail,
      onRight: Effect.succeed
    })
    const encoding = settings.encoding ?? "protobuf"
    const resolved: OtlpConfig.Resolved = {
      endpoint,
      headers: settings.headers ?? {},
      encoding,
      timeout: Duration.decode(settings.timeout ?? "10 seconds"),
      resource: yield* OtlpConfig.resolveResource(settings.resource)
    }
    const serialization = yield* loadSerialization(encoding)
    const exporter = {
      name: `otlp(${endpoint})`,
      settings: resolved,
      maxRetryAfter: Duration.decode(settings.maxRetryAfter ?? "60 seconds"),
      // no span per export and no trace headers: the logger's own traffic is not the program's
      // work, and with an OpenTelemetry tracer installed each batch would make a span to export
      client: (yield* HttpClient.HttpClient).pipe(
        HttpClient.withTracerDisabledWhen(() => true),
        HttpClient.withTracerPropagation(false)
      ),
      serialization
    }
    return LogSink.make({ name: exporter.name, write: (batch) => exportBatch(exporter, batch) })
  })

/**
 * Build the sink with the `HttpClient` in context (to bring your own client: a proxy agent,
 * TLS options, a test double). Fails with a `ConfigError` on a bad URL or resource variable.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { NodeHttpClient } from "@effect/platform-node"
 * import { LogSink, OtlpSink } from "logfiber"
 *
 * const Sink = Layer.effect(LogSink.LogSink, OtlpSink.make({ url: "http://collector:4318" })).pipe(
 *   Layer.provide(NodeHttpClient.layerUndici)
 * )
 * ```
 * @since 0.1.0
 */
export const make = (
  options: Options
): Effect.Effect<LogSink.LogSinkService, ConfigError.ConfigError, HttpClient.HttpClient> =>
  build({ ...options, endpoint: OtlpConfig.logsEndpoint(options.url) })

/**
 * The sink as a Layer, with Node's HTTP client (undici).
 *
 * @example
 * ```ts
 * const Sink = OtlpSink.layer({ url: "http://localhost:4318", encoding: "json", headers: { "x-api-key": key } })
 * ```
 * @since 0.1.0
 */
export const layer = (options: Options): Layer.Layer<LogSink.LogSink, ConfigError.ConfigError> =>
  Layer.effect(LogSink.LogSink, make(options)).pipe(Layer.provide(NodeHttpClient.layerUndici))

/**
 * The sink configured from the standard OpenTelemetry environment variables, as the OpenTelemetry
 * SDKs read them: `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT` (the full URL) or `OTEL_EXPORTER_OTLP_ENDPOINT`
 * (`/v1/logs` appended; default `http://localhost:4318`), `OTEL_EXPORTER_OTLP_HEADERS` (and
 * `_LOGS_HEADERS`), `OTEL_EXPORTER_OTLP_PROTOCOL` (`http/protobuf` or `http/json`, and `_LOGS_`),
 * `OTEL_EXPORTER_OTLP_TIMEOUT` (milliseconds, and `_LOGS_`), `OTEL_SERVICE_NAME` and
 * `OTEL_RESOURCE_ATTRIBUTES`. `overrides` win over the environment. A bad value fails the Layer
 * with a `ConfigError` naming the variable and the value.
 *
 * @example
 * ```ts
 * // OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318 OTEL_SERVICE_NAME=checkout node app.js
 * const LogLive = AsyncLogger.layer().pipe(Layer.provide(OtlpSink.layerConfig()))
 * ```
 * @since 0.1.0
 */
export const layerConfig = (
  overrides: Partial<Omit<Options, "url">> = {}
): Layer.Layer<LogSink.LogSink, ConfigError.ConfigError> =>
  Layer.effect(
    LogSink.LogSink,
    Effect.flatMap(OtlpConfig.fromEnv, (env) =>
      build({
        ...overrides,
        endpoint: env.endpoint,
        headers: { ...env.headers, ...overrides.headers },
        encoding: overrides.encoding ?? Option.getOrUndefined(env.encoding),
        timeout: overrides.timeout ?? Option.getOrUndefined(env.timeout)
      }))
  ).pipe(Layer.provide(NodeHttpClient.layerUndici))

/**
 * The same as `layerConfig()`: every setting from the environment.
 *
 * @example
 * ```ts
 * const LogLive = AsyncLogger.layer().pipe(Layer.provide(OtlpSink.fromEnv))
 * ```
 * @since 0.1.0
 */
export const fromEnv: Layer.Layer<LogSink.LogSink, ConfigError.ConfigError> = layerConfig()
