/**
 * logfiber composed with Effect as users write it: Effect's minimum level as the one filter,
 * the level spellings, the Layer layouts the README shows (Layer.launch, ManagedRuntime) and the
 * Layer.merge trap it warns about, and `mode: "sync"` refused with a sink that cannot do it.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Schedule from "effect/Schedule"
import * as fs from "node:fs"
import * as path from "node:path"
import { AsyncLogger, FileSink, LogSink, TestSink } from "../src/index.js"
import { readLines, tempDir } from "./helpers.js"

const messages = (file: string): Array<string> =>
  fs.existsSync(file) ? readLines(file).map((l) => (JSON.parse(l) as { message: string }).message) : []

/** Wait (on the real clock: the file is written by a real writer fiber) until `done` holds. */
const until = (done: () => boolean) =>
  Effect.suspend(() => (done() ? Effect.void : Effect.fail("not yet"))).pipe(
    Effect.retry({ schedule: Schedule.spaced("10 millis"), times: 500 }),
    Effect.orDie
  )

describe("levels compose with Effect's", () => {
  it.effect("Logger.withMinimumLogLevel(Debug) around a region lets its logDebug through; the rest stays at Info", () =>
    Effect.gen(function*() {
      const records = yield* Effect.gen(function*() {
        yield* Effect.logDebug("before the region")
        yield* Effect.logDebug("inside the region").pipe(Logger.withMinimumLogLevel(LogLevel.Debug))
        yield* Effect.logDebug("after the region")
        yield* Effect.logInfo("info")
        yield* AsyncLogger.flush
        return yield* TestSink.records
      }).pipe(Effect.provide(AsyncLogger.layer({ minimumLevel: "Info" }).pipe(Layer.provideMerge(TestSink.layer))))
      expect(records.map((r) => [r.level, r.message])).toEqual([["DEBUG", "inside the region"], ["INFO", "info"]])
    }))

  it.effect("a region can raise the level too: its logInfo is not offered", () =>
    Effect.gen(function*() {
      const [records, stats] = yield* Effect.gen(function*() {
        yield* Effect.logInfo("quiet region").pipe(Logger.withMinimumLogLevel(LogLevel.Error))
        yield* Effect.logInfo("normal")
        yield* AsyncLogger.flush
        return [yield* TestSink.records, yield* AsyncLogger.stats] as const
      }).pipe(Effect.provide(AsyncLogger.layer().pipe(Layer.provideMerge(TestSink.layer))))
      expect(records.map((r) => r.message)).toEqual(["normal"])
      expect(stats.offered).toBe(1)
    }))

  it.effect("\"Warn\" is accepted as \"Warning\" (any case), in code as in LOG_LEVEL", () =>
    Effect.gen(function*() {
      for (const minimumLevel of ["Warn", "Warning", "WARN"] as const) {
        const records = yield* Effect.gen(function*() {
          yield* Effect.logInfo("info")
          yield* Effect.logWarning("warn")
          yield* AsyncLogger.flush
          return yield* TestSink.records
        }).pipe(Effect.provide(AsyncLogger.layer({ minimumLevel: minimumLevel as "Warn" }).pipe(Layer.provideMerge(TestSink.layer))))
        expect(records.map((r) => r.level), minimumLevel).toEqual(["WARN"])
      }
    }))
})

describe("mode \"sync\"", () => {
  it.effect("with a sink that has no writeSync, the Layer fails when built, saying why", () =>
    Effect.gen(function*() {
      const AsyncOnly = Layer.succeed(LogSink.LogSink, LogSink.make({ name: "http", write: () => Effect.void }))
      const exit = yield* Effect.exit(
        Effect.logInfo("never").pipe(Effect.provide(AsyncLogger.layer({ mode: "sync" }).pipe(Layer.provide(AsyncOnly))))
      )
      expect(Exit.isFailure(exit)).toBe(true)
      const message = Exit.isFailure(exit) ? Cause.pretty(exit.cause) : ""
      expect(message).toContain("option mode \"sync\" needs a sink that can write synchronously (writeSync)")
      expect(message).toContain("sink http has none")
    }))
})

describe("layouts (docs/packaging.md)", () => {
  const serverLive = (started: Array<string>) =>
    Layer.scopedDiscard(
      Effect.gen(function*() {
        yield* Effect.logInfo("listening", { port: 8080 })
        started.push("server")
        yield* Effect.addFinalizer(() => Effect.logInfo("server stopped"))
      })
    )

  it.live("Layer.launch(ServerLive.pipe(Layer.provide(LogLive))): the server's lines reach the file", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "app.log")
      const LogLive = AsyncLogger.layer({ batchWindow: "5 millis" }).pipe(Layer.provide(FileSink.layer({ path: file })))
      const started: Array<string> = []
      const fiber = yield* Effect.fork(Layer.launch(serverLive(started).pipe(Layer.provide(LogLive))))
      yield* until(() => messages(file).includes("listening"))
      yield* Fiber.interrupt(fiber)
      expect(messages(file)).toEqual(["listening", "server stopped"])
    }))

  it.live("the trap: Layer.launch(Layer.merge(ServerLive, LogLive)) sends the server's lines elsewhere, not to the file", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "app.log")
      const LogLive = AsyncLogger.layer({ batchWindow: "5 millis" }).pipe(Layer.provide(FileSink.layer({ path: file })))
      const started: Array<string> = []
      const elsewhere: Array<string> = []
      const fiber = yield* Effect.fork(
        Layer.launch(Layer.merge(serverLive(started), LogLive)).pipe(
          Effect.provide(Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => void elsewhere.push(String(Array.isArray(message) ? message[0] : message)))))
        )
      )
      yield* until(() => started.length > 0)
      yield* Fiber.interrupt(fiber)
      expect(elsewhere).toContain("listening")
      expect(messages(file)).not.toContain("listening")
    }))

  it.live("ManagedRuntime.make(LogLive): runPromise logs to the file; dispose drains it", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "app.log")
      const LogLive = AsyncLogger.layer().pipe(Layer.provide(FileSink.layer({ path: file })))
      yield* Effect.promise(async () => {
        const runtime = ManagedRuntime.make(LogLive)
        await runtime.runPromise(Effect.logInfo("handled request", { id: 1 }))
        await runtime.runPromise(Effect.logInfo("handled request", { id: 2 }))
        await runtime.dispose()
      })
      expect(readLines(file).map((l) => (JSON.parse(l) as { fields: { id: number } }).fields.id)).toEqual([1, 2])
    }))
})
