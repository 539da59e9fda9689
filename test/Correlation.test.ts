import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import { AsyncLogger, TestSink } from "../src/index.js"

const LogLive = AsyncLogger.layer().pipe(Layer.provideMerge(TestSink.layer))

/** One request: annotated once at the edge; its work forks fibers that log on their own. */
const handle = (requestId: string) =>
  Effect.gen(function*() {
    yield* Effect.logInfo("request start")
    const child = yield* Effect.fork(Effect.logInfo("child fiber"))
    const daemon = yield* Effect.forkDaemon(Effect.logInfo("daemon fiber"))
    yield* Effect.all(
      [1, 2, 3].map((n) => Effect.logInfo("parallel", { n })),
      { concurrency: "unbounded", discard: true }
    )
    const grandchild = yield* Effect.fork(
      Effect.flatMap(Effect.fork(Effect.logWarning("grandchild fiber")), Fiber.join)
    )
    yield* Fiber.join(child)
    yield* Fiber.join(daemon)
    yield* Fiber.join(grandchild)
    yield* Effect.logInfo("request end")
  }).pipe(Effect.annotateLogs({ requestId }))

describe("Correlation", () => {
  it.effect("a request id set with Effect.annotateLogs reaches records of every fiber the request forks", () =>
    Effect.gen(function*() {
      // two requests at once: each record carries its own request's id, never the other's
      yield* Effect.all([handle("req-1"), handle("req-2")], { concurrency: "unbounded", discard: true })
      yield* Effect.logInfo("outside any request")
      yield* AsyncLogger.flush
      const records = yield* TestSink.records
      expect(records.length).toBe(2 * 8 + 1)
      const expected = ["child fiber", "daemon fiber", "grandchild fiber", "parallel", "parallel", "parallel"]
        .concat(["request end", "request start"])
      for (const id of ["req-1", "req-2"]) {
        const mine = records.filter((r) => r.annotations.requestId === id)
        expect(mine.map((r) => r.message).sort()).toEqual(expected)
      }
      const outside = records.find((r) => r.message === "outside any request")!
      expect(outside.annotations.requestId).toBeUndefined()
    }).pipe(Effect.provide(LogLive)))
})
