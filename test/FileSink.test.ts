import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as fs from "node:fs"
import * as path from "node:path"
import { vi } from "vitest"
import { AsyncLogger, FileSink, Format, LogRecord } from "../src/index.js"
import { eventually, readLines, tempDir } from "./helpers.js"

const fileLogger = (file: string, options: AsyncLogger.Options = {}, format?: Format.Format) =>
  AsyncLogger.layer(options).pipe(Layer.provide(FileSink.layer({ path: file, format })))

describe("FileSink", () => {
  it.effect("500 fibers x 200 records: exactly 100,000 valid JSON lines, each (fiber, i) once, per-fiber order kept", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "app.log")
      yield* Effect.forEach(
        Array.from({ length: 500 }, (_, f) => f),
        (f) =>
          Effect.forEach(Array.from({ length: 200 }, (_, i) => i), (i) => Effect.logInfo("work", { f, i }), {
            discard: true
          }),
        { concurrency: "unbounded", discard: true }
      ).pipe(Effect.provide(fileLogger(file)))
      const lines = readLines(file)
      expect(lines).toHaveLength(100_000)
      const next = new Map<number, number>()
      for (const line of lines) {
        const { f, i } = JSON.parse(line).fields as { f: number; i: number }
        // per-fiber order: each fiber's i arrives as 0, 1, 2, ...; with 100,000 lines this also
        // proves every (fiber, i) pair appears exactly once
        expect(i).toBe(next.get(f) ?? 0)
        next.set(f, i + 1)
      }
      expect(next.size).toBe(500)
      expect([...next.values()].every((n) => n === 200)).toBe(true)
    }))

  it.effect("shutdown: 50,000 records offered then the scope closed, all 50,000 on disk", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "burst.log")
      const stats = yield* Effect.gen(function*() {
        for (let i = 0; i < 50_000; i++) yield* Effect.logInfo("burst", { i })
        return yield* AsyncLogger.stats
      }).pipe(Effect.provide(fileLogger(file)))
      expect(stats.offered).toBe(50_000)
      expect(stats.dropped).toBe(0)
      const lines = readLines(file)
      expect(lines).toHaveLength(50_000)
      expect(JSON.parse(lines.at(-1)!).fields.i).toBe(49_999)
    }))

  it.effect("interruption of the main fiber mid-burst: everything offered before the interrupt is written", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "interrupted.log")
      let produced = 0
      let service: AsyncLogger.AsyncLoggerService | undefined
      const main = yield* Effect.fork(
        Effect.gen(function*() {
          service = yield* AsyncLogger.AsyncLogger
          for (let i = 0;; i++) {
            yield* Effect.logInfo("endless", { i })
            produced = i + 1
          }
        }).pipe(Effect.provide(fileLogger(file)))
      )
      yield* eventually(() => produced >= 20_000, 1_000_000)
      yield* Fiber.interrupt(main)
      // the Layer's scope has closed: these are the figures after the drain
      const final = yield* service!.stats
      const lines = readLines(file)
      expect(final.dropped + final.failed + final.pending).toBe(0)
      expect(lines).toHaveLength(final.offered)
      expect(final.offered).toBeGreaterThanOrEqual(produced)
      // contiguous: no record before the interrupt is missing
      expect(lines.map((l) => JSON.parse(l).fields.i)).toEqual(Array.from({ length: lines.length }, (_, i) => i))
    }))

  it.effect("creates parent directories, new files get mode 0o640, existing content is appended to", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "a", "b", "c.log")
      yield* Effect.logInfo("first").pipe(Effect.provide(fileLogger(file)))
      expect(fs.statSync(file).mode & 0o777).toBe(0o640)
      yield* Effect.logInfo("second").pipe(Effect.provide(fileLogger(file)))
      expect(readLines(file).map((l) => JSON.parse(l).message)).toEqual(["first", "second"])
    }))

  it.effect("batches: 100 records with batchSize 25 are four batches, 100 lines", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "batched.log")
      const stats = yield* Effect.gen(function*() {
        for (let i = 0; i < 100; i++) yield* Effect.logInfo("x", { i })
        yield* AsyncLogger.flush
        return yield* AsyncLogger.stats
      }).pipe(Effect.provide(fileLogger(file, { batchSize: 25 })))
      expect(stats).toMatchObject({ offered: 100, written: 100, batches: 4 })
      expect(readLines(file)).toHaveLength(100)
    }))

  it.effect("a logger that outlives its Layer never writes through the closed file descriptor", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const first = path.join(dir, "first.log")
      const second = path.join(dir, "second.log")
      yield* Effect.logInfo("one").pipe(Effect.provide(fileLogger(first)))
      yield* Effect.logInfo("two").pipe(Effect.provide(fileLogger(second)))
      expect(readLines(first).map((l) => JSON.parse(l).message)).toEqual(["one"])
      expect(readLines(second).map((l) => JSON.parse(l).message)).toEqual(["two"])
    }))

  it.effect("a path that cannot be opened fails the Layer with a SinkError naming it", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      fs.writeFileSync(path.join(dir, "file"), "")
      const bad = path.join(dir, "file", "app.log") // a file where a directory should be
      const exit = yield* Effect.exit(Effect.provide(Effect.void, fileLogger(bad)))
      expect(Exit.isFailure(exit)).toBe(true)
      const error = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : undefined
      expect(error?._tag).toBe("Some")
      const message = String((error as { value: Error }).value.message)
      expect(message).toContain(bad)
      expect(message).toMatch(/cannot open: (ENOTDIR|EEXIST)/)
    }))

  it.effect("a broken disk (/dev/full): writes fail, records are counted failed and go to stderr, the program completes", () =>
    Effect.gen(function*() {
      const chunks: Array<string> = []
      const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: unknown) => {
        chunks.push(String(chunk))
        return true
      })
      const stats = yield* Effect.gen(function*() {
        for (let i = 0; i < 10; i++) yield* Effect.logInfo("lost?", { i })
        yield* AsyncLogger.flush
        return yield* AsyncLogger.stats
      }).pipe(
        Effect.provide(fileLogger("/dev/full", { retry: Schedule.recurs(1) })),
        Effect.ensuring(Effect.sync(() => spy.mockRestore()))
      )
      expect(stats).toMatchObject({ offered: 10, written: 0, failed: 10 })
      const text = chunks.join("")
      expect(text).toContain("sink file(/dev/full) failed after 2 attempt(s)")
      expect(text).toContain("ENOSPC")
      expect(text.split("\n").filter((l) => l.startsWith("{"))).toHaveLength(10)
    }), { skip: !fs.existsSync("/dev/full") })

  it.effect("the format option: logfmt lines", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "app.logfmt")
      yield* Effect.logWarning("disk", { free: "5%" }).pipe(Effect.provide(fileLogger(file, {}, Format.logfmt)))
      const [line] = readLines(file)
      expect(line).toMatch(/^time=\S+ level=warn fiber=#\d+ seq=1 msg=disk free=5%$/)
    }))

  it.effect("a format that throws does not lose the record", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "throws.log")
      const throwing: Format.Format = (r: LogRecord.LogRecord) => {
        if (r.message === "bad") throw new Error("format bug")
        return r.message
      }
      yield* Effect.all([Effect.logInfo("good"), Effect.logInfo("bad")]).pipe(Effect.provide(fileLogger(file, {}, throwing)))
      const lines = readLines(file)
      expect(lines[0]).toBe("good")
      expect(JSON.parse(lines[1]!)).toMatchObject({ message: "bad", formatError: "format bug" })
    }))

  it.live("a file left with a torn last line (a process killed mid-write): new records start on lines of their own", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "torn.log")
      fs.writeFileSync(file, '{"message":"whole"}\n{"message":"to')
      yield* Effect.logInfo("after restart").pipe(Effect.provide(fileLogger(file)))
      const lines = readLines(file)
      expect(lines).toHaveLength(3)
      expect(lines[1]).toBe('{"message":"to')
      expect(JSON.parse(lines[2]!)).toMatchObject({ message: "after restart" })
    }))
})
