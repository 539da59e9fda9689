import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/TestClock"
import * as path from "node:path"
import { AsyncLogger, FileSink, LogSink } from "../src/index.js"
import { captureStderr, readLines, tempDir } from "./helpers.js"

const seqs = (file: string): Array<number> => readLines(file).map((line) => (JSON.parse(line) as { seq: number }).seq)

const down = (attempts: { n: number }) =>
  Layer.succeed(
    LogSink.LogSink,
    LogSink.make({
      name: "down",
      write: () =>
        Effect.suspend(() => {
          attempts.n++
          return Effect.fail(new LogSink.SinkError({ sink: "down", reason: "connection refused" }))
        })
    })
  )

const logs = (n: number) => Effect.forEach(Array.from({ length: n }, (_, i) => i + 1), (i) => Effect.logInfo("event", { i }), { discard: true })

describe("LogSink.fanOut", () => {
  it.effect("one always-failing sink: the healthy sinks hold each record exactly once; stats per sink", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const [a, b] = [path.join(dir, "a.log"), path.join(dir, "b.log")]
      const attempts = { n: 0 }
      const Sinks = LogSink.fanOut({ retry: Schedule.recurs(2) }, FileSink.layer({ path: a }), FileSink.layer({ path: b }), down(attempts))
      const [[stats, perSink], stderr] = yield* captureStderr(
        Effect.gen(function*() {
          yield* logs(10)
          yield* AsyncLogger.flush
          return [yield* AsyncLogger.stats, yield* LogSink.stats] as const
        }).pipe(Effect.provide(AsyncLogger.layer({ batchSize: 4 }).pipe(Layer.provideMerge(Sinks))))
      )
      const all = Array.from({ length: 10 }, (_, i) => i + 1)
      expect(seqs(a)).toEqual(all)
      expect(seqs(b)).toEqual(all)
      // 3 batches (4 + 4 + 2), each tried 3 times on the failing sink only
      expect(attempts.n).toBe(9)
      expect(perSink).toEqual([
        { sink: `file(${a})`, written: 10, failed: 0, retries: 0, batches: 3 },
        { sink: `file(${b})`, written: 10, failed: 0, retries: 0, batches: 3 },
        { sink: "down", written: 0, failed: 10, retries: 6, batches: 0 }
      ])
      expect(stats).toMatchObject({ offered: 10, written: 10, failed: 0, retries: 0, sinks: perSink })
      expect(stderr.join("")).toContain("down failed after 3 attempt(s): connection refused")
      // the records are in the healthy files: the notice does not repeat them
      expect(stderr.join("")).not.toContain("\"event\"")
    }))

  it.effect("every sink failing: the batch fails once (no retry of retries), counted failed, records on stderr", () =>
    Effect.gen(function*() {
      const [first, second] = [{ n: 0 }, { n: 0 }]
      const [stats, stderr] = yield* captureStderr(
        Effect.gen(function*() {
          yield* logs(3)
          yield* AsyncLogger.flush
          return yield* AsyncLogger.stats
        }).pipe(Effect.provide(AsyncLogger.layer().pipe(
          Layer.provide(LogSink.fanOut({ retry: Schedule.recurs(1) }, down(first), down(second)))
        )))
      )
      expect([first.n, second.n]).toEqual([2, 2])
      expect(stats).toMatchObject({ offered: 3, written: 0, failed: 3, retries: 0 })
      expect(stats.sinks?.map((s) => [s.written, s.failed])).toEqual([[0, 3], [0, 3]])
      expect(stderr.join("").match(/"message":"event"/g)).toHaveLength(3)
    }))
  it.effect("a sink that never answers: the others hold each record once, the batch counts as written, the hanging one failed", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "a.log")
      const hangs = Layer.succeed(LogSink.LogSink, LogSink.make({ name: "hangs", write: () => Effect.never }))
      const Live = AsyncLogger.layer().pipe(
        Layer.provideMerge(LogSink.fanOut({ retry: Schedule.recurs(1), writeTimeout: "1 second" }, FileSink.layer({ path: file }), hangs))
      )
      const fiber = yield* Effect.fork(captureStderr(
        Effect.gen(function*() {
          yield* logs(5)
          const flushed = yield* AsyncLogger.flush
          return [flushed, yield* AsyncLogger.stats] as const
        }).pipe(Effect.provide(Live))
      ))
      // the hanging sink's two attempts end after 1 s each
      for (let i = 0; i < 10 && Option.isNone(yield* Fiber.poll(fiber)); i++) yield* TestClock.adjust("1 second")
      const [[flushed, stats], stderr] = yield* Fiber.join(fiber)
      expect(flushed).toEqual({ complete: true, pending: 0 })
      expect(seqs(file)).toEqual([1, 2, 3, 4, 5])
      expect(stats).toMatchObject({ offered: 5, written: 5, failed: 0, retries: 0 })
      expect(stats.sinks).toEqual([
        { sink: `file(${file})`, written: 5, failed: 0, retries: 0, batches: 1 },
        { sink: "hangs", written: 0, failed: 5, retries: 1, batches: 0 }
      ])
      expect(stderr.join("")).toContain(
        "hangs failed after 2 attempt(s): no answer within 1s; 5 record(s) not written to it (written to the other sinks)"
      )
      expect(stderr.join("")).not.toContain("\"event\"")
    }))

  it.live("a sink that is down does not hold back the others: a 20,000-record burst reaches the file whole, nothing dropped", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "a.log")
      const attempts = { n: 0 }
      // each batch costs the down sink ~350 ms of retries: before, every batch waited for them
      const Sinks = LogSink.fanOut(
        { retry: Schedule.exponential("50 millis").pipe(Schedule.intersect(Schedule.recurs(3))) },
        FileSink.layer({ path: file }),
        down(attempts)
      )
      const [stats] = yield* captureStderr(
        Effect.gen(function*() {
          yield* logs(20_000)
          return yield* AsyncLogger.AsyncLogger
        }).pipe(
          Effect.provide(AsyncLogger.layer({ shutdownTimeout: "300 millis" }).pipe(Layer.provideMerge(Sinks))),
          // the stats after the scope closed: the down sink's backlog given up and counted
          Effect.flatMap((service) => service.stats)
        )
      )
      expect(seqs(file)).toEqual(Array.from({ length: 20_000 }, (_, i) => i + 1))
      expect(stats).toMatchObject({ offered: 20_000, written: 20_000, dropped: 0, failed: 0, pending: 0 })
      expect(stats.sinks?.map((s) => [s.written, s.failed])).toEqual([[20_000, 0], [0, 20_000]])
    }), 30_000)
})

describe("LogSink.withMinimumLevel", () => {
  it.effect("errors also to their own file: the main file has every record, the error file ERROR and above", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const [main, errors] = [path.join(dir, "app.log"), path.join(dir, "errors.log")]
      const Sinks = LogSink.fanOut(
        FileSink.layer({ path: main }),
        LogSink.withMinimumLevel(FileSink.layer({ path: errors }), "Error")
      )
      const perSink = yield* Effect.gen(function*() {
        yield* Effect.logInfo("started")
        yield* Effect.logWarning("slow")
        yield* Effect.logError("failed")
        yield* Effect.logFatal("down")
        yield* AsyncLogger.flush
        return yield* LogSink.stats
      }).pipe(Effect.provide(AsyncLogger.layer().pipe(Layer.provideMerge(Sinks))))
      const levels = (file: string) => readLines(file).map((l) => (JSON.parse(l) as { level: string }).level)
      expect(levels(main)).toEqual(["INFO", "WARN", "ERROR", "FATAL"])
      expect(levels(errors)).toEqual(["ERROR", "FATAL"])
      expect(perSink.map((s) => s.written)).toEqual([4, 2])
    }))

  it.effect("in a pipe, with \"Warn\" (the alias of \"Warning\"), on a sink service", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const Mine = Layer.succeed(
        LogSink.LogSink,
        LogSink.make({ write: (batch) => Effect.sync(() => batch.forEach((r) => seen.push(r.message))) })
      )
      yield* Effect.gen(function*() {
        yield* Effect.logInfo("a")
        yield* Effect.logWarning("b")
        yield* Effect.logError("c")
      }).pipe(Effect.provide(AsyncLogger.layer().pipe(Layer.provide(Mine.pipe(LogSink.withMinimumLevel("Warn"))))))
      expect(seen).toEqual(["b", "c"])
      const service = LogSink.withMinimumLevel(LogSink.make({ write: () => Effect.void }), "Warn")
      expect(service.minimumLevel?.label).toBe("WARN")
      expect(() => LogSink.withMinimumLevel(LogSink.make({ write: () => Effect.void }), "Loud" as "Warn")).toThrow(
        "LogSink.withMinimumLevel level must be one of All, Trace, Debug, Info, Warning (or Warn), Error, Fatal, None; got \"Loud\""
      )
    }))
})

/** A sink that fails every write with `error`, counting the attempts. */
const failing = (error: (batch: number) => LogSink.SinkError) => {
  const attempts = { n: 0 }
  const layer = Layer.succeed(
    LogSink.LogSink,
    LogSink.make({ name: "refusing", write: (batch) => Effect.suspend(() => (attempts.n++, Effect.fail(error(batch.length)))) })
  )
  return { attempts, layer }
}

const run = (sink: Layer.Layer<LogSink.LogSink>) =>
  captureStderr(Effect.gen(function*() {
    yield* Effect.forEach([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], (i) => Effect.logInfo("r", { i }), { discard: true })
    yield* AsyncLogger.flush
    return yield* AsyncLogger.stats
  }).pipe(Effect.provide(AsyncLogger.layer({ batchSize: 10, retry: Schedule.recurs(5) }).pipe(Layer.provide(sink)))))

describe("SinkError", () => {
  it.effect("retryable: false ends the retries: one attempt, the batch counted failed once and echoed on stderr", () =>
    Effect.gen(function*() {
      const { attempts, layer } = failing(() => new LogSink.SinkError({ sink: "refusing", reason: "HTTP 400: no", retryable: false }))
      const [stats, stderr] = yield* run(layer)
      expect(attempts.n).toBe(1)
      expect(stats).toMatchObject({ offered: 10, written: 0, failed: 10, retries: 0 })
      expect(stderr.join("")).toContain("HTTP 400: no")
      expect(stderr.join("").match(/"message":"r"/g)?.length).toBe(10)
    }))

  it.effect("rejected: k counts k failed and the rest written, without a retry", () =>
    Effect.gen(function*() {
      const { attempts, layer } = failing(() => new LogSink.SinkError({ sink: "refusing", reason: "4 refused", rejected: 4 }))
      const [stats, stderr] = yield* run(layer)
      expect(attempts.n).toBe(1)
      expect(stats).toMatchObject({ offered: 10, written: 6, failed: 4, retries: 0, batches: 1 })
      expect(stderr.join("")).toContain("wrote 6 of 10 record(s): refusing: 4 refused")
    }))

  it.effect("rejected is bounded by the batch: a sink that claims more counts the batch failed, not more", () =>
    Effect.gen(function*() {
      const { layer } = failing(() => new LogSink.SinkError({ sink: "refusing", reason: "all", rejected: 50 }))
      const [stats] = yield* run(layer)
      expect(stats).toMatchObject({ offered: 10, written: 0, failed: 10 })
    }))

  it.effect("a plain SinkError is still retried by the schedule", () =>
    Effect.gen(function*() {
      const { attempts, layer } = failing(() => new LogSink.SinkError({ sink: "refusing", reason: "EAGAIN" }))
      const [stats] = yield* run(layer)
      expect(attempts.n).toBe(6)
      expect(stats).toMatchObject({ failed: 10, retries: 5 })
    }))
})
