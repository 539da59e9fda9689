/**
 * An in-memory sink for tests: provide `TestSink.layer` instead of the real sink, then read
 * what was written with `TestSink.records` (flattened) or `TestSink.batches` (one entry per
 * `write` call). Nothing else in the program changes.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { AsyncLogger, TestSink } from "logfiber"
 *
 * const TestLog = AsyncLogger.layer().pipe(Layer.provideMerge(TestSink.layer))
 * const program = Effect.gen(function*() {
 *   yield* Effect.logInfo("hello")
 *   yield* AsyncLogger.flush
 *   const records = yield* TestSink.records
 *   // records[0].message === "hello"
 * }).pipe(Effect.provide(TestLog))
 * ```
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { LogRecord } from "./LogRecord.js"
import * as LogSink from "./LogSink.js"

/** What the test sink has received. @since 0.1.0 */
export interface TestSinkService {
  readonly batches: Array<ReadonlyArray<LogRecord>>
  readonly flushes: number
}

/** The tag under which tests read what was written. @since 0.1.0 */
export class TestSink extends Context.Tag("logfiber/TestSink")<TestSink, TestSinkService>() {}

/**
 * A fresh in-memory sink per Layer build: `LogSink` plus `TestSink` to inspect it.
 * @since 0.1.0
 */
export const layer: Layer.Layer<LogSink.LogSink | TestSink> = Layer.effectContext(
  Effect.sync(() => {
    const state = { batches: [] as Array<ReadonlyArray<LogRecord>>, flushes: 0 }
    const sink = LogSink.make({
      name: "test",
      write: (batch) => Effect.sync(() => void state.batches.push(batch.slice())),
      flush: Effect.sync(() => void state.flushes++),
      writeSync: (batch) => void state.batches.push(batch.slice())
    })
    return Context.make(LogSink.LogSink, sink).pipe(Context.add(TestSink, state))
  })
)

/** Every record written so far, in write order. @since 0.1.0 */
export const records: Effect.Effect<ReadonlyArray<LogRecord>, never, TestSink> = Effect.map(
  TestSink,
  (state) => state.batches.flat()
)

/** Every batch written so far (one entry per `write` call). @since 0.1.0 */
export const batches: Effect.Effect<ReadonlyArray<ReadonlyArray<LogRecord>>, never, TestSink> = Effect.map(
  TestSink,
  (state) => state.batches.slice()
)
