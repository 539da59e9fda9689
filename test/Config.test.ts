import { describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { AsyncLogger, Format, TestSink } from "../src/index.js"

/** Run `effect` with exactly these environment variables. */
const withEnv = (env: Record<string, string>) => Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

const optionsFor = (env: Record<string, string>) => AsyncLogger.optionsFromEnv.pipe(withEnv(env))

/** The `ConfigError` message the Layer fails with. */
const layerError = (env: Record<string, string>) =>
  Layer.build(AsyncLogger.fromEnv.pipe(Layer.provide(TestSink.layer))).pipe(
    Effect.scoped,
    Effect.flip,
    withEnv(env),
    Effect.map((error) => String(error))
  )

describe("Configuration from the environment", () => {
  it.effect("no variables: every option left to its default, json format", () =>
    Effect.gen(function*() {
      const options = yield* optionsFor({})
      expect(Object.values(options).every((value) => value === undefined)).toBe(true)
      expect(yield* AsyncLogger.formatFromEnv.pipe(withEnv({}))).toBe(Format.json)
    }))

  it.effect("every variable is read and converted", () =>
    Effect.gen(function*() {
      const options = yield* optionsFor({
        LOG_LEVEL: "debug",
        LOG_CRITICAL_LEVEL: "WARN",
        LOG_QUEUE_CAPACITY: "1234",
        LOG_OVERFLOW: "sliding",
        LOG_BATCH_SIZE: "64",
        LOG_BATCH_WINDOW: "250 millis",
        LOG_SHUTDOWN_TIMEOUT: "2000",
        LOG_SYNC: "yes",
        LOG_MAX_RECORD_BYTES: "4096",
        LOG_REDACT: "password, req.headers.authorization,*.token"
      })
      expect({ ...options, batchWindow: undefined, shutdownTimeout: undefined }).toEqual({
        minimumLevel: "Debug",
        criticalLevel: "Warning",
        capacity: 1234,
        overflow: "sliding",
        batchSize: 64,
        batchWindow: undefined,
        shutdownTimeout: undefined,
        mode: "sync",
        maxRecordBytes: 4096,
        redact: ["password", "req.headers.authorization", "*.token"]
      })
      expect(Duration.toMillis(Duration.decode(options.batchWindow as Duration.DurationInput))).toBe(250)
      expect(Duration.toMillis(Duration.decode(options.shutdownTimeout!))).toBe(2000)
      expect(yield* AsyncLogger.formatFromEnv.pipe(withEnv({ LOG_FORMAT: "logfmt" }))).toBe(Format.logfmt)
      expect(yield* AsyncLogger.formatFromEnv.pipe(withEnv({ LOG_FORMAT: "PINO" }))).toBe(Format.pino)
    }))

  describe("presets", () => {
    it.effect("development: Debug, pretty, capacity 20,000", () =>
      Effect.gen(function*() {
        const options = yield* optionsFor({ LOG_ENV: "development" })
        expect(options.minimumLevel).toBe("Debug")
        expect(options.capacity).toBe(20_000)
        expect(yield* AsyncLogger.formatFromEnv.pipe(withEnv({ LOG_ENV: "development" }))).toBe(Format.pretty)
      }))

    it.effect("production: Info, json, capacity 50,000", () =>
      Effect.gen(function*() {
        const options = yield* optionsFor({ LOG_ENV: "production" })
        expect(options.minimumLevel).toBe("Info")
        expect(options.capacity).toBe(50_000)
        expect(yield* AsyncLogger.formatFromEnv.pipe(withEnv({ LOG_ENV: "production" }))).toBe(Format.json)
      }))

    it.effect("explicit variables win over the preset; the rest of the preset stays", () =>
      Effect.gen(function*() {
        const env = { LOG_ENV: "production", LOG_LEVEL: "warn", LOG_FORMAT: "logfmt", LOG_BATCH_SIZE: "10" }
        const options = yield* optionsFor(env)
        expect(options.minimumLevel).toBe("Warning")
        expect(options.capacity).toBe(50_000)
        expect(options.batchSize).toBe(10)
        expect(yield* AsyncLogger.formatFromEnv.pipe(withEnv(env))).toBe(Format.logfmt)
        const capacityOnly = yield* optionsFor({ LOG_ENV: "development", LOG_QUEUE_CAPACITY: "5" })
        expect(capacityOnly.capacity).toBe(5)
        expect(capacityOnly.minimumLevel).toBe("Debug")
      }))

    it.effect("blank variables count as unset", () =>
      Effect.gen(function*() {
        const options = yield* optionsFor({ LOG_ENV: "development", LOG_LEVEL: "  ", LOG_QUEUE_CAPACITY: "" })
        expect(options.minimumLevel).toBe("Debug")
        expect(options.capacity).toBe(20_000)
      }))
  })

  it.effect("fromEnv builds a working logger: LOG_LEVEL=debug lets debug records through", () =>
    Effect.gen(function*() {
      yield* Effect.logDebug("visible")
      yield* Effect.logTrace("hidden")
      yield* AsyncLogger.flush
      const records = yield* TestSink.records
      expect(records.map((r) => r.message)).toEqual(["visible"])
    }).pipe(
      Effect.provide(AsyncLogger.fromEnv.pipe(Layer.provideMerge(TestSink.layer))),
      withEnv({ LOG_LEVEL: "debug" })
    ))

  it.effect("fromEnv applies LOG_REDACT and LOG_MAX_RECORD_BYTES", () =>
    Effect.gen(function*() {
      yield* Effect.logInfo("login", { user: "ada", password: "hunter2", note: "n".repeat(10_000) })
      yield* AsyncLogger.flush
      const [record] = yield* TestSink.records
      const line = Format.json(record!)
      expect(line).not.toContain("hunter2")
      expect(JSON.parse(line).fields.password).toBe("[REDACTED]")
      expect(Buffer.byteLength(line)).toBeLessThanOrEqual(2_048 + 64)
    }).pipe(
      Effect.provide(AsyncLogger.fromEnv.pipe(Layer.provideMerge(TestSink.layer))),
      withEnv({ LOG_REDACT: "password", LOG_MAX_RECORD_BYTES: "2048" })
    ))

  describe("a bad value fails the Layer, naming the variable and the value", () => {
    const cases: ReadonlyArray<readonly [Record<string, string>, string]> = [
      [{ LOG_QUEUE_CAPACITY: "abc" }, "LOG_QUEUE_CAPACITY: expected a positive integer up to 16777216, got \"abc\""],
      [{ LOG_QUEUE_CAPACITY: "0" }, "LOG_QUEUE_CAPACITY: expected a positive integer up to 16777216, got \"0\""],
      [{ LOG_BATCH_SIZE: "-5" }, "LOG_BATCH_SIZE: expected a positive integer, got \"-5\""],
      [{ LOG_BATCH_SIZE: "1.5" }, "LOG_BATCH_SIZE: expected a positive integer, got \"1.5\""],
      [{ LOG_LEVEL: "loud" }, "LOG_LEVEL: expected one of trace, debug, info, warn, error, fatal, all, none (any case), got \"loud\""],
      [{ LOG_CRITICAL_LEVEL: "severe" }, "LOG_CRITICAL_LEVEL: expected one of trace, debug, info, warn, error, fatal, all, none (any case), got \"severe\""],
      [{ LOG_ENV: "staging" }, "LOG_ENV: expected development or production, got \"staging\""],
      [{ LOG_BATCH_WINDOW: "soon" }, "LOG_BATCH_WINDOW: expected a finite duration such as \"100 millis\" or a number of milliseconds (0: no wait), got \"soon\""],
      [{ LOG_SHUTDOWN_TIMEOUT: "-1 seconds" }, "LOG_SHUTDOWN_TIMEOUT: expected a finite duration above zero such as \"5 seconds\" or a number of milliseconds, got \"-1 seconds\""],
      [{ LOG_SYNC: "maybe" }, "LOG_SYNC: expected true or false (also yes/no, on/off, 1/0), got \"maybe\""],
      [{ LOG_OVERFLOW: "block" }, "LOG_OVERFLOW: expected dropping or sliding, got \"block\""],
      [{ LOG_MAX_RECORD_BYTES: "100" }, "LOG_MAX_RECORD_BYTES: expected an integer of at least 1024, got \"100\""],
      [{ LOG_REDACT: "a..b" }, "LOG_REDACT: expected comma-separated key paths such as password,req.headers.authorization,*.token, got \"a..b\""],
      [{ LOG_REDACT: "password,,token" }, "LOG_REDACT: expected comma-separated key paths such as password,req.headers.authorization,*.token, got \"password,,token\""],
      // past what a variable's Schema checks: each variable also goes through its option's own check
      [{ LOG_QUEUE_CAPACITY: "16777217" }, "LOG_QUEUE_CAPACITY: expected a positive integer up to 16777216, got \"16777217\""],
      [{ LOG_WRITE_TIMEOUT: "0" }, "LOG_WRITE_TIMEOUT: expected a finite duration above zero such as \"5 seconds\" or a number of milliseconds, got \"0\""],
      [{ LOG_FLUSH_TIMEOUT: "0 millis" }, "LOG_FLUSH_TIMEOUT: expected a finite duration above zero such as \"5 seconds\" or a number of milliseconds, got \"0 millis\""],
      [{ LOG_SHUTDOWN_TIMEOUT: "0" }, "LOG_SHUTDOWN_TIMEOUT: expected a finite duration above zero such as \"5 seconds\" or a number of milliseconds, got \"0\""],
      [{ LOG_WRITE_TIMEOUT: "Infinity" }, "LOG_WRITE_TIMEOUT: expected a finite duration above zero such as \"5 seconds\" or a number of milliseconds, got \"Infinity\""],
      [{ LOG_BATCH_WINDOW: "-5" }, "LOG_BATCH_WINDOW: expected a finite duration such as \"100 millis\" or a number of milliseconds (0: no wait), got \"-5\""],
      [{ LOG_BATCH_WINDOW: "-1 millis" }, "LOG_BATCH_WINDOW: expected a finite duration such as \"100 millis\" or a number of milliseconds (0: no wait), got \"-1 millis\""],
      [{ LOG_MAX_RECORD_BYTES: "1e6" }, "LOG_MAX_RECORD_BYTES: expected an integer of at least 1024, got \"1e6\""],
      [{ LOG_LEVELS: "db=loud" }, "LOG_LEVELS: expected comma-separated component=level pairs such as db=warn,http=debug, got \"db=loud\""],
      [{ LOG_DURABILITY: "fsync" }, "LOG_DURABILITY: expected batched or critical-sync, got \"fsync\""]
    ]
    for (const [env, message] of cases) {
      it.effect(`${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(" ")}`, () =>
        Effect.gen(function*() {
          expect(yield* layerError(env)).toContain(message)
        }))
    }

    it.effect("the bounds themselves are accepted: LOG_QUEUE_CAPACITY=16777216, LOG_BATCH_WINDOW=0 (no wait)", () =>
      Effect.gen(function*() {
        const options = yield* optionsFor({ LOG_QUEUE_CAPACITY: "16777216", LOG_BATCH_WINDOW: "0", LOG_WRITE_TIMEOUT: "1 nano" })
        expect(options.capacity).toBe(16_777_216)
        expect(Duration.toMillis(Duration.decode(options.batchWindow as Duration.DurationInput))).toBe(0)
        expect(Duration.toNanos(Duration.decode(options.writeTimeout!))).toEqual(Option.some(1n))
      }))

    it.effect("LOG_FORMAT=xml fails formatFromEnv (and consoleFromEnv)", () =>
      Effect.gen(function*() {
        const error = yield* AsyncLogger.formatFromEnv.pipe(Effect.flip, withEnv({ LOG_FORMAT: "xml" }))
        expect(String(error)).toContain("LOG_FORMAT: expected one of json, logfmt, pretty, pino, got \"xml\"")
        const layerFailure = yield* Layer.build(AsyncLogger.consoleFromEnv).pipe(
          Effect.scoped,
          Effect.flip,
          withEnv({ LOG_FORMAT: "xml" })
        )
        expect(String(layerFailure)).toContain("LOG_FORMAT: expected one of json, logfmt, pretty, pino, got \"xml\"")
      }))
  })
})
