import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as HashSet from "effect/HashSet"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Metric from "effect/Metric"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/TestClock"
import { AsyncLogger, LogRecord, LogSink, TestSink } from "../src/index.js"
import { captureStderr, eventually, untilSleeping, untilSleeps } from "./helpers.js"

type Record = LogRecord.LogRecord

const withTestSink = (options: AsyncLogger.Options = {}) =>
  AsyncLogger.layer(options).pipe(Layer.provideMerge(TestSink.layer))

/** A sink whose writes wait for `gate` to open; its synchronous path records immediately. */
const gatedSink = (gate: Deferred.Deferred<void>, into: Array<Record>) =>
  Layer.succeed(
    LogSink.LogSink,
    LogSink.make({
      name: "gated",
      write: (batch) => Effect.zipRight(Deferred.await(gate), Effect.sync(() => void into.push(...batch))),
      writeSync: (batch) => void into.push(...batch)
    })
  )

const burst = (n: number, level: "Info" | "Error" = "Info") =>
  Effect.forEach(
    Array.from({ length: n }, (_, i) => i),
    (i) => (level === "Info" ? Effect.logInfo("burst", { i }) : Effect.logError("burst", { i })),
    { discard: true }
  )

const accounted = (s: AsyncLogger.Stats) => s.written + s.dropped + s.failed + s.fallback + s.pending

describe("AsyncLogger", () => {
  describe("batching", () => {
    it.effect("by count: 25 records with batchSize 10 make two writes of 10 at once, the last 5 when the window passes", () =>
      Effect.gen(function*() {
        yield* burst(25)
        const state = yield* TestSink.TestSink
        yield* eventually(() => state.batches.length >= 2)
        yield* untilSleeping
        expect((yield* TestSink.batches).map((b) => b.length)).toEqual([10, 10])
        yield* TestClock.adjust("59 minutes")
        yield* Effect.yieldNow()
        expect((yield* TestSink.batches).map((b) => b.length)).toEqual([10, 10])
        yield* TestClock.adjust("1 minute")
        yield* eventually(() => state.batches.length === 3)
        const records = yield* TestSink.records
        expect((yield* TestSink.batches).map((b) => b.length)).toEqual([10, 10, 5])
        expect(records.map((r) => r.fields.i)).toEqual(Array.from({ length: 25 }, (_, i) => i))
      }).pipe(Effect.provide(withTestSink({ batchSize: 10, batchWindow: "1 hour" }))))

    it.effect("by count: the last partial batch is written at scope close, without the window", () =>
      Effect.gen(function*() {
        const sink = yield* Effect.scoped(
          Effect.gen(function*() {
            yield* burst(25)
            return yield* TestSink.TestSink
          }).pipe(Effect.provide(withTestSink({ batchSize: 10, batchWindow: "1 hour" })))
        )
        expect(sink.batches.map((b) => b.length)).toEqual([10, 10, 5])
        expect(sink.flushes).toBe(1)
      }))

    it.effect("by time: one record is written after batchWindow, not before", () =>
      Effect.gen(function*() {
        yield* Effect.logInfo("lonely")
        yield* untilSleeping
        yield* TestClock.adjust("99 millis")
        yield* Effect.yieldNow()
        expect(yield* TestSink.records).toHaveLength(0)
        yield* TestClock.adjust("1 millis")
        const state = yield* TestSink.TestSink
        yield* eventually(() => state.batches.length === 1)
        const records = yield* TestSink.records
        expect(records.map((r) => r.message)).toEqual(["lonely"])
        expect((yield* AsyncLogger.stats).batches).toBe(1)
      }).pipe(Effect.provide(withTestSink({ batchSize: 512, batchWindow: "100 millis" }))))

    it.effect("the window is an upper bound: records after a full batch go out when the running window ends", () =>
      Effect.gen(function*() {
        const state = yield* TestSink.TestSink
        const messages = () => state.batches.map((b) => b.map((r) => r.message))
        yield* Effect.logInfo("a") // t = 0: the window opens
        yield* untilSleeping
        yield* TestClock.adjust("60 millis")
        yield* burst(2) // t = 60: a full batch of 3, written at once
        yield* eventually(() => state.batches.length === 1)
        yield* Effect.logInfo("b") // t = 60: waits for the window opened at 0, not a new one
        yield* TestClock.adjust("39 millis")
        yield* Effect.yieldNow()
        expect(messages()).toEqual([["a", "burst", "burst"]])
        yield* TestClock.adjust("1 millis") // t = 100
        yield* eventually(() => state.batches.length === 2)
        expect(messages()).toEqual([["a", "burst", "burst"], ["b"]])
        yield* Effect.logInfo("c") // t = 100: nothing is waiting, so a fresh window of 100 ms
        yield* untilSleeping
        yield* TestClock.adjust("99 millis")
        yield* Effect.yieldNow()
        expect(state.batches).toHaveLength(2)
        yield* TestClock.adjust("1 millis")
        yield* eventually(() => state.batches.length === 3)
        expect(yield* AsyncLogger.stats).toMatchObject({ offered: 5, written: 5, pending: 0, batches: 3 })
      }).pipe(Effect.provide(withTestSink({ batchSize: 3, batchWindow: "100 millis" }))))

    it.effect("a fiber that fills a batch gives way: the writer takes each batch before the next record", () =>
      Effect.gen(function*() {
        let logged = 0
        const loggedAtWrite: Array<number> = []
        const probe = LogSink.make({
          name: "probe",
          write: () => Effect.sync(() => void loggedAtWrite.push(logged))
        })
        const layer = AsyncLogger.layer({ batchSize: 10, batchWindow: "1 hour" }).pipe(
          Layer.provide(Layer.succeed(LogSink.LogSink, probe))
        )
        yield* Effect.scoped(
          Effect.gen(function*() {
            logged++
            yield* Effect.logInfo("first")
            yield* Effect.yieldNow() // the writer opens the window
            for (let i = 1; i < 30; i++) {
              logged++
              yield* Effect.logInfo("next", { i })
            }
          }).pipe(Effect.provide(layer))
        )
        // one tight loop of 30 calls, far below Effect's operation budget: without giving way,
        // the writer would get all three batches only when the loop ends
        expect(loggedAtWrite).toEqual([10, 20, 30])
      }))

    it.effect("a Schedule as batchWindow: each window waits for the schedule's next step", () =>
      Effect.gen(function*() {
        yield* Effect.logInfo("one")
        yield* untilSleeping
        yield* TestClock.adjust("49 millis")
        yield* Effect.yieldNow()
        expect(yield* TestSink.records).toHaveLength(0)
        yield* TestClock.adjust("1 millis")
        const state = yield* TestSink.TestSink
        yield* eventually(() => state.batches.length === 1)
      }).pipe(Effect.provide(withTestSink({ batchWindow: Schedule.spaced("50 millis") }))))

    it.effect("flush writes what is queued without waiting for the window", () =>
      Effect.gen(function*() {
        yield* burst(7)
        yield* AsyncLogger.flush
        expect(yield* TestSink.records).toHaveLength(7)
        expect((yield* TestSink.TestSink).flushes).toBe(1)
        expect(yield* AsyncLogger.stats).toMatchObject({ offered: 7, written: 7, pending: 0, batches: 1 })
      }).pipe(Effect.provide(withTestSink({ batchWindow: "1 hour" }))))
  })

  describe("overflow", () => {
    it.effect("dropping: a burst of 1,000 into capacity 100 drops the newest, every record accounted for", () =>
      Effect.gen(function*() {
        const gate = yield* Deferred.make<void>()
        const written: Array<Record> = []
        yield* Effect.gen(function*() {
          yield* burst(1_000)
          const during = yield* AsyncLogger.stats
          expect(during.offered).toBe(1_000)
          expect(during.dropped).toBeGreaterThan(0)
          expect(accounted(during)).toBe(1_000)
          yield* Deferred.succeed(gate, undefined)
          yield* AsyncLogger.flush
          const after = yield* AsyncLogger.stats
          expect(after.written + after.dropped + after.failed + after.fallback).toBe(1_000)
          expect(after.pending).toBe(0)
          expect(written).toHaveLength(after.written)
          // dropping keeps what is queued: the first 100 (the capacity) are all there, in order,
          // and later arrivals only filled the slots the writer freed
          const seen = written.map((r) => r.fields.i as number)
          expect(seen.slice(0, 100)).toEqual(Array.from({ length: 100 }, (_, i) => i))
          expect(seen.every((v, k) => k === 0 || v > seen[k - 1]!)).toBe(true)
        }).pipe(Effect.provide(AsyncLogger.layer({ capacity: 100, batchSize: 10 }).pipe(Layer.provide(gatedSink(gate, written)))))
      }))

    it.effect("sliding: the newest records survive", () =>
      Effect.gen(function*() {
        const gate = yield* Deferred.make<void>()
        const written: Array<Record> = []
        yield* Effect.gen(function*() {
          yield* burst(1_000)
          yield* Deferred.succeed(gate, undefined)
          yield* AsyncLogger.flush
          const stats = yield* AsyncLogger.stats
          expect(stats.dropped).toBeGreaterThan(0)
          expect(stats.written + stats.dropped + stats.failed + stats.fallback).toBe(1_000)
          const seen = written.map((r) => r.fields.i as number)
          // the last 100 (the queue's capacity) are all there, in order
          expect(seen.slice(-100)).toEqual(Array.from({ length: 100 }, (_, i) => 900 + i))
        }).pipe(
          Effect.provide(
            AsyncLogger.layer({ capacity: 100, batchSize: 10, overflow: "sliding" }).pipe(
              Layer.provide(gatedSink(gate, written))
            )
          )
        )
      }))

    for (const overflow of ["dropping", "sliding"] as const) {
      it.effect(`${overflow}: an Error logged while the queue is full is never lost`, () =>
        Effect.gen(function*() {
          const gate = yield* Deferred.make<void>()
          const written: Array<Record> = []
          yield* Effect.gen(function*() {
            yield* burst(1_000)
            yield* Effect.logError("disk almost full", { critical: true })
            // the synchronous path wrote it already, before the gate opens
            expect(written.filter((r) => r.level === "ERROR").map((r) => r.message)).toEqual(["disk almost full"])
            yield* Deferred.succeed(gate, undefined)
            yield* AsyncLogger.flush
            const stats = yield* AsyncLogger.stats
            expect(stats.written + stats.dropped + stats.failed + stats.fallback).toBe(1_001)
            expect(written).toHaveLength(stats.written)
          }).pipe(
            Effect.provide(
              AsyncLogger.layer({ capacity: 100, batchSize: 10, overflow }).pipe(Layer.provide(gatedSink(gate, written)))
            )
          )
        }))
    }

    const asyncOnlySink = (gate: Deferred.Deferred<void>, written: Array<Record>) =>
      Layer.succeed(
        LogSink.LogSink,
        LogSink.make({ name: "async-only", write: (batch) => Effect.zipRight(Deferred.await(gate), Effect.sync(() => void written.push(...batch))) })
      )

    it.effect("a sink without writeSync: a critical record on a full queue waits in the reserve and reaches the sink, after the records before it", () =>
      Effect.gen(function*() {
        const gate = yield* Deferred.make<void>()
        const written: Array<Record> = []
        const [stats, stderr] = yield* captureStderr(
          Effect.gen(function*() {
            yield* burst(200)
            yield* Effect.logError("disk almost full")
            yield* Deferred.succeed(gate, undefined)
            yield* AsyncLogger.flush
            return yield* AsyncLogger.stats
          }).pipe(Effect.provide(AsyncLogger.layer({ capacity: 100, batchSize: 10 }).pipe(Layer.provide(asyncOnlySink(gate, written)))))
        )
        expect(stats.fallback).toBe(0)
        expect(stats.offered).toBe(stats.written + stats.dropped + stats.failed + stats.fallback + stats.pending)
        expect(written).toHaveLength(stats.written)
        expect(written.at(-1)?.message).toBe("disk almost full")
        expect(written.map((r) => r.seq)).toEqual([...written.map((r) => r.seq)].sort((a, b) => a - b))
        expect(stderr.join("")).not.toContain("disk almost full")
      }))

    it.effect("a sink without writeSync, capacity 100: a burst of 1,000 Error records all reach the sink, in order, counted written", () =>
      Effect.gen(function*() {
        const gate = yield* Deferred.make<void>()
        yield* Deferred.succeed(gate, undefined)
        const written: Array<Record> = []
        const stats = yield* Effect.gen(function*() {
          yield* burst(1_000, "Error")
          yield* AsyncLogger.flush
          return yield* AsyncLogger.stats
        }).pipe(Effect.provide(AsyncLogger.layer({ capacity: 100, batchSize: 10 }).pipe(Layer.provide(asyncOnlySink(gate, written)))))
        expect(written.map((r) => (r.fields as { i: number }).i)).toEqual(Array.from({ length: 1_000 }, (_, i) => i))
        expect(stats).toMatchObject({ offered: 1_000, written: 1_000, dropped: 0, failed: 0, fallback: 0 })
      }))

    for (const overflow of ["dropping", "sliding"] as const) {
      it.effect(`${overflow}, a sink without writeSync: records below criticalLevel never take the reserve, every Error reaches the sink`, () =>
        Effect.gen(function*() {
          const gate = yield* Deferred.make<void>()
          const written: Array<Record> = []
          const [stats, stderr] = yield* captureStderr(
            Effect.gen(function*() {
              // 40 Errors among 200 records, the sink blocked: more than the queue, fewer than its reserve (64)
              for (let i = 0; i < 200; i++) yield* (i % 5 === 0 ? Effect.logError("e", { i }) : Effect.logInfo("i", { i }))
              yield* Deferred.succeed(gate, undefined)
              yield* AsyncLogger.flush
              return yield* AsyncLogger.stats
            }).pipe(Effect.provide(
              AsyncLogger.layer({ capacity: 10, batchSize: 10, overflow }).pipe(Layer.provide(asyncOnlySink(gate, written)))
            ))
          )
          expect(written.filter((r) => r.level === "ERROR")).toHaveLength(40)
          expect(stats).toMatchObject({ offered: 200, fallback: 0, failed: 0, pending: 0 })
          expect(stats.written + stats.dropped).toBe(200)
          expect(stats.droppedByLevel).toEqual({ INFO: stats.dropped })
          expect(stderr.join("")).toBe("")
        }))
    }

    it.effect("sliding never evicts a critical record: it is written synchronously instead", () =>
      Effect.gen(function*() {
        const gate = yield* Deferred.make<void>()
        const written: Array<Record> = []
        yield* Effect.gen(function*() {
          yield* burst(50, "Error")
          yield* burst(1_000)
          yield* Deferred.succeed(gate, undefined)
          yield* AsyncLogger.flush
          expect(written.filter((r) => r.level === "ERROR")).toHaveLength(50)
        }).pipe(
          Effect.provide(
            AsyncLogger.layer({ capacity: 100, batchSize: 10, overflow: "sliding" }).pipe(
              Layer.provide(gatedSink(gate, written))
            )
          )
        )
      }))
  })

  describe("sink failures", () => {
    it.effect("a sink that fails 3 times then recovers: nothing lost, retries counted", () =>
      Effect.gen(function*() {
        const written: Array<Record> = []
        let failures = 0
        const flaky = Layer.succeed(
          LogSink.LogSink,
          LogSink.make({
            name: "flaky",
            write: (batch) =>
              failures++ < 3
                ? Effect.fail(new LogSink.SinkError({ sink: "flaky", reason: "EIO" }))
                : Effect.sync(() => void written.push(...batch))
          })
        )
        yield* Effect.gen(function*() {
          yield* burst(100)
          yield* AsyncLogger.flush
          const stats = yield* AsyncLogger.stats
          expect(stats).toMatchObject({ offered: 100, written: 100, failed: 0, dropped: 0, retries: 3 })
          expect(written.map((r) => r.fields.i)).toEqual(Array.from({ length: 100 }, (_, i) => i))
        }).pipe(Effect.provide(AsyncLogger.layer({ retry: Schedule.recurs(5) }).pipe(Layer.provide(flaky))))
      }))

    it.effect("the default retry schedule backs off on the Clock before the write succeeds", () =>
      Effect.gen(function*() {
        let attempts = 0
        const flaky = Layer.succeed(
          LogSink.LogSink,
          LogSink.make({
            write: () => attempts++ < 2 ? Effect.fail(new LogSink.SinkError({ sink: "x", reason: "EIO" })) : Effect.void
          })
        )
        yield* Effect.gen(function*() {
          yield* Effect.logInfo("one")
          const flushing = yield* Effect.fork(AsyncLogger.flush)
          // three sleeps: the batch window, the flush's own bound (flushTimeout), the retry's back-off
          yield* untilSleeps(3)
          expect(attempts).toBe(1)
          yield* TestClock.adjust("100 millis")
          // the window has ended: the flush's bound and the second back-off
          yield* untilSleeps(2)
          expect(attempts).toBe(2)
          yield* TestClock.adjust("200 millis")
          yield* Fiber.join(flushing)
          expect(attempts).toBe(3)
          expect(yield* AsyncLogger.stats).toMatchObject({ written: 1, retries: 2, failed: 0 })
        }).pipe(Effect.provide(AsyncLogger.layer().pipe(Layer.provide(flaky))))
      }))

    it.effect("a sink that always fails: the program completes, failed counts the records, stderr says so", () =>
      Effect.gen(function*() {
        const broken = Layer.succeed(
          LogSink.LogSink,
          LogSink.make({ name: "broken", write: () => Effect.fail(new LogSink.SinkError({ sink: "broken", reason: "ENOSPC" })) })
        )
        const [stats, stderr] = yield* captureStderr(
          Effect.gen(function*() {
            yield* burst(30)
            yield* AsyncLogger.flush
            return yield* AsyncLogger.stats
          }).pipe(Effect.provide(AsyncLogger.layer({ batchSize: 10, retry: Schedule.recurs(2) }).pipe(Layer.provide(broken))))
        )
        expect(stats).toMatchObject({ offered: 30, written: 0, failed: 30, retries: 6, pending: 0 })
        const text = stderr.join("")
        expect(text).toContain("sink broken failed after 3 attempt(s): broken: ENOSPC; 10 record(s) follow")
        // the failed records themselves are on stderr, as JSON lines
        const lines = text.split("\n").filter((l) => l.startsWith("{"))
        expect(lines.map((l) => JSON.parse(l).fields.i)).toEqual(Array.from({ length: 30 }, (_, i) => i))
      }))

    it.effect("a sink that dies (throws) is treated as a failure; the writer keeps going", () =>
      Effect.gen(function*() {
        let calls = 0
        const written: Array<Record> = []
        const sink = Layer.succeed(
          LogSink.LogSink,
          LogSink.make({
            write: (batch) =>
              Effect.suspend(() => {
                if (calls++ === 0) throw new Error("boom")
                written.push(...batch)
                return Effect.void
              })
          })
        )
        const [stats] = yield* captureStderr(
          Effect.gen(function*() {
            yield* Effect.logInfo("first")
            yield* AsyncLogger.flush
            yield* Effect.logInfo("second")
            yield* AsyncLogger.flush
            return yield* AsyncLogger.stats
          }).pipe(Effect.provide(AsyncLogger.layer({ retry: Schedule.recurs(0) }).pipe(Layer.provide(sink))))
        )
        expect(stats).toMatchObject({ offered: 2, written: 1, failed: 1 })
        expect(written.map((r) => r.message)).toEqual(["second"])
      }))
  })

  describe("shutdown", () => {
    it.effect("the sink is never asked to write an empty batch (critical-sync drained the queue under the writer; flush; shutdown)", () =>
      Effect.gen(function*() {
        const writes: Array<number> = []
        const sink = LogSink.make({
          name: "lengths",
          write: (batch) => Effect.sync(() => void writes.push(batch.length)),
          writeSync: (batch) => void writes.push(-batch.length)
        })
        yield* Effect.gen(function*() {
          for (let k = 0; k < 3; k++) {
            yield* Effect.logInfo("queued")
            yield* untilSleeping // the writer waits out its window
            yield* Effect.logError("written with the queue before it, before the call returns")
            yield* AsyncLogger.flush
          }
        }).pipe(Effect.provide(AsyncLogger.layer({ durability: "critical-sync" }).pipe(Layer.provide(Layer.succeed(LogSink.LogSink, sink)))))
        expect(writes).toEqual([-2, -2, -2])
      }))

    it.effect("a record logged while the queue drains at shutdown takes the synchronous path into the sink", () =>
      Effect.gen(function*() {
        const gate = yield* Deferred.make<void>()
        const go = yield* Deferred.make<void>()
        const written: Array<Record> = []
        let service: AsyncLogger.AsyncLoggerService | undefined
        const closing = yield* Effect.fork(
          Effect.gen(function*() {
            service = yield* AsyncLogger.AsyncLogger
            yield* Effect.logInfo("queued")
            // outlives the scope; logs once the scope is closing
            yield* Effect.forkDaemon(Effect.zipRight(Deferred.await(go), Effect.logInfo("during shutdown")))
            yield* eventually(() => service !== undefined)
          }).pipe(Effect.provide(AsyncLogger.layer().pipe(Layer.provide(gatedSink(gate, written)))))
        )
        // the scope is closing: the finalizer waits for the writer, blocked on the gate
        for (let i = 0; i < 100; i++) yield* Effect.yieldNow()
        yield* Deferred.succeed(go, undefined)
        yield* eventually(() => written.length === 1)
        expect(written.map((r) => r.message)).toEqual(["during shutdown"])
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(closing)
        expect(written.map((r) => r.message)).toEqual(["during shutdown", "queued"])
        expect(yield* service!.stats).toMatchObject({ offered: 2, written: 2, pending: 0 })
      }))

    it.effect("a fiber that logs after the Layer is gone: the record goes to stderr, counted as fallback, not written", () =>
      Effect.gen(function*() {
        let service: AsyncLogger.AsyncLoggerService | undefined
        const [sink, stderr] = yield* captureStderr(
          Effect.scoped(
            Effect.gen(function*() {
              // runs after the Layer's own scope has closed (Effect.provide is inside Effect.scoped)
              yield* Effect.addFinalizer(() => Effect.logInfo("from a finalizer"))
              service = yield* AsyncLogger.AsyncLogger
              yield* Effect.logInfo("before")
              return yield* TestSink.TestSink
            }).pipe(Effect.provide(withTestSink()))
          )
        )
        expect(sink.batches.flat().map((r) => r.message)).toEqual(["before"])
        const late = stderr.join("").split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l).message)
        expect(late).toEqual(["from a finalizer"])
        expect(yield* service!.stats).toMatchObject({ offered: 2, written: 1, fallback: 1, dropped: 0, failed: 0 })
      }))

    it.effect("a sink that hangs at shutdown: the timeout bounds it, the records are counted failed and reported", () =>
      Effect.gen(function*() {
        const hanging = Layer.succeed(LogSink.LogSink, LogSink.make({ name: "hanging", write: () => Effect.never }))
        let stats: AsyncLogger.Stats | undefined
        const [, stderr] = yield* captureStderr(
          Effect.gen(function*() {
            const closing = yield* Effect.fork(
              Effect.scoped(
                Effect.gen(function*() {
                  const service = yield* AsyncLogger.AsyncLogger
                  yield* Effect.addFinalizer(() => Effect.map(service.stats, (s) => void (stats = s)))
                  yield* burst(20)
                }).pipe(Effect.provide(AsyncLogger.layer({ batchSize: 5, shutdownTimeout: "2 seconds" }).pipe(Layer.provide(hanging))))
              )
            )
            yield* untilSleeping
            yield* TestClock.adjust("2 seconds")
            yield* Fiber.join(closing)
          })
        )
        expect(stats).toMatchObject({ offered: 20, written: 0, failed: 20, pending: 0 })
        const text = stderr.join("")
        expect(text).toContain("shutdown timed out after 2s; 20 record(s) not written to hanging follow")
        expect(text.split("\n").filter((l) => l.startsWith("{"))).toHaveLength(20)
      }))
  })

  describe("levels and installation", () => {
    it.effect("Effect.logDebug is dropped at minimumLevel Info", () =>
      Effect.gen(function*() {
        yield* Effect.logDebug("hidden")
        yield* Effect.logInfo("shown")
        yield* AsyncLogger.flush
        expect((yield* TestSink.records).map((r) => r.message)).toEqual(["shown"])
        expect((yield* AsyncLogger.stats).offered).toBe(1)
      }).pipe(Effect.provide(withTestSink({ minimumLevel: "Info" }))))

    it.effect("Effect.logDebug is written at minimumLevel Debug", () =>
      Effect.gen(function*() {
        yield* Effect.logDebug("shown")
        yield* Effect.logTrace("hidden")
        yield* AsyncLogger.flush
        const records = yield* TestSink.records
        expect(records.map((r) => [r.level, r.message])).toEqual([["DEBUG", "shown"]])
      }).pipe(Effect.provide(withTestSink({ minimumLevel: "Debug" }))))

    it.effect("replaces Effect's default (and runMain's pretty) logger; replace: false adds beside it", () =>
      Effect.gen(function*() {
        const installed = (replace: boolean) =>
          Effect.gen(function*() {
            const service = yield* AsyncLogger.AsyncLogger
            const loggers = yield* FiberRef.get(FiberRef.currentLoggers)
            return { loggers, ours: service.logger }
          }).pipe(
            Effect.provide(withTestSink({ replace })),
            Effect.locally(FiberRef.currentLoggers, HashSet.make(Logger.defaultLogger, Logger.prettyLoggerDefault))
          )
        const replaced = yield* installed(true)
        expect(Array.from(replaced.loggers)).toEqual([replaced.ours])
        const added = yield* installed(false)
        expect(HashSet.size(added.loggers)).toBe(3)
        expect(HashSet.has(added.loggers, added.ours)).toBe(true)
        expect(HashSet.has(added.loggers, Logger.defaultLogger)).toBe(true)
      }))

    it.effect("replace: false: a record reaches both the existing logger and the sink", () =>
      Effect.gen(function*() {
        const seen: Array<unknown> = []
        const existing = Logger.make(({ message }) => void seen.push(message))
        const records = yield* Effect.gen(function*() {
          yield* Effect.logInfo("twice")
          yield* AsyncLogger.flush
          return yield* TestSink.records
        }).pipe(Effect.provide(withTestSink({ replace: false })), Effect.provide(Logger.add(existing)))
        expect(records.map((r) => r.message)).toEqual(["twice"])
        expect(seen).toEqual([["twice"]])
      }))

    it.effect("mode sync writes inline, before the call returns", () =>
      Effect.gen(function*() {
        yield* Effect.logInfo("now")
        expect((yield* TestSink.records).map((r) => r.message)).toEqual(["now"])
        expect(yield* AsyncLogger.stats).toMatchObject({ offered: 1, written: 1, pending: 0 })
      }).pipe(Effect.provide(withTestSink({ mode: "sync" }))))

    it.effect("message parts: strings joined, plain objects merged into fields, annotations and spans kept", () =>
      Effect.gen(function*() {
        yield* Effect.logInfo("user", "logged in", { user: "ada" }, { attempt: 2 }).pipe(
          Effect.annotateLogs("requestId", "r-1"),
          Effect.withLogSpan("login")
        )
        yield* Effect.logError("failed", new Error("nope"))
        yield* AsyncLogger.flush
        const [first, second] = yield* TestSink.records
        expect(first).toMatchObject({
          level: "INFO",
          message: "user logged in",
          fields: { user: "ada", attempt: 2 },
          annotations: { requestId: "r-1" },
          seq: 1
        })
        expect(Object.keys(first!.spans)).toEqual(["login"])
        expect(first!.fiber).toMatch(/^#\d+$/)
        expect(second!.message).toBe("failed")
        // sinks get the safe snapshot of an Error (what every format writes), not the live object
        expect(second!.fields.args).toMatchObject([{ name: "Error", message: "nope" }])
      }).pipe(Effect.provide(withTestSink())))

    it.effect("stats are also Effect Metrics", () =>
      Effect.gen(function*() {
        const before = yield* Metric.value(AsyncLogger.metrics.written)
        yield* burst(12)
        yield* AsyncLogger.flush
        yield* AsyncLogger.stats
        const after = yield* Metric.value(AsyncLogger.metrics.written)
        expect(after.count - before.count).toBe(12)
      }).pipe(Effect.provide(withTestSink())))

    it.effect("an invalid option dies with a message naming the option and the value", () =>
      Effect.gen(function*() {
        const exit = yield* Effect.exit(Effect.provide(Effect.void, withTestSink({ capacity: -5 })))
        expect(Exit.isFailure(exit) && Cause.pretty(exit.cause)).toContain(
          "option capacity must be a positive integer up to 16777216; got -5"
        )
      }))
  })

  describe("a bad option: building the Layer dies with a message naming the option and the value", () => {
    /** The message of the defect the Layer dies with (options cast: these are what JavaScript callers can pass). */
    const dieMessage = (options: unknown) =>
      Effect.gen(function*() {
        const exit = yield* Effect.exit(Layer.build(withTestSink(options as AsyncLogger.Options)).pipe(Effect.scoped))
        if (Exit.isSuccess(exit)) return "built"
        const defect = Cause.squash(exit.cause)
        return defect instanceof Error ? defect.message : String(defect)
      })
    const timeoutExpected = "a finite duration above zero such as \"5 seconds\""
    const windowExpected = "a finite duration such as \"100 millis\" (0: no wait) or a Schedule"
    const cases: ReadonlyArray<readonly [string, unknown, string]> = [
      ["capacity past 2^24 (the queue is allocated whole)", { capacity: 2 ** 40 }, "option capacity must be a positive integer up to 16777216; got 1099511627776"],
      ["capacity one past the bound", { capacity: 2 ** 24 + 1 }, "option capacity must be a positive integer up to 16777216; got 16777217"],
      ["capacity not an integer", { capacity: 1.5 }, "option capacity must be a positive integer up to 16777216; got 1.5"],
      ["batchSize zero", { batchSize: 0 }, "option batchSize must be a positive integer; got 0"],
      ["batchSize NaN", { batchSize: NaN }, "option batchSize must be a positive integer; got NaN"],
      ["batchWindow negative", { batchWindow: "-1 millis" }, `option batchWindow must be ${windowExpected}; got "-1 millis"`],
      ["batchWindow negative number", { batchWindow: -5 }, `option batchWindow must be ${windowExpected}; got -5`],
      ["batchWindow NaN", { batchWindow: NaN }, `option batchWindow must be ${windowExpected}; got NaN`],
      ["batchWindow Infinity", { batchWindow: Infinity }, `option batchWindow must be ${windowExpected}; got Infinity`],
      ["writeTimeout zero", { writeTimeout: 0 }, `option writeTimeout must be ${timeoutExpected}; got 0`],
      ["writeTimeout \"0 millis\"", { writeTimeout: "0 millis" }, `option writeTimeout must be ${timeoutExpected}; got "0 millis"`],
      ["writeTimeout negative", { writeTimeout: -5 }, `option writeTimeout must be ${timeoutExpected}; got -5`],
      ["flushTimeout NaN", { flushTimeout: NaN }, `option flushTimeout must be ${timeoutExpected}; got NaN`],
      ["flushTimeout a negative [seconds, nanos]", { flushTimeout: [-1, 0] }, `option flushTimeout must be ${timeoutExpected}; got [-1,0]`],
      ["shutdownTimeout negative", { shutdownTimeout: "-1 seconds" }, `option shutdownTimeout must be ${timeoutExpected}; got "-1 seconds"`],
      ["shutdownTimeout Infinity", { shutdownTimeout: Infinity }, `option shutdownTimeout must be ${timeoutExpected}; got Infinity`],
      ["shutdownTimeout a negative bigint", { shutdownTimeout: -1n }, `option shutdownTimeout must be ${timeoutExpected}; got -1n`],
      ["redact with a number", { redact: [1] }, "option redact must be a list of key paths such as password, req.headers.authorization, *.token; got [1]"],
      ["redact a string, not a list", { redact: "password" }, "option redact must be a list of key paths such as password, req.headers.authorization, *.token; got \"password\""],
      ["redact with an empty path", { redact: ["password", ""] }, "option redact: invalid redact path \"\": it is empty"],
      ["terminateOn a signal it cannot handle", { terminateOn: ["SIGKILL"] }, "option terminateOn must be a list of SIGHUP, SIGUSR2, SIGBREAK; got [\"SIGKILL\"]"],
      ["retry null", { retry: null }, "option retry must be a Schedule; got null"],
      ["maxRecordBytes not an integer", { maxRecordBytes: 1500.5 }, "option maxRecordBytes must be an integer of at least 1024; got 1500.5"],
      ["minimumLevel unknown", { minimumLevel: "Loud" }, "option minimumLevel must be one of All, Trace, Debug, Info, Warning (or Warn), Error, Fatal, None; got \"Loud\""],
      ["criticalLevel a number", { criticalLevel: 7 }, "option criticalLevel must be one of All, Trace, Debug, Info, Warning (or Warn), Error, Fatal, None; got 7"],
      ["overflow unknown", { overflow: "block" }, "option overflow must be one of dropping, sliding; got \"block\""],
      ["mode unknown", { mode: "inline" }, "option mode must be one of async, sync; got \"inline\""],
      ["durability unknown", { durability: "fsync" }, "option durability must be one of batched, critical-sync; got \"fsync\""],
      ["replace a string", { replace: "no" }, "option replace must be true or false; got \"no\""],
      ["yieldOnPressure a number", { yieldOnPressure: 0 }, "option yieldOnPressure must be true or false; got 0"],
      ["componentKey empty", { componentKey: "" }, "option componentKey must be a non-empty string; got \"\""],
      ["sample NaN", { sample: { http: NaN } }, "option sample must be an object of component: fraction kept, each from 0 to 1; got {\"http\":NaN}"],
      ["rateLimit not an integer", { rateLimit: { http: 1.5 } }, "option rateLimit must be an object of component: records per second, each a positive integer; got {\"http\":1.5}"],
      ["levels a Map", { levels: new Map([["db", "Warning"]]) }, "option levels must be an object of component: level, the levels one of All, Trace, Debug, Info, Warning, Error, Fatal, None; got {}"],
      ["an unknown key: the nearest option", { capasity: 5 }, "option capasity is not an option of AsyncLogger; did you mean capacity?"],
      ["an unknown key in another case", { batchwindow: "1 second" }, "option batchwindow is not an option of AsyncLogger; did you mean batchWindow?"],
      ["an unknown key, nothing near: every option listed", { format: "json" }, `option format is not an option of AsyncLogger; the options are ${Object.keys(AsyncLogger.defaults).join(", ")}`],
      ["options not an object", null, "AsyncLogger options must be an object; got null"]
    ]
    for (const [name, options, message] of cases) {
      it.effect(name, () =>
        Effect.gen(function*() {
          expect(yield* dieMessage(options)).toBe(`logfiber: ${message}`)
        }))
    }

    it.effect("the bounds themselves are accepted", () =>
      Effect.gen(function*() {
        for (const options of [{ batchWindow: 0 }, { batchWindow: "0 millis" }, { writeTimeout: "1 nano" }, { capacity: 1, batchSize: 1 }]) {
          expect(yield* dieMessage(options)).toBe("built")
        }
      }))

    it.live("batchWindow 0: what is queued is written on the writer's next turn, without a wait", () =>
      Effect.gen(function*() {
        yield* Effect.logInfo("a")
        yield* Effect.logInfo("b")
        yield* Effect.sleep("20 millis")
        expect((yield* TestSink.records).map((r) => r.message)).toEqual(["a", "b"])
      }).pipe(Effect.provide(withTestSink({ batchWindow: 0 }))))
  })
})
