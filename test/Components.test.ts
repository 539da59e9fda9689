import { describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as LogLevel from "effect/LogLevel"
import * as Random from "effect/Random"
import * as TestClock from "effect/TestClock"
import { AsyncLogger, LogRecord, TestSink } from "../src/index.js"

const withTestSink = (options: AsyncLogger.Options) => AsyncLogger.layer(options).pipe(Layer.provideMerge(TestSink.layer))

const accounted = (s: AsyncLogger.Stats) => s.written + s.dropped + s.sampled + s.failed + s.fallback + s.pending

const times = (n: number, effect: Effect.Effect<void>) =>
  Effect.forEach(Array.from({ length: n }), () => effect, { discard: true })

const componentOf = (r: LogRecord.LogRecord) => r.annotations.component

describe("Per-component levels", () => {
  it.effect("each component keeps its own level; others keep minimumLevel; filtered records are not offered", () =>
    Effect.gen(function*() {
      const levels = ["Debug", "Info", "Warning", "Error"] as const
      const logAll = (tag: string) =>
        Effect.forEach(levels, (level) => Effect.logWithLevel(LogLevel.fromLiteral(level), `${tag} ${level}`), { discard: true })
      yield* logAll("db").pipe(AsyncLogger.component("db"))
      yield* logAll("http").pipe(AsyncLogger.component("http"))
      yield* logAll("other").pipe(AsyncLogger.component("other"))
      yield* logAll("none")
      yield* AsyncLogger.flush
      const messages = (yield* TestSink.records).map((r) => r.message)
      expect(messages).toEqual([
        "db Warning",
        "db Error",
        "http Debug",
        "http Info",
        "http Warning",
        "http Error",
        "other Info",
        "other Warning",
        "other Error",
        "none Info",
        "none Warning",
        "none Error"
      ])
      const stats = yield* AsyncLogger.stats
      expect(stats.offered).toBe(12)
      expect(stats.sampled).toBe(0)
    }).pipe(Effect.provide(withTestSink({ minimumLevel: "Info", levels: { db: "Warning", http: "Debug" } }))))

  it.effect("a component annotation that cannot be made a string (null prototype, throwing toString, a Proxy) takes the \"*\" rule; the log call goes on", () =>
    Effect.gen(function*() {
      const odd: Array<unknown> = [
        Object.create(null),
        { toString: () => { throw new Error("no name") } },
        { [Symbol.toPrimitive]: () => ({}) },
        new Proxy({}, { get: () => { throw new Error("trap") } })
      ]
      for (const [i, value] of odd.entries()) yield* Effect.annotateLogs(Effect.logInfo(`odd ${i}`), "component", value)
      yield* Effect.logError("after them")
      yield* AsyncLogger.flush
      const records = yield* TestSink.records
      expect(records.map((r) => r.message)).toEqual(["odd 0", "odd 1", "odd 2", "odd 3", "after them"])
      expect(accounted(yield* AsyncLogger.stats)).toBe(5)
    }).pipe(Effect.provide(withTestSink({ levels: { db: "Warning" }, sample: { "*": 1 } }))))

  it.effect("componentKey names another annotation; a child fiber inherits its parent's component", () =>
    Effect.gen(function*() {
      yield* Effect.logInfo("db info").pipe(Effect.annotateLogs("module", "db"))
      yield* Effect.logError("db error").pipe(Effect.annotateLogs("module", "db"))
      yield* Effect.fork(Effect.logDebug("child debug")).pipe(
        Effect.flatMap((fiber) => fiber.await),
        Effect.annotateLogs("module", "http")
      )
      yield* AsyncLogger.flush
      expect((yield* TestSink.records).map((r) => r.message)).toEqual(["db error", "child debug"])
    }).pipe(Effect.provide(withTestSink({ componentKey: "module", levels: { db: "Error", http: "Debug" } }))))

  it.effect("LOG_LEVELS=db=warn,http=debug is read; a bad value names the variable and the value", () =>
    Effect.gen(function*() {
      const read = (value: string) =>
        AsyncLogger.optionsFromEnv.pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["LOG_LEVELS", value]])))
        )
      expect((yield* read("db=warn, http=DEBUG")).levels).toEqual({ db: "Warning", http: "Debug" })
      const error = yield* Effect.flip(read("db=loud"))
      expect(String(error)).toContain(`LOG_LEVELS: expected comma-separated component=level pairs such as db=warn,http=debug, got "db=loud"`)
    }))

  it("an invalid option in code dies naming the option and the value", () => {
    const build = (options: AsyncLogger.Options) => {
      const exit = Effect.runSyncExit(Effect.scoped(Layer.build(withTestSink(options))))
      return Exit.isFailure(exit) ? String(exit.cause) : "built"
    }
    expect((build({ levels: { db: "Loud" as "Info" } }))).toContain(`option levels must be an object of component: level`)
    expect((build({ levels: { db: "Loud" as "Info" } }))).toContain(`got {"db":"Loud"}`)
    expect((build({ sample: { http: 1.5 } }))).toContain(`option sample must be an object of component: fraction kept, each from 0 to 1; got {"http":1.5}`)
    expect((build({ rateLimit: { http: 0 } }))).toContain(`option rateLimit must be an object of component: records per second`)
  })
})

describe("Sampling", () => {
  const workload = Effect.gen(function*() {
    yield* times(10_000, Effect.logInfo("http info")).pipe(AsyncLogger.component("http"))
    yield* times(100, Effect.logWarning("http warning")).pipe(AsyncLogger.component("http"))
    yield* times(50, Effect.logError("http error")).pipe(AsyncLogger.component("http"))
    yield* times(1_000, Effect.logInfo("db info")).pipe(AsyncLogger.component("db"))
    yield* AsyncLogger.flush
    return { records: yield* TestSink.records, stats: yield* AsyncLogger.stats }
  })
  const sampled = (seed: number) =>
    workload.pipe(
      Effect.provide(withTestSink({ sample: { http: 0.1, "*": 1 }, capacity: 20_000 })),
      Effect.withRandom(Random.make(seed))
    )

  it.effect("keeps about the fraction (10,000 x 0.1 within 150, 5 standard deviations), never a Warning or above; sampled is exact", () =>
    Effect.gen(function*() {
      const { records, stats } = yield* sampled(42)
      const count = (message: string) => records.filter((r) => r.message === message).length
      expect(Math.abs(count("http info") - 1_000)).toBeLessThanOrEqual(150)
      expect(count("http warning")).toBe(100)
      expect(count("http error")).toBe(50)
      expect(count("db info")).toBe(1_000)
      expect(stats.sampled).toBe(10_000 - count("http info"))
      expect(stats.offered).toBe(11_150)
      expect(stats.written).toBe(records.length)
      expect(accounted(stats)).toBe(stats.offered)
    }))

  it.effect("a fixed Random seed gives the same choices; another seed other ones", () =>
    Effect.gen(function*() {
      const kept = (run: { records: ReadonlyArray<LogRecord.LogRecord> }) =>
        run.records.filter((r) => r.message === "http info").map((r) => r.seq).join(",")
      const a = yield* sampled(7)
      const b = yield* sampled(7)
      const c = yield* sampled(8)
      expect(kept(a)).toBe(kept(b))
      expect(kept(a)).not.toBe(kept(c))
    }))

  it.effect("sample 0 keeps only Warning and above; the \"*\" rate applies to records without a component", () =>
    Effect.gen(function*() {
      yield* times(500, Effect.logInfo("plain"))
      yield* Effect.logWarning("plain warning")
      yield* times(20, Effect.logInfo("http info")).pipe(AsyncLogger.component("http"))
      yield* AsyncLogger.flush
      const records = yield* TestSink.records
      expect(records.map((r) => r.message)).toEqual(["plain warning", ...Array.from({ length: 20 }, () => "http info")])
      expect((yield* AsyncLogger.stats).sampled).toBe(500)
    }).pipe(Effect.provide(withTestSink({ sample: { "*": 0, http: 1 } }))))
})

describe("Rate limits", () => {
  it.effect("caps records per second per component; a summary record when the limit lifts; sampled is exact", () =>
    Effect.gen(function*() {
      yield* times(2_500, Effect.logInfo("http info")).pipe(AsyncLogger.component("http"))
      yield* times(10, Effect.logError("http error")).pipe(AsyncLogger.component("http"))
      yield* times(300, Effect.logInfo("db info")).pipe(AsyncLogger.component("db"))
      yield* TestClock.adjust("1 second")
      yield* Effect.logInfo("next second").pipe(AsyncLogger.component("http"))
      yield* AsyncLogger.flush
      const records = yield* TestSink.records
      const http = records.filter((r) => componentOf(r) === "http")
      expect(http.filter((r) => r.message === "http info").length).toBe(1_000)
      expect(http.filter((r) => r.message === "http error").length).toBe(10)
      expect(records.filter((r) => r.message === "db info").length).toBe(300)
      const summaryIndex = records.findIndex((r) => r.message === "1500 records suppressed")
      expect(summaryIndex).toBeGreaterThan(-1)
      const summary = records[summaryIndex]!
      expect(summary.level).toBe("WARN")
      expect(componentOf(summary)).toBe("http")
      expect(summary.fields).toMatchObject({ component: "http", suppressed: 1500, rateLimitPerSecond: 1000 })
      expect(records[summaryIndex + 1]!.message).toBe("next second")
      const stats = yield* AsyncLogger.stats
      expect(stats.sampled).toBe(1_500)
      expect(stats.offered).toBe(2_500 + 10 + 300 + 1 + 1)
      expect(accounted(stats)).toBe(stats.offered)
    }).pipe(Effect.provide(withTestSink({ rateLimit: { http: 1000 }, capacity: 5_000 }))))

  it.effect("shutdown reports a window still refusing records before the sink closes", () =>
    Effect.gen(function*() {
      const state = yield* Effect.scoped(
        Effect.gen(function*() {
          const context = yield* Layer.build(withTestSink({ rateLimit: { db: 10 } }))
          yield* times(12, Effect.logInfo("q")).pipe(AsyncLogger.component("db"), Effect.provide(context))
          return Context.get(context, TestSink.TestSink)
        })
      )
      const records = state.batches.flat()
      expect(records.map((r) => r.message)).toEqual([...Array.from({ length: 10 }, () => "q"), "2 records suppressed"])
      expect(componentOf(records[10]!)).toBe("db")
    }))

  it.effect("a flush reports a window still refusing records", () =>
    Effect.gen(function*() {
      yield* times(105, Effect.logInfo("x"))
      yield* AsyncLogger.flush
      const records = yield* TestSink.records
      expect(records.length).toBe(101)
      expect(records[100]!.message).toBe("5 records suppressed")
      expect(records[100]!.annotations).toEqual({})
    }).pipe(Effect.provide(withTestSink({ rateLimit: { "*": 100 } }))))
})
