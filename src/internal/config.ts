/**
 * `AsyncLogger` options from the environment: one `Config` per variable, each validated with a
 * Schema, combined with the `LOG_ENV` preset (explicit variables win over the preset, the preset
 * over the defaults). An empty or blank variable counts as unset. A bad value fails with a
 * `ConfigError.InvalidData` at the variable, whose message names the variable and the value:
 * `LOG_QUEUE_CAPACITY: expected a positive integer, got "abc"`.
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import type * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { Options } from "../AsyncLogger.js"
import { MIN_MAX_RECORD_BYTES } from "./normalize.js"
import { parsePath } from "./redact.js"

/** The names of the built-in formats, as `LOG_FORMAT` spells them. */
export type FormatName = "json" | "logfmt" | "pretty" | "pino"

/** What a preset sets. */
export interface Preset {
  readonly minimumLevel: LogLevel.Literal
  readonly format: FormatName
  readonly capacity: number
}

/** `LOG_ENV` presets. */
export const presets: Readonly<Record<"development" | "production", Preset>> = {
  development: { minimumLevel: "Debug", format: "pretty", capacity: 20_000 },
  production: { minimumLevel: "Info", format: "json", capacity: 50_000 }
}

/** One variable: unset or blank is `None`; a value is decoded with `schema` or fails naming both (also used by SinkFromEnv). */
export const variable = <A>(name: string, expected: string, schema: Schema.Schema<A, string>): Config.Config<Option.Option<A>> => {
  const decode = Schema.decodeUnknownEither(schema)
  return Config.option(Config.string(name)).pipe(
    Config.mapOrFail((raw) => {
      if (Option.isNone(raw) || raw.value.trim() === "") return Either.right(Option.none())
      return Either.match(decode(raw.value.trim()), {
        onLeft: () =>
          Either.left(ConfigError.InvalidData([name], `${name}: expected ${expected}, got ${JSON.stringify(raw.value)}`)),
        onRight: (value) => Either.right(Option.some(value))
      })
    })
  )
}

export const literals = <const L extends ReadonlyArray<string>>(...values: L) =>
  Schema.compose(Schema.Lowercase, Schema.Literal(...values))

const Digits = Schema.String.pipe(Schema.pattern(/^\d+$/))
const PositiveInt = Schema.compose(Digits, Schema.NumberFromString).pipe(Schema.int(), Schema.positive())
const RecordBytes = PositiveInt.pipe(Schema.greaterThanOrEqualTo(MIN_MAX_RECORD_BYTES))

/** Effect's duration syntax (`"100 millis"`, `"2 seconds"`), or a bare number of milliseconds. */
const DurationText = Schema.String.pipe(
  Schema.filter((text) =>
    !text.startsWith("-") && (/^\d+(\.\d+)?$/.test(text) || Option.isSome(Duration.decodeUnknown(text)))
  )
)
const toDuration = (text: string): Duration.DurationInput =>
  /^\d+(\.\d+)?$/.test(text) ? Duration.millis(Number(text)) : (text as Duration.DurationInput)

const LEVELS: Readonly<Record<string, LogLevel.Literal>> = {
  all: "All",
  trace: "Trace",
  debug: "Debug",
  info: "Info",
  warn: "Warning",
  warning: "Warning",
  error: "Error",
  fatal: "Fatal",
  off: "None",
  none: "None"
}
const Level = literals("all", "trace", "debug", "info", "warn", "warning", "error", "fatal", "off", "none")
const LEVEL_EXPECTED = "one of trace, debug, info, warn, error, fatal, all, none (any case)"

const BOOLEANS: Readonly<Record<string, boolean>> = { true: true, yes: true, on: true, "1": true, false: false, no: false, off: false, "0": false }
const Bool = literals("true", "false", "yes", "no", "on", "off", "1", "0")

const RedactPaths = Schema.String.pipe(
  Schema.filter((text) => {
    try {
      text.split(",").forEach((path) => parsePath(path.trim()))
      return true
    } catch {
      return false
    }
  })
)

/** `LOG_ENV`: `development` | `production`. */
export const env = variable("LOG_ENV", "development or production", literals("development", "production"))

const preset = Config.map(env, Option.map((name) => presets[name]))

/** `LOG_FORMAT` (or the preset's format, else `json`). */
export const formatName: Config.Config<FormatName> = Config.map(
  Config.all([variable("LOG_FORMAT", "one of json, logfmt, pretty, pino", literals("json", "logfmt", "pretty", "pino")), preset]),
  ([format, chosen]) => Option.getOrElse(format, () => Option.match(chosen, { onNone: () => "json" as const, onSome: (p) => p.format }))
)

/** Every `AsyncLogger` option the environment can set. */
export const options: Config.Config<Options> = Config.map(
  Config.all({
    preset,
    level: variable("LOG_LEVEL", LEVEL_EXPECTED, Level),
    criticalLevel: variable("LOG_CRITICAL_LEVEL", LEVEL_EXPECTED, Level),
    capacity: variable("LOG_QUEUE_CAPACITY", "a positive integer", PositiveInt),
    overflow: variable("LOG_OVERFLOW", "dropping or sliding", literals("dropping", "sliding")),
    batchSize: variable("LOG_BATCH_SIZE", "a positive integer", PositiveInt),
    batchWindow: variable("LOG_BATCH_WINDOW", "a duration such as \"100 millis\" or a number of milliseconds", DurationText),
    shutdownTimeout: variable("LOG_SHUTDOWN_TIMEOUT", "a duration such as \"5 seconds\" or a number of milliseconds", DurationText),
    sync: variable("LOG_SYNC", "true or false (also yes/no, on/off, 1/0)", Bool),
    maxRecordBytes: variable("LOG_MAX_RECORD_BYTES", `an integer of at least ${MIN_MAX_RECORD_BYTES}`, RecordBytes),
    redact: variable("LOG_REDACT", "comma-separated key paths such as password,req.headers.authorization,*.token", RedactPaths)
  }),
  (env): Options => {
    const chosen = Option.getOrUndefined(env.preset)
    const level = Option.getOrUndefined(env.level)
    const critical = Option.getOrUndefined(env.criticalLevel)
    const sync = Option.getOrUndefined(env.sync)
    const redact = Option.getOrUndefined(env.redact)
    return {
      minimumLevel: level !== undefined ? LEVELS[level] : chosen?.minimumLevel,
      criticalLevel: critical !== undefined ? LEVELS[critical] : undefined,
      capacity: Option.getOrElse(env.capacity, () => chosen?.capacity),
      overflow: Option.getOrUndefined(env.overflow),
      batchSize: Option.getOrUndefined(env.batchSize),
      batchWindow: Option.getOrUndefined(Option.map(env.batchWindow, toDuration)),
      shutdownTimeout: Option.getOrUndefined(Option.map(env.shutdownTimeout, toDuration)),
      mode: sync === undefined ? undefined : BOOLEANS[sync] ? "sync" : "async",
      maxRecordBytes: Option.getOrUndefined(env.maxRecordBytes),
      redact: redact?.split(",").map((path) => path.trim()).filter((path) => path.length > 0)
    }
  }
)
