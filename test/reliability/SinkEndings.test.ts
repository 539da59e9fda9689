/**
 * Every way a sink write can end leaves every record in exactly one bucket of `stats`, and the
 * records not written are on stderr (issue: reliability, item 1).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/TestClock"
import { AsyncLogger, LogSink } from "../../src/index.js"
import type { LogRecord } from "../../src/LogRecord.js"
import { captureStderr, untilSleeps } from "../helpers.js"

const RECORDS = 30

class UnreadableError extends Error {
  override get message(): string {
    throw new Error("message getter")
  }
}

/** A sink whose write ends as `end` says for its first `bad` attempts, then succeeds. */
const sinkEnding = (end: (attempt: number) => Effect.Effect<void, LogSink.SinkError>, into: Array<LogRecord>) => {
  let attempts = 0
  const sink = LogSink.make({
    name: "faulty",
    write: (batch) => {
      const n = ++attempts
      return Effect.zipRight(end(n), Effect.sync(() => void into.push(...batch)))
    }
  })
  return { layer: Layer.succeed(LogSink.LogSink, sink), attempts: () => attempts }
}

const options: AsyncLogger.Options = { batchSize: 10, retry: Schedule.recurs(2), writeTimeout: "1 second" }

/** Log RECORDS records, flush, and return the stats and what went to stderr. */
const run = (layer: Layer.Layer<LogSink.LogSink>) =>
  captureStderr(
    Effect.gen(function*() {
      for (let i = 0; i < RECORDS; i++) yield* Effect.logInfo("record", { i })
      yield* AsyncLogger.flush
      return yield* AsyncLogger.stats
    }).pipe(Effect.provide(AsyncLogger.layer(options).pipe(Layer.provide(layer))))
  )

const stderrRecords = (chunks: ReadonlyArray<string>): Array<number> =>
  chunks.join("").split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line).fields.i as number)

const all = Array.from({ length: RECORDS }, (_, i) => i)

const endings: ReadonlyArray<readonly [string, () => Effect.Effect<void, LogSink.SinkError>]> = [
  ["a failure", () => Effect.fail(new LogSink.SinkError({ sink: "faulty", reason: "EIO" }))],
  ["a defect", () => Effect.die(new Error("bug in the sink"))],
  ["a synchronous throw", () => {
    throw new Error("thrown before any Effect")
  }],
  ["an interruption from inside the sink", () => Effect.interrupt],
  ["an offer to a Queue that was shut down", () =>
    Effect.gen(function*() {
      const queue = yield* Queue.bounded<number>(1)
      yield* Queue.shutdown(queue)
      yield* Queue.offer(queue, 1)
    })],
  // values that throw when read or printed: the report on stderr must not throw in turn
  ["a defect whose message getter throws", () => Effect.die(new UnreadableError())],
  ["a failure with a null-prototype object", () => Effect.fail(Object.create(null) as LogSink.SinkError)]
]

describe("reliability: how a sink write ends", () => {
  for (const [name, end] of endings) {
    it.effect(`${name}, every time: retried, then every record counted failed and on stderr`, () =>
      Effect.gen(function*() {
        const written: Array<LogRecord> = []
        const sink = sinkEnding(end, written)
        const [stats, stderr] = yield* run(sink.layer)
        expect(stats).toMatchObject({ offered: RECORDS, written: 0, failed: RECORDS, dropped: 0, fallback: 0, pending: 0 })
        expect(sink.attempts()).toBe(3 * (RECORDS / 10)) // each batch: the attempt and two retries
        expect(stats.retries).toBe(2 * (RECORDS / 10))
        expect(written).toHaveLength(0)
        expect(stderrRecords(stderr).sort((a, b) => a - b)).toEqual(all)
        expect(stderr.join("")).toContain("sink faulty failed after 3 attempt(s)")
      }))

    it.effect(`${name}, once: the retry writes the batch, nothing lost or duplicated`, () =>
      Effect.gen(function*() {
        const written: Array<LogRecord> = []
        const sink = sinkEnding((n) => n === 1 ? end() : Effect.void, written)
        const [stats, stderr] = yield* run(sink.layer)
        expect(stats).toMatchObject({ offered: RECORDS, written: RECORDS, failed: 0, dropped: 0, pending: 0, retries: 1 })
        expect(written.map((r) => r.fields.i)).toEqual(all)
        expect(stderrRecords(stderr)).toEqual([])
      }))
  }

  it.effect("a flush that dies with an unreadable error: AsyncLogger.flush still returns, the program goes on", () =>
    Effect.gen(function*() {
      const sink = LogSink.make({ name: "faulty", write: () => Effect.void, flush: Effect.die(new UnreadableError()) })
      const [[flushed, stats]] = yield* captureStderr(
        Effect.gen(function*() {
          yield* Effect.logInfo("record")
          const flushed = yield* AsyncLogger.flush
          return [flushed, yield* AsyncLogger.stats] as const
        }).pipe(Effect.provide(AsyncLogger.layer(options).pipe(Layer.provide(Layer.succeed(LogSink.LogSink, sink)))))
      )
      expect(flushed.pending).toBe(0)
      expect(stats).toMatchObject({ offered: 1, written: 1, pending: 0 })
    }))

  it.effect("a hang: each attempt fails after writeTimeout, then the records are counted failed", () =>
    Effect.gen(function*() {
      const written: Array<LogRecord> = []
      const sink = sinkEnding(() => Effect.never, written)
      const [stats, stderr] = yield* captureStderr(
        Effect.gen(function*() {
          for (let i = 0; i < 10; i++) yield* Effect.logInfo("record", { i })
          const flushing = yield* Effect.fork(AsyncLogger.flush)
          // the attempt and two retries, each cut by the 1 s writeTimeout
          for (let attempt = 1; attempt <= 3; attempt++) {
            yield* untilSleeps(2) // the flush's bound and this attempt's timeout
            expect(sink.attempts()).toBe(attempt)
            yield* TestClock.adjust("1 second")
          }
          const result = yield* Fiber.join(flushing)
          expect(result).toEqual({ complete: true, pending: 0 })
          return yield* AsyncLogger.stats
        }).pipe(Effect.provide(AsyncLogger.layer(options).pipe(Layer.provide(sink.layer))))
      )
      expect(stats).toMatchObject({ offered: 10, written: 0, failed: 10, pending: 0, retries: 2 })
      expect(stderrRecords(stderr).sort((a, b) => a - b)).toEqual(all.slice(0, 10))
      expect(stderr.join("")).toContain("no answer within writeTimeout (1s)")
    }))
})

describe("reliability: flush is bounded", () => {
  it.effect("a hanging sink: flush returns after flushTimeout and says how many records it could not settle", () =>
    Effect.gen(function*() {
      const sink = sinkEnding(() => Effect.never, [])
      const hanging = { ...options, writeTimeout: "1 hour", flushTimeout: "2 seconds", shutdownTimeout: "1 second" } as const
      const [[result, stats], stderr] = yield* captureStderr(
        Effect.gen(function*() {
          for (let i = 0; i < 25; i++) yield* Effect.logInfo("record", { i })
          const flushing = yield* Effect.fork(AsyncLogger.flush)
          yield* untilSleeps(2)
          yield* TestClock.adjust("2 seconds")
          const result = yield* Fiber.join(flushing)
          return [result, yield* AsyncLogger.stats] as const
        }).pipe(
          Effect.provide(AsyncLogger.layer(hanging).pipe(Layer.provide(sink.layer))),
          // the shutdown's own bound, so the test's scope can close on the TestClock
          Effect.fork,
          Effect.tap(() => untilSleeps(1)),
          Effect.flatMap((fiber) => Effect.zipRight(TestClock.adjust("1 hour"), Fiber.join(fiber)))
        )
      )
      expect(result).toEqual({ complete: false, pending: 25 })
      expect(stats).toMatchObject({ offered: 25, written: 0, pending: 25 })
      // shutdown then gave up too: every record is on stderr, counted failed
      expect(stderrRecords(stderr).sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i))
    }))
})
