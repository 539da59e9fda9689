import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import { AsyncLogger, LogSink } from "../src/index.js"
import { captureStderr } from "./helpers.js"

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
