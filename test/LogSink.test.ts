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

  it.live("a sink known to be down does not hold back the others: a 20,000-record burst reaches the file whole, nothing dropped", () =>
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
      const [stats, stderr] = yield* captureStderr(
        Effect.gen(function*() {
          // the first batch tells it is down (it failed its retries); then the burst
          yield* Effect.logInfo("first")
          yield* AsyncLogger.flush
          yield* logs(20_000)
          return yield* AsyncLogger.AsyncLogger
        }).pipe(
          Effect.provide(AsyncLogger.layer({ shutdownTimeout: "300 millis" }).pipe(Layer.provideMerge(Sinks))),
          // the stats after the scope closed: the down sink's backlog given up and counted
          Effect.flatMap((service) => service.stats)
        )
      )
      expect(seqs(file)).toEqual(Array.from({ length: 20_001 }, (_, i) => i + 1))
      expect(stats).toMatchObject({ offered: 20_001, written: 20_001, dropped: 0, failed: 0, pending: 0 })
      expect(stats.sinks?.map((s) => [s.written, s.failed])).toEqual([[20_001, 0], [0, 20_001]])
      // about 40 batches it lacks, in a few lines (at most one a second), their records all told
      const reports = stderr.join("").split("\n").filter((line) => line.includes("not written to it"))
      expect(reports.length).toBeGreaterThan(0)
      expect(reports.length).toBeLessThanOrEqual(4)
      const told = reports.map((line) => Number((/, (\d+) records, since the last report/.exec(line) ?? /(\d+) record\(s\) not written/.exec(line))![1]))
      expect(told.reduce((a, b) => a + b, 0)).toBe(20_001)
    }), 30_000)
})

/** A sink that records each batch's seqs and how many of its writes ran at once. */
const recording = (name: string, write: (call: number) => Effect.Effect<void, LogSink.SinkError>, withWriteSync = false) => {
  const seen: Array<number> = []
  let calls = 0
  let running = 0
  let maxRunning = 0
  const layer = Layer.succeed(LogSink.LogSink, LogSink.make({
    name,
    write: (batch) =>
      Effect.suspend(() => {
        running++
        maxRunning = Math.max(maxRunning, running)
        return write(++calls).pipe(
          Effect.zipRight(Effect.sync(() => void seen.push(...batch.map((r) => r.seq)))),
          Effect.ensuring(Effect.sync(() => void running--))
        )
      }),
    writeSync: withWriteSync ? (batch) => void seen.push(...batch.map((r) => r.seq)) : undefined
  }))
  return { layer, seen, maxRunning: () => maxRunning }
}

const inOrder = (n: number) => Array.from({ length: n }, (_, i) => i + 1)

describe("LogSink.fanOut: each sink on its own", () => {
  it.live("an asynchronous sink gets its batches in order, one write at a time, while the other is written inline", () =>
    Effect.gen(function*() {
      const a = recording("a", () => Effect.void)
      const b = recording("b", (call) => Effect.sleep(call % 2 === 0 ? "20 millis" : "1 millis"))
      yield* Effect.gen(function*() {
        for (let round = 0; round < 10; round++) {
          yield* logs(16)
          yield* Effect.sleep("30 millis")
        }
      }).pipe(Effect.provide(AsyncLogger.layer({ batchSize: 8, batchWindow: 0 }).pipe(Layer.provide(LogSink.fanOut(a.layer, b.layer)))))
      expect(a.seen).toEqual(inOrder(160))
      expect(b.seen).toEqual(inOrder(160))
      expect(b.maxRunning()).toBe(1)
    }), 20_000)

  it.live("a flaky sink whose retry succeeds, and a slow one, keep every record: they hold the writer back, not lose", () =>
    Effect.gen(function*() {
      const flaky = recording("flaky", (call) =>
        call % 3 === 0 ? Effect.fail(new LogSink.SinkError({ sink: "flaky", reason: "EAGAIN" })) : Effect.void)
      const slow = recording("slow", () => Effect.sleep("2 millis"))
      const stats = yield* Effect.gen(function*() {
        yield* logs(4_000)
        yield* AsyncLogger.flush
        return yield* AsyncLogger.stats
      }).pipe(Effect.provide(AsyncLogger.layer({ batchSize: 16 }).pipe(Layer.provideMerge(
        LogSink.fanOut({ retry: Schedule.recurs(3) }, FileSink.layer({ path: path.join(tempDir(), "a.log") }), flaky.layer, slow.layer)
      ))))
      expect(flaky.seen).toEqual(inOrder(4_000))
      expect(slow.seen).toEqual(inOrder(4_000))
      expect(stats).toMatchObject({ offered: 4_000, written: 4_000, dropped: 0, failed: 0 })
      expect(stats.sinks?.map((s) => s.failed)).toEqual([0, 0, 0])
    }), 20_000)

  it.live("withMinimumLevel around a fan-out of slow sinks: a batch the logger retried reaches each sink once, counted written", () =>
    Effect.gen(function*() {
      const a = recording("a", () => Effect.sleep("300 millis"))
      const b = recording("b", () => Effect.sleep("300 millis"))
      const Sinks = LogSink.withMinimumLevel(LogSink.fanOut(a.layer, b.layer), "Info")
      const stats = yield* Effect.gen(function*() {
        for (let i = 1; i <= 20; i++) {
          yield* Effect.logDebug("debug", { i })
          yield* Effect.logInfo("info", { i })
        }
        yield* AsyncLogger.flush
        return yield* AsyncLogger.stats
      }).pipe(Effect.provide(
        AsyncLogger.layer({ minimumLevel: "Debug", batchSize: 40, writeTimeout: "100 millis", retry: Schedule.recurs(3) }).pipe(
          Layer.provide(Sinks)
        )
      ))
      const infos = Array.from({ length: 20 }, (_, i) => 2 * (i + 1))
      expect(a.seen).toEqual(infos)
      expect(b.seen).toEqual(infos)
      expect(stats).toMatchObject({ offered: 40, written: 40, failed: 0 })
    }), 20_000)

  it.live("shutdown while the writer waits for room on a slow sink: what the fast sink took counts written, not failed", () =>
    Effect.gen(function*() {
      const fast = recording("fast", () => Effect.void)
      const slow = recording("slow", () => Effect.sleep("400 millis"))
      const [stats, stderr] = yield* captureStderr(
        Effect.gen(function*() {
          yield* logs(400)
          yield* Effect.sleep("100 millis")
          return yield* AsyncLogger.AsyncLogger
        }).pipe(
          Effect.provide(AsyncLogger.layer({ batchSize: 10, capacity: 1_000, shutdownTimeout: "500 millis" }).pipe(
            Layer.provideMerge(LogSink.fanOut(fast.layer, slow.layer))
          )),
          Effect.flatMap((service) => service.stats)
        )
      )
      expect(stats.offered).toBe(400)
      expect(stats.pending).toBe(0)
      expect(stats.written).toBe(fast.seen.length)
      expect(stats.written + stats.failed).toBe(400)
      // echoed on stderr: exactly the records no sink has
      const echoed = stderr.join("").split("\n").filter((l) => l.startsWith("{")).map((l) => (JSON.parse(l) as { seq: number }).seq)
      expect(echoed.sort((a, b) => a - b)).toEqual(inOrder(400).filter((seq) => !fast.seen.includes(seq)))
    }), 20_000)

  it.live("a critical-sync record while the writer waits for room on a slow sink does not stall the writer", () =>
    Effect.gen(function*() {
      const writesAt: Array<number> = []
      const fast = recording("fast", () => Effect.sync(() => void writesAt.push(Date.now())), true)
      const slow = recording("slow", () => Effect.sleep("20 millis"), true)
      yield* Effect.gen(function*() {
        for (let i = 1; i <= 6_000; i++) {
          yield* (i === 3_000 ? Effect.logError("critical", { i }) : Effect.logInfo("event", { i }))
          if (i % 50 === 0) yield* Effect.sleep("2 millis")
        }
      }).pipe(Effect.provide(
        AsyncLogger.layer({ batchSize: 16, capacity: 256, durability: "critical-sync", writeTimeout: "20 seconds" }).pipe(
          Layer.provide(LogSink.fanOut(fast.layer, slow.layer))
        )
      ))
      // before: after the critical record the writer waited out its writeTimeout (20 s): nothing
      // logged after it reached a sink before the scope closed
      expect(fast.seen).toContain(3_000)
      expect(Math.max(...fast.seen)).toBeGreaterThan(5_000)
      expect(writesAt.length).toBeGreaterThan(0)
    }), 60_000)

  it.live("a sink whose write ignores interruption: each attempt given up after writeTimeout, the scope closes within shutdownTimeout", () =>
    Effect.gen(function*() {
      const a = recording("a", () => Effect.void)
      const stuck = recording("stuck", () => Effect.uninterruptible(Effect.sleep("10 seconds")))
      const started = yield* Effect.sync(() => Date.now())
      const service = yield* Effect.gen(function*() {
        yield* logs(10)
        return yield* AsyncLogger.AsyncLogger
      }).pipe(Effect.provide(AsyncLogger.layer({ shutdownTimeout: "1 second" }).pipe(Layer.provideMerge(
        LogSink.fanOut({ retry: Schedule.recurs(1), writeTimeout: "300 millis" }, a.layer, stuck.layer)
      ))))
      expect(Date.now() - started).toBeLessThan(5_000)
      const stats = yield* service.stats
      expect(a.seen).toEqual(inOrder(10))
      expect(stuck.seen).toEqual([])
      expect(stats).toMatchObject({ offered: 10, written: 10, pending: 0 })
      expect(stats.sinks?.map((s) => [s.written, s.failed])).toEqual([[10, 0], [0, 10]])
    }), 20_000)
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
