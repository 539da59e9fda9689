/**
 * The OTLP settings: the options of `OtlpSink.layer` checked, and the standard OpenTelemetry
 * environment variables (`OTEL_EXPORTER_OTLP_*`, `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`)
 * read with Effect `Config`, so a bad value fails the Layer with the variable and the value.
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { toKeyValues } from "./anyValue.js"
import type { Resource } from "./logsData.js"

export type Encoding = "protobuf" | "json"

/** The resource the records come from (`service.name` and the rest of the resource attributes). */
export interface ResourceOptions {
  readonly serviceName?: string | undefined
  readonly serviceVersion?: string | undefined
  readonly attributes?: Readonly<Record<string, unknown>> | undefined
}

/** Settings after defaults and validation. */
export interface Resolved {
  readonly endpoint: string
  readonly headers: Readonly<Record<string, string>>
  readonly encoding: Encoding
  readonly timeout: Duration.Duration
  readonly resource: Resource
}

const invalid = (name: string, value: string, why: string): ConfigError.ConfigError =>
  ConfigError.InvalidData([name], `${name}=${JSON.stringify(value)}: ${why}`)

/** An http(s) URL, or a ConfigError naming `name`. */
export const checkUrl = (name: string, value: string): Either.Either<string, ConfigError.ConfigError> => {
  try {
    const url = new URL(value)
    if (url.protocol === "http:" || url.protocol === "https:") return Either.right(value)
  } catch {
    // fall through
  }
  return Either.left(invalid(name, value, "expected an http:// or https:// URL"))
}

/** `{url}/v1/logs`, the path OTLP/HTTP receivers serve logs on. */
export const logsEndpoint = (base: string): string => base.replace(/\/+$/, "") + "/v1/logs"

/**
 * The W3C-baggage-like lists the OpenTelemetry variables use: `key=value,key2=value2`, values
 * percent-encoded. A malformed entry fails the whole value (the spec says to discard it; we say why).
 */
export const parseKeyValueList = (
  name: string,
  text: string
): Either.Either<Record<string, string>, ConfigError.ConfigError> => {
  const result: Record<string, string> = {}
  for (const entry of text.split(",")) {
    if (entry.trim() === "") continue
    const eq = entry.indexOf("=")
    const key = eq < 0 ? "" : entry.slice(0, eq).trim()
    if (key === "") return Either.left(invalid(name, text, `entry ${JSON.stringify(entry)} is not key=value`))
    try {
      result[decodeURIComponent(key)] = decodeURIComponent(entry.slice(eq + 1).trim())
    } catch {
      return Either.left(invalid(name, text, `entry ${JSON.stringify(entry)} has a bad percent-encoding`))
    }
  }
  return Either.right(result)
}

const keyValueListVar = (name: string): Config.Config<Record<string, string>> =>
  Config.string(name).pipe(
    Config.mapOrFail((text) => parseKeyValueList(name, text)),
    Config.withDefault({} as Record<string, string>)
  )

const optionalString = (name: string): Config.Config<Option.Option<string>> =>
  Config.option(Config.string(name)).pipe(Config.map(Option.filter((s) => s.trim() !== "")))

/**
 * The resource: the option's attributes over those of `OTEL_RESOURCE_ATTRIBUTES`; `service.name`
 * from the option, else `OTEL_SERVICE_NAME`, else `OTEL_RESOURCE_ATTRIBUTES`, else the spec's
 * `unknown_service:node`.
 */
export const resolveResource = (options: ResourceOptions | undefined): Effect.Effect<Resource, ConfigError.ConfigError> =>
  Effect.gen(function*() {
    const fromEnv = yield* keyValueListVar("OTEL_RESOURCE_ATTRIBUTES")
    const envName = yield* optionalString("OTEL_SERVICE_NAME")
    const attributes: Record<string, unknown> = { ...fromEnv, ...options?.attributes }
    const serviceName = options?.serviceName ?? Option.getOrUndefined(envName) ??
      (typeof attributes["service.name"] === "string" ? attributes["service.name"] : "unknown_service:node")
    attributes["service.name"] = serviceName
    if (options?.serviceVersion !== undefined) attributes["service.version"] = options.serviceVersion
    return { attributes: toKeyValues(attributes, undefined), droppedAttributesCount: 0 }
  })

const protocolVar = (name: string): Config.Config<Option.Option<Encoding>> =>
  Config.option(Config.string(name)).pipe(
    Config.mapOrFail((value) => {
      if (Option.isNone(value)) return Either.right(Option.none())
      switch (value.value) {
        case "http/protobuf":
          return Either.right(Option.some("protobuf" as const))
        case "http/json":
          return Either.right(Option.some("json" as const))
        default:
          return Either.left(invalid(name, value.value, "expected http/protobuf or http/json (grpc is not supported)"))
      }
    })
  )

const millisVar = (name: string): Config.Config<Option.Option<Duration.Duration>> =>
  Config.option(Config.string(name)).pipe(
    Config.mapOrFail((value) => {
      if (Option.isNone(value)) return Either.right(Option.none())
      const ms = Number(value.value)
      return Number.isInteger(ms) && ms > 0
        ? Either.right(Option.some(Duration.millis(ms)))
        : Either.left(invalid(name, value.value, "expected a positive whole number of milliseconds"))
    })
  )

/** The sink's settings from the environment, as the OpenTelemetry SDKs read them. */
export const fromEnv: Config.Config<{
  readonly endpoint: string
  readonly headers: Readonly<Record<string, string>>
  readonly encoding: Option.Option<Encoding>
  readonly timeout: Option.Option<Duration.Duration>
}> = Config.all({
  logsEndpoint: optionalString("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"),
  endpoint: optionalString("OTEL_EXPORTER_OTLP_ENDPOINT"),
  headers: keyValueListVar("OTEL_EXPORTER_OTLP_HEADERS"),
  logsHeaders: keyValueListVar("OTEL_EXPORTER_OTLP_LOGS_HEADERS"),
  protocol: protocolVar("OTEL_EXPORTER_OTLP_PROTOCOL"),
  logsProtocol: protocolVar("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL"),
  timeout: millisVar("OTEL_EXPORTER_OTLP_TIMEOUT"),
  logsTimeout: millisVar("OTEL_EXPORTER_OTLP_LOGS_TIMEOUT")
}).pipe(
  Config.mapOrFail((env) => {
    // the signal-specific endpoint is the full URL; the generic one gets /v1/logs appended
    const endpoint = Option.isSome(env.logsEndpoint)
      ? checkUrl("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", env.logsEndpoint.value)
      : Option.isSome(env.endpoint)
      ? Either.map(checkUrl("OTEL_EXPORTER_OTLP_ENDPOINT", env.endpoint.value), logsEndpoint)
      : Either.right("http://localhost:4318/v1/logs")
    return Either.map(endpoint, (endpoint) => ({
      endpoint,
      headers: { ...env.headers, ...env.logsHeaders },
      encoding: Option.orElse(env.logsProtocol, () => env.protocol),
      timeout: Option.orElse(env.logsTimeout, () => env.timeout)
    }))
  })
)
