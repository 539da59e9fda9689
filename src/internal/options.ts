/**
 * The one definition of `AsyncLogger`'s options. Each entry gives the option's default, how a
 * value given in code is checked (and turned into what the runtime uses), and, for the options
 * the environment can set, the `LOG_*` variable and its Schema. `defaults`, `resolve` (code
 * options) and `fromEnv` (the environment `Config`) are all derived from this table.
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import { LEVEL_NAMES, type LevelInput, toLevel } from "./levels.js"
import { DEFAULT_MAX_RECORD_BYTES, MIN_MAX_RECORD_BYTES } from "./normalize.js"
import { parsePath } from "./redact.js"

export type { LevelInput }

/** A `Schedule` used as a batch window or a retry policy. */
export type AnySchedule = Schedule.Schedule<unknown, unknown>

/** `AsyncLogger`'s options as a user gives them; every one is optional. */
export interface Options {
  /** Bounded queue size, at most 2^24 (`16_777_216`). Default `10_000`. */
  readonly capacity?: number | undefined
  /** On a full queue: `"dropping"` drops the newest (default), `"sliding"` the oldest. */
  readonly overflow?: "dropping" | "sliding" | undefined
  /** Write as soon as this many records wait; also the largest batch. Default `512`. */
  readonly batchSize?: number | undefined
  /** Longest wait for a batch to fill: a finite duration (`0`: no wait) or a `Schedule`. Default `"100 millis"`. */
  readonly batchWindow?: Duration.DurationInput | AnySchedule | undefined
  /** Bound on draining and flushing at scope close. Default `"5 seconds"`. */
  readonly shutdownTimeout?: Duration.DurationInput | undefined
  /**
   * Effect's minimum log level for the program, set by the Layer: records below it are never
   * offered. `Logger.withMinimumLogLevel` changes it for a region. Default `"Info"`.
   */
  readonly minimumLevel?: LevelInput | undefined
  /**
   * Records at or above this level are never dropped: on a full queue they are written at once
   * through the sink's `writeSync`; a sink without one gets a reserve past `capacity` for them (a
   * tenth of it, at least 64), so they still reach it in order. Default `"Error"`.
   */
  readonly criticalLevel?: LevelInput | undefined
  /** `true` (default) replaces Effect's default logger; `false` adds beside it. */
  readonly replace?: boolean | undefined
  /**
   * `"async"` (default) or `"sync"`: write inline on the caller's fiber through the sink's
   * `writeSync`, for debugging. A sink without `writeSync` is refused when the Layer is built.
   */
  readonly mode?: "async" | "sync" | undefined
  /** Retry policy for a failing sink write. Default: exponential from 100 ms, 4 retries. */
  readonly retry?: AnySchedule | undefined
  /**
   * `true` (default): when a record fills the queue while the writer's turn is pending, the
   * fibers of the Layer's scope wait for the writer to drain it (held by a wrapped scheduler,
   * for at most one writer turn; a writer busy in a slow sink write is not waited for), so a burst
   * from many fibers drops nothing (see docs/scheduling.md). `false` leaves Effect's scheduler
   * untouched; records that do not fit in `capacity` are then dropped.
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
  /** The annotation that names a record's component (see `AsyncLogger.component`). Default `"component"`. */
  readonly componentKey?: string | undefined
  /**
   * A minimum level per component: `{ db: "Warning", http: "Debug" }`. Components not named
   * (and records without one) keep `minimumLevel`. Decided before the record is queued.
   * Environment: `LOG_LEVELS=db=warn,http=debug`.
   */
  readonly levels?: Readonly<Record<string, LevelInput>> | undefined
  /**
   * The fraction of records kept per component, from 0 to 1: `{ http: 0.1, "*": 1 }` (`"*"`:
   * every other component). Records at or above `Warning` are always kept; the others left out
   * count as `sampled`. The choice uses a generator seeded from Effect's `Random` when the Layer
   * is built, so a fixed `Random` gives the same choices.
   */
  readonly sample?: Readonly<Record<string, number>> | undefined
  /**
   * At most this many records per second (of the fiber's `Clock`) per component: `{ http: 1000 }`
   * (`"*"`: every other component). Records at or above `Warning` are always kept; the others
   * over the limit count as `sampled`, and when the limit lifts (the next second's first record,
   * a flush, shutdown) one `Warning` record says how many: `"1234 records suppressed"`.
   */
  readonly rateLimit?: Readonly<Record<string, number>> | undefined
  /** One sink write attempt that has not ended after this fails and is retried. Default `"5 seconds"`. */
  readonly writeTimeout?: Duration.DurationInput | undefined
  /** Bound on `AsyncLogger.flush`. Default `"5 seconds"`. */
  readonly flushTimeout?: Duration.DurationInput | undefined
  /**
   * `"batched"` (default): every record goes through the queue. `"critical-sync"`: a record at or
   * above `criticalLevel` is written, with everything queued before it, through the sink's
   * `writeSync` before the log call returns (for a file: handed to the kernel), so the error
   * that precedes a crash is on disk. Needs a sink with `writeSync`.
   */
  readonly durability?: "batched" | "critical-sync" | undefined
  /**
   * Signals handled like SIGTERM (default none). Node's default for SIGHUP exits at once, losing
   * what is queued; with `["SIGHUP"]` the process sends itself SIGTERM instead, so
   * `NodeRuntime.runMain` interrupts the program and the logger drains.
   */
  readonly terminateOn?: ReadonlyArray<"SIGHUP" | "SIGUSR2" | "SIGBREAK"> | undefined
}

type Input<K extends keyof Options> = Exclude<Options[K], undefined>

/** An environment variable that sets an option: its Schema decodes the text to the code value. */
interface EnvVariable<I> {
  readonly name: string
  readonly expected: string
  readonly decode: (text: string) => Either.Either<I, unknown>
}

const envVariable = <I>(name: string, expected: string, schema: Schema.Schema<I, string>): EnvVariable<I> => ({
  name,
  expected,
  decode: Schema.decodeUnknownEither(schema)
})

interface Spec<I, A> {
  readonly default: I
  /** Text after "must be" in the error for a bad code value. */
  readonly expected: string
  /** The runtime value, or `None` when the input is invalid. */
  readonly check: (input: I) => Option.Option<A>
  readonly env?: EnvVariable<I>
}

const spec = <I, A>(s: Spec<I, A>): Spec<I, A> => s

export const lower = <const L extends ReadonlyArray<string>>(...values: L) => Schema.compose(Schema.Lowercase, Schema.Literal(...values))
const decodeTo = <From extends string, To>(schema: Schema.Schema<From, string>, map: (from: From) => To) =>
  Schema.transform(schema, Schema.Any as Schema.Schema<To>, { strict: true, decode: map, encode: () => "" as From })

const DigitsToNumber = Schema.compose(Schema.String.pipe(Schema.pattern(/^\d+$/)), Schema.NumberFromString)
const PositiveIntText = DigitsToNumber.pipe(Schema.int(), Schema.positive())
const isPositiveInt = (n: number): boolean => Number.isSafeInteger(n) && n >= 1
const positiveInt = (fallback: number, variable?: string, max?: number) => {
  const expected = max === undefined ? "a positive integer" : `a positive integer up to ${max}`
  return spec<number, number>({
    default: fallback,
    expected,
    check: (n) => isPositiveInt(n) && (max === undefined || n <= max) ? Option.some(n) : Option.none(),
    ...(variable === undefined ? {} : { env: envVariable(variable, expected, PositiveIntText) })
  })
}

/**
 * Largest `capacity` (2^24 records). The queue is allocated whole when the Layer is built, a slot
 * and a sequence number per record (16 bytes), so this is already 256 MiB before any record is
 * logged; more is a unit mistake rather than a queue, and near 2^32 the allocation fails with a
 * bare RangeError that names neither the option nor the value.
 */
export const MAX_CAPACITY = 2 ** 24

/** Effect's duration syntax (`"100 millis"`), or a bare number of milliseconds. */
const DurationText = decodeTo(
  Schema.String.pipe(
    Schema.filter((text) => !text.startsWith("-") && (/^\d+(\.\d+)?$/.test(text) || Option.isSome(Duration.decodeUnknown(text))))
  ),
  (text): Duration.DurationInput => /^\d+(\.\d+)?$/.test(text) ? Duration.millis(Number(text)) : (text as Duration.DurationInput)
)

/** A negative or NaN input, which `Duration.decode` would silently turn into zero. */
const isNegativeDuration = (input: unknown): boolean => {
  if (typeof input === "number") return !(input >= 0)
  if (typeof input === "bigint") return input < 0n
  if (typeof input === "string") return input.trimStart().startsWith("-")
  return Array.isArray(input) && input.some((part) => typeof part === "number" && !(part >= 0))
}

/**
 * A finite duration, above zero unless `allowZero`. `Duration.decode` turns negative and NaN
 * inputs into zero and `Infinity` into an endless duration; a timeout of zero fires at once and
 * an endless one never, so both are refused rather than decoded.
 */
const checkDuration = (allowZero: boolean) => (input: unknown): Option.Option<Duration.Duration> =>
  isNegativeDuration(input)
    ? Option.none()
    : Option.filter(
      Duration.decodeUnknown(input),
      (d) => Duration.isFinite(d) && (allowZero || Duration.greaterThan(d, Duration.zero))
    )

/** A timeout: a finite duration above zero. */
const timeout = (fallback: Duration.DurationInput, example: string, variable: string) =>
  spec<Duration.DurationInput, Duration.Duration>({
    default: fallback,
    expected: `a finite duration above zero such as "${example}"`,
    check: checkDuration(false),
    env: envVariable(variable, `a finite duration above zero such as "${example}" or a number of milliseconds`, DurationText)
  })

/** Environment level names, in any case; `warn` and `off` are the common short forms. */
const ENV_LEVELS: Readonly<Record<string, LogLevel.Literal>> = {
  all: "All", trace: "Trace", debug: "Debug", info: "Info", warn: "Warning", warning: "Warning",
  error: "Error", fatal: "Fatal", off: "None", none: "None"
}
const LevelText = decodeTo(
  lower("all", "trace", "debug", "info", "warn", "warning", "error", "fatal", "off", "none"),
  (name): LevelInput => ENV_LEVELS[name]!
)
const level = (fallback: LogLevel.Literal, variable: string) =>
  spec<LevelInput, LogLevel.LogLevel>({
    default: fallback,
    expected: `one of ${LEVEL_NAMES}`,
    check: (input) => {
      try {
        return Option.some(toLevel("level", input))
      } catch {
        return Option.none()
      }
    },
    env: envVariable(variable, "one of trace, debug, info, warn, error, fatal, all, none (any case)", LevelText)
  })

const oneOf = <const L extends ReadonlyArray<string>>(allowed: L, fallback: L[number]) =>
  spec<L[number], L[number]>({
    default: fallback,
    expected: `one of ${allowed.join(", ")}`,
    check: (input) => allowed.includes(input) ? Option.some(input) : Option.none()
  })

const BOOLEANS: Readonly<Record<string, boolean>> = { true: true, yes: true, on: true, "1": true, false: false, no: false, off: false, "0": false }
const boolean = (fallback: boolean) =>
  spec<boolean, boolean>({ default: fallback, expected: "true or false", check: (b) => typeof b === "boolean" ? Option.some(b) : Option.none() })

const validPaths = (paths: ReadonlyArray<string>): boolean => {
  try {
    paths.forEach((path) => parsePath(path))
    return true
  } catch {
    return false
  }
}
const PathsText = decodeTo(
  Schema.String.pipe(Schema.filter((text) => validPaths(text.split(",").map((path) => path.trim())))),
  (text): ReadonlyArray<string> => text.split(",").map((path) => path.trim()).filter((path) => path.length > 0)
)

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** An object literal (or `Object.create(null)`): a `Map` or a class instance would pass `isRecord` with no entries read. */
const isPlainObject = (u: unknown): u is Readonly<Record<string, unknown>> => {
  if (!isRecord(u)) return false
  const proto = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === null
}

const isStringList = (u: unknown): u is ReadonlyArray<string> => Array.isArray(u) && u.every((item) => typeof item === "string")

/** A per-component record whose every value passes `check`, as a Map. */
const perComponent = <I, A>(expected: string, check: (value: I) => Option.Option<A>, env?: EnvVariable<Readonly<Record<string, I>>>) =>
  spec<Readonly<Record<string, I>>, ReadonlyMap<string, A>>({
    default: {},
    expected,
    check: (input) => {
      if (!isPlainObject(input)) return Option.none()
      const map = new Map<string, A>()
      for (const [name, value] of Object.entries(input)) {
        const checked = check(value)
        if (Option.isNone(checked)) return Option.none()
        map.set(name, checked.value)
      }
      return Option.some(map)
    },
    ...(env === undefined ? {} : { env })
  })

/** `LOG_LEVELS=db=warn,http=debug`: comma-separated `component=level` pairs. */
const LevelsText = decodeTo(
  Schema.String.pipe(Schema.filter((text) =>
    text.split(",").every((pair) => {
      const [name, level, extra] = pair.split("=").map((part) => part.trim())
      return extra === undefined && name !== undefined && name.length > 0 && level !== undefined &&
        ENV_LEVELS[level.toLowerCase()] !== undefined
    })
  )),
  (text): Readonly<Record<string, LevelInput>> =>
    Object.fromEntries(text.split(",").map((pair) => {
      const [name, level] = pair.split("=").map((part) => part.trim())
      return [name!, ENV_LEVELS[level!.toLowerCase()]!]
    }))
)

/** The retry policy of a sink write unless told otherwise (also each sink's in `LogSink.fanOut`). */
export const defaultRetry: AnySchedule = Schedule.exponential("100 millis").pipe(Schedule.intersect(Schedule.recurs(4)))

/** Every option: its default, its check, and the variable that can set it. */
export const specs = {
  capacity: positiveInt(10_000, "LOG_QUEUE_CAPACITY", MAX_CAPACITY),
  overflow: { ...oneOf(["dropping", "sliding"], "dropping"), env: envVariable("LOG_OVERFLOW", "dropping or sliding", lower("dropping", "sliding")) },
  batchSize: positiveInt(512, "LOG_BATCH_SIZE"),
  // a zero window is meaningful: the writer takes what is queued on its next turn, without waiting
  batchWindow: spec<Input<"batchWindow">, Duration.Duration | AnySchedule>({
    default: "100 millis",
    expected: `a finite duration such as "100 millis" (0: no wait) or a Schedule`,
    check: (input) => Schedule.isSchedule(input) ? Option.some(input) : checkDuration(true)(input),
    env: envVariable(
      "LOG_BATCH_WINDOW",
      `a finite duration such as "100 millis" or a number of milliseconds (0: no wait)`,
      DurationText
    )
  }),
  shutdownTimeout: timeout("5 seconds", "5 seconds", "LOG_SHUTDOWN_TIMEOUT"),
  minimumLevel: level("Info", "LOG_LEVEL"),
  criticalLevel: level("Error", "LOG_CRITICAL_LEVEL"),
  replace: boolean(true),
  mode: {
    ...oneOf(["async", "sync"], "async"),
    env: envVariable(
      "LOG_SYNC",
      "true or false (also yes/no, on/off, 1/0)",
      decodeTo(lower("true", "false", "yes", "no", "on", "off", "1", "0"), (text): "async" | "sync" => BOOLEANS[text] ? "sync" : "async")
    )
  },
  retry: spec<AnySchedule, AnySchedule>({
    default: defaultRetry,
    expected: "a Schedule",
    check: (input) => Schedule.isSchedule(input) ? Option.some(input) : Option.none()
  }),
  yieldOnPressure: boolean(true),
  maxRecordBytes: spec<number, number>({
    default: DEFAULT_MAX_RECORD_BYTES,
    expected: `an integer of at least ${MIN_MAX_RECORD_BYTES}`,
    check: (n) => isPositiveInt(n) && n >= MIN_MAX_RECORD_BYTES ? Option.some(n) : Option.none(),
    env: envVariable(
      "LOG_MAX_RECORD_BYTES",
      `an integer of at least ${MIN_MAX_RECORD_BYTES}`,
      PositiveIntText.pipe(Schema.greaterThanOrEqualTo(MIN_MAX_RECORD_BYTES))
    )
  }),
  redact: spec<ReadonlyArray<string>, ReadonlyArray<string>>({
    default: [],
    expected: "a list of key paths such as password, req.headers.authorization, *.token",
    check: (paths) => isStringList(paths) && validPaths(paths) ? Option.some(paths) : Option.none(),
    env: envVariable("LOG_REDACT", "comma-separated key paths such as password,req.headers.authorization,*.token", PathsText)
  }),
  componentKey: spec<string, string>({
    default: "component",
    expected: "a non-empty string",
    check: (key) => typeof key === "string" && key.length > 0 ? Option.some(key) : Option.none()
  }),
  levels: perComponent<LevelInput, LogLevel.LogLevel>(
    `an object of component: level, the levels one of ${LogLevel.allLevels.map((l) => l._tag).join(", ")}`,
    (input) => level("Info", "LOG_LEVELS").check(input),
    envVariable("LOG_LEVELS", "comma-separated component=level pairs such as db=warn,http=debug", LevelsText)
  ),
  sample: perComponent<number, number>(
    "an object of component: fraction kept, each from 0 to 1",
    (rate) => typeof rate === "number" && rate >= 0 && rate <= 1 ? Option.some(rate) : Option.none()
  ),
  rateLimit: perComponent<number, number>(
    "an object of component: records per second, each a positive integer",
    (n) => isPositiveInt(n) ? Option.some(n) : Option.none()
  ),
  writeTimeout: timeout("5 seconds", "5 seconds", "LOG_WRITE_TIMEOUT"),
  flushTimeout: timeout("5 seconds", "5 seconds", "LOG_FLUSH_TIMEOUT"),
  durability: {
    ...oneOf(["batched", "critical-sync"], "batched"),
    env: envVariable("LOG_DURABILITY", "batched or critical-sync", lower("batched", "critical-sync"))
  },
  terminateOn: spec<ReadonlyArray<"SIGHUP" | "SIGUSR2" | "SIGBREAK">, ReadonlyArray<"SIGHUP" | "SIGUSR2" | "SIGBREAK">>({
    default: [],
    expected: "a list of SIGHUP, SIGUSR2, SIGBREAK",
    check: (signals) =>
      isStringList(signals) && signals.every((s) => ["SIGHUP", "SIGUSR2", "SIGBREAK"].includes(s)) ? Option.some(signals) : Option.none()
  })
} satisfies { readonly [K in keyof Required<Options>]: Spec<Input<K>, unknown> }

type Specs = typeof specs
type Resolved<K extends keyof Specs> = Specs[K] extends Spec<infer _I, infer A> ? A : never

/** What the runtime uses: every option present, checked and decoded. */
export type ResolvedOptions = { readonly [K in keyof Specs]: Resolved<K> }

/** Every option's default, as a user would write it. */
export const defaults: { readonly [K in keyof Specs]: Input<K> } = Object.fromEntries(
  Object.entries(specs).map(([key, s]) => [key, s.default])
) as { readonly [K in keyof Specs]: Input<K> }

/** Wraps a number or bigint JSON cannot show, to be unquoted after `JSON.stringify`. */
const RAW = "\u0000"
const RAW_QUOTED = /"\\u0000(.*?)\\u0000"/g

const show = (value: unknown): string => {
  if (typeof value === "string") return JSON.stringify(value)
  if (typeof value === "bigint") return `${value}n`
  if ((Array.isArray(value) || isRecord(value)) && !Schedule.isSchedule(value) && !Duration.isDuration(value)) {
    try {
      // JSON writes NaN and Infinity as null and throws on a bigint: show them as written in code
      return JSON.stringify(value, (_key, v: unknown) =>
        (typeof v === "number" && !Number.isFinite(v)) ? `${RAW}${v}${RAW}`
        : typeof v === "bigint" ? `${RAW}${v}n${RAW}`
        : v).replace(RAW_QUOTED, "$1")
    } catch {
      return String(value)
    }
  }
  return String(value)
}

const OPTION_NAMES: ReadonlyArray<string> = Object.keys(specs)

/** Edit distance, ignoring case: `batchwindow` is one typo from `batchWindow`, not eleven. */
const distance = (a: string, b: string): number => {
  const x = a.toLowerCase()
  const y = b.toLowerCase()
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j)
  for (let i = 1; i <= x.length; i++) {
    const current = [i]
    for (let j = 1; j <= y.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[y.length]!
}

/**
 * TypeScript refuses an unknown key in an object literal, not in a spread object or in plain
 * JavaScript, where a typo would silently leave the option at its default.
 */
const unknownOption = (key: string): Error => {
  const name = /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key)
  const nearest = OPTION_NAMES
    .map((option) => ({ option, d: distance(key, option) }))
    .filter(({ d }) => d <= Math.max(2, Math.floor(key.length / 4)))
    .sort((a, b) => a.d - b.d)[0]
  return new Error(
    `logfiber: option ${name} is not an option of AsyncLogger; ` +
      (nearest === undefined ? `the options are ${OPTION_NAMES.join(", ")}` : `did you mean ${nearest.option}?`)
  )
}

/** Check every option given in code; throws an `Error` naming the option and the value. */
export const resolve = (options: Options): ResolvedOptions => {
  if (!isRecord(options)) throw new Error(`logfiber: AsyncLogger options must be an object; got ${show(options)}`)
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(specs, key)) throw unknownOption(key)
  }
  const resolved: Record<string, unknown> = {}
  for (const [key, s] of Object.entries(specs) as Array<[keyof Specs, Spec<unknown, unknown>]>) {
    // only undefined means "not given": null is not a value of any option
    const input = options[key] === undefined ? s.default : options[key]
    const checked = s.check(input)
    if (Option.isNone(checked)) {
      if (key === "redact" && isStringList(input)) explainBadPath(input)
      throw new Error(`logfiber: option ${key} must be ${s.expected}; got ${show(input)}`)
    }
    resolved[key] = checked.value
  }
  return resolved as ResolvedOptions
}

/** A bad redact path gets the parser's own explanation (which segment is wrong). */
const explainBadPath = (paths: ReadonlyArray<string>): void => {
  for (const path of paths) {
    try {
      parsePath(path)
    } catch (error) {
      throw new Error(`logfiber: option redact: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
}

/**
 * Read one variable: unset or blank is `None`; a value is decoded with its Schema, then passed
 * through `check` (the option's own check, so a variable accepts what code accepts, ranges
 * included), or fails naming both.
 */
const variable = <I>(v: EnvVariable<I>, check: (input: I) => Option.Option<unknown> = Option.some): Config.Config<Option.Option<I>> => {
  return Config.option(Config.string(v.name)).pipe(
    Config.mapOrFail((raw) => {
      if (Option.isNone(raw) || raw.value.trim() === "") return Either.right(Option.none())
      const decoded = Either.filterOrLeft(v.decode(raw.value.trim()), (value) => Option.isSome(check(value)), () => undefined)
      return Either.match(decoded, {
        onLeft: () => Either.left(ConfigError.InvalidData([v.name], `${v.name}: expected ${v.expected}, got ${JSON.stringify(raw.value)}`)),
        onRight: (value) => Either.right(Option.some(value))
      })
    })
  )
}

/** The same reading for variables that are not logger options (SinkFromEnv's per-sink variables). */
export const readVariable = <I>(name: string, expected: string, schema: Schema.Schema<I, string>): Config.Config<Option.Option<I>> =>
  variable(envVariable(name, expected, schema))

/** The names of the built-in formats, as `LOG_FORMAT` spells them. */
export type FormatName = "json" | "logfmt" | "pretty" | "pino"

/** What a `LOG_ENV` preset sets (explicit variables win over it). */
export const presets = {
  development: { minimumLevel: "Debug", format: "pretty", capacity: 20_000 },
  production: { minimumLevel: "Info", format: "json", capacity: 50_000 }
} as const satisfies Record<string, { minimumLevel: LogLevel.Literal; format: FormatName; capacity: number }>

const preset = Config.map(
  variable(envVariable("LOG_ENV", "development or production", lower("development", "production"))),
  Option.map((name) => presets[name])
)

/** `LOG_FORMAT` (or the preset's format, else `json`). */
export const formatName: Config.Config<FormatName> = Config.map(
  Config.all([variable(envVariable("LOG_FORMAT", "one of json, logfmt, pretty, pino", lower("json", "logfmt", "pretty", "pino"))), preset]),
  ([format, chosen]) => Option.getOrElse(format, () => Option.match(chosen, { onNone: () => "json" as const, onSome: (p) => p.format }))
)

const fromVariables: Config.Config<Options> = Config.map(
  Config.all(
    Object.fromEntries(
      Object.entries(specs).flatMap(([key, s]) =>
        "env" in s && s.env !== undefined
          ? [[key, variable(s.env as EnvVariable<unknown>, (s as Spec<unknown, unknown>).check)]]
          : []
      )
    ) as Record<string, Config.Config<Option.Option<unknown>>>
  ),
  (values) => Object.fromEntries(Object.entries(values).map(([key, value]) => [key, Option.getOrUndefined(value)])) as Options
)

/** Every option the environment can set, with the `LOG_ENV` preset under the explicit variables. */
export const fromEnv: Config.Config<Options> = Config.map(
  Config.all([fromVariables, preset]),
  ([options, chosen]) =>
    Option.match(chosen, {
      onNone: () => options,
      onSome: (p) => ({ ...options, minimumLevel: options.minimumLevel ?? p.minimumLevel, capacity: options.capacity ?? p.capacity })
    })
)
