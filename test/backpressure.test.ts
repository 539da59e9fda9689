import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { spawn } from "node:child_process"
import * as path from "node:path"
import { AsyncLogger, LogRecord, LogSink, TestSink } from "../src/index.js"

/** `fibers` fibers started at once, each logging `perFiber` records; every 100th an Error. */
const manyFibers = (fibers: number, perFiber: number) =>
  Effect.forEach(
    Array.from({ length: fibers }, (_, f) => f),
    (f) =>
      Effect.gen(function*() {
        for (let i = 0; i < perFiber; i++) {
          if (i % 100 === 99) yield* Effect.logError("failed", { f, i })
          else yield* Effect.logInfo("handled", { f, i })
        }
      }),
    { concurrency: "unbounded", discard: true }
  )

interface HeapRun {
  readonly before: number
  readonly peak: number
  readonly stats: AsyncLogger.Stats
}

/** The burst of test/fixtures/burstHeap.ts in a child process with `--expose-gc`. */
const heapDuringBurst = (fibers: number, perFiber: number, capacity: number) =>
  Effect.async<HeapRun, Error>((resume) => {
    const fixture = path.join(__dirname, "fixtures", "burstHeap.ts")
    const child = spawn(
      process.execPath,
      ["--expose-gc", "--import", "tsx", fixture, String(fibers), String(perFiber), String(capacity)],
      { stdio: ["ignore", "pipe", "pipe"] }
    )
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => void (stdout += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => void (stderr += chunk.toString()))
    child.on("exit", (code) =>
      resume(
        code === 0
          ? Effect.succeed(JSON.parse(stdout.trim().split("\n").at(-1)!) as HeapRun)
          : Effect.fail(new Error(`burstHeap.ts exited with ${code}: ${stderr.slice(-2000)}`))
      ))
    return Effect.sync(() => child.kill("SIGKILL"))
  })

const MiB = 2 ** 20

describe("backpressure: bursts from many fibers", () => {
  it.effect("300 fibers x 200 records into capacity 100: nothing dropped, each record written once, per-fiber order kept", () =>
    Effect.gen(function*() {
      yield* manyFibers(300, 200)
      yield* AsyncLogger.flush
      const stats = yield* AsyncLogger.stats
      expect(stats).toMatchObject({ offered: 60_000, written: 60_000, dropped: 0, failed: 0, pending: 0 })
      const records = yield* TestSink.records
      expect(records).toHaveLength(60_000)
      // every (fiber, i) exactly once, each fiber's records in the order it logged them
      const next = new Array<number>(300).fill(0)
      for (const r of records) {
        const { f, i } = r.fields as { f: number; i: number }
        expect(i).toBe(next[f])
        next[f] = i + 1
      }
      expect(next.every((n) => n === 200)).toBe(true)
      expect(records.filter((r) => r.level === "ERROR")).toHaveLength(600)
      // the queue never held more than its capacity: no batch is larger
      expect(Math.max(...(yield* TestSink.batches).map((b) => b.length))).toBeLessThanOrEqual(100)
    }).pipe(Effect.provide(AsyncLogger.layer({ capacity: 100 }).pipe(Layer.provideMerge(TestSink.layer)))), 60_000)

  it.effect("a writer busy in a slow sink write is not waited for: the fibers finish, the excess is dropped and counted", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const written: Array<LogRecord.LogRecord> = []
      const gated = Layer.succeed(
        LogSink.LogSink,
        LogSink.make({
          name: "gated",
          write: (batch) => Effect.zipRight(Deferred.await(gate), Effect.sync(() => void written.push(...batch)))
        })
      )
      yield* Effect.gen(function*() {
        // the first batch holds the writer in the gated write; the fibers must still all finish
        yield* manyFibers(50, 40)
        const during = yield* AsyncLogger.stats
        expect(during.offered).toBe(2_000)
        expect(during.dropped).toBeGreaterThan(0)
        expect(during.written + during.dropped + during.failed + during.pending).toBe(2_000)
        yield* Deferred.succeed(gate, undefined)
        yield* AsyncLogger.flush
        const after = yield* AsyncLogger.stats
        expect(after.written + after.dropped + after.failed).toBe(2_000)
        expect(after.pending).toBe(0)
        expect(written).toHaveLength(after.written)
      }).pipe(Effect.provide(AsyncLogger.layer({ capacity: 100, batchSize: 10 }).pipe(Layer.provide(gated))))
    }))

  // Bound: the live heap (after a full GC, sampled by the sink every 16th batch) grows by at most
  // 8 MiB over the heap before the burst, for 500 x 250 and for 4 x as long a burst, 500 x 1,000.
  // The scheduler this replaced grew every producer's stack while the writer waited for its turn:
  // +79 MiB and +211 MiB for these two bursts.
  it.live("the live heap during a 4 x longer burst of 500 fibers stays within 8 MiB of the heap before it", () =>
    Effect.gen(function*() {
      const short = yield* heapDuringBurst(500, 250, 1_000)
      const long = yield* heapDuringBurst(500, 1_000, 1_000)
      expect(short.stats).toMatchObject({ offered: 125_000, written: 125_000, dropped: 0, failed: 0 })
      expect(long.stats).toMatchObject({ offered: 500_000, written: 500_000, dropped: 0, failed: 0 })
      expect((short.peak - short.before) / MiB).toBeLessThan(8)
      expect((long.peak - long.before) / MiB).toBeLessThan(8)
    }), 120_000)
})
