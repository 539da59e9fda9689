import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as path from "node:path"
import { AsyncLogger, FileSink, LogSink, TestSink } from "../src/index.js"
import { readLines, tempDir } from "./helpers.js"

// The program under test knows nothing about sinks.
const handleOrder = (id: number) =>
  Effect.gen(function*() {
    yield* Effect.logInfo("order received", { id })
    yield* Effect.logWarning("stock low", { id })
  })

describe("TestSink", () => {
  it.effect("replaces FileSink by providing a different Layer, nothing else changed", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "orders.log")
      const Production = AsyncLogger.layer().pipe(Layer.provide(FileSink.layer({ path: file })))
      const Test = AsyncLogger.layer().pipe(Layer.provideMerge(TestSink.layer))

      yield* handleOrder(1).pipe(Effect.provide(Production))
      const records = yield* handleOrder(1).pipe(
        Effect.zipRight(AsyncLogger.flush),
        Effect.zipRight(TestSink.records),
        Effect.provide(Test)
      )
      const fromFile = readLines(file).map((l) => JSON.parse(l))
      expect(records.map((r) => [r.level, r.message, r.fields])).toEqual(
        fromFile.map((j) => [j.level, j.message, j.fields])
      )
      expect(records.map((r) => r.message)).toEqual(["order received", "stock low"])
    }))

  it.effect("each build is a fresh, empty sink", () =>
    Effect.gen(function*() {
      const run = handleOrder(2).pipe(
        Effect.zipRight(AsyncLogger.flush),
        Effect.zipRight(TestSink.records),
        Effect.provide(AsyncLogger.layer().pipe(Layer.provideMerge(TestSink.layer)))
      )
      expect(yield* run).toHaveLength(2)
      expect(yield* run).toHaveLength(2)
    }))
})

describe("LogSink.fanOut", () => {
  it.effect("every record reaches every sink", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const a = path.join(dir, "a.log")
      const b = path.join(dir, "b.log")
      const Both = LogSink.fanOut(FileSink.layer({ path: a }), FileSink.layer({ path: b }))
      yield* Effect.forEach([1, 2, 3], handleOrder, { discard: true }).pipe(
        Effect.provide(AsyncLogger.layer().pipe(Layer.provide(Both)))
      )
      expect(readLines(a)).toHaveLength(6)
      expect(readLines(b)).toEqual(readLines(a))
    }))

  it.effect("a user-written sink: LogSink.make with only write", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const Mine = Layer.succeed(
        LogSink.LogSink,
        LogSink.make({ write: (batch) => Effect.sync(() => batch.forEach((r) => seen.push(r.message))) })
      )
      yield* handleOrder(3).pipe(Effect.provide(AsyncLogger.layer().pipe(Layer.provide(Mine))))
      expect(seen).toEqual(["order received", "stock low"])
    }))
})
