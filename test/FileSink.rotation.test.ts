import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { vi } from "vitest"
import { AsyncLogger, FileSink } from "../src/index.js"
import { readLines, tempDir } from "./helpers.js"

const bin = path.resolve("bin/logfiber.mjs")

/** `logfiber cat` as a real child process. */
export const catCli = (...args: Array<string>) => {
  const result = spawnSync(process.execPath, [bin, "cat", ...args], { maxBuffer: 1 << 30, encoding: "utf8" })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

const rotatingLogger = (file: string, rotate: FileSink.Rotate, options: AsyncLogger.Options = {}) =>
  AsyncLogger.layer(options).pipe(Layer.provide(FileSink.layer({ path: file, rotate })))

const PAD = "x".repeat(100)
const burst = (count: number) =>
  Effect.gen(function*() {
    for (let i = 1; i <= count; i++) yield* Effect.logInfo("record", { i, pad: PAD })
    yield* AsyncLogger.flush
    return yield* AsyncLogger.stats
  })

const rotatedNumbers = (dir: string, stem = "app"): Array<number> =>
  fs.readdirSync(dir).flatMap((f) => {
    const m = new RegExp(`^${stem}\\.\\d{4}-\\d{2}-\\d{2}\\.(\\d+)\\.log(\\.gz)?$`).exec(f)
    return m === null ? [] : [Number(m[1])]
  }).sort((a, b) => a - b)

/** The `i` field of each output line, every line parsed (a split line would throw). */
const indices = (stdout: string): Array<number> =>
  stdout.trimEnd().split("\n").map((line) => (JSON.parse(line) as { fields: { i: number } }).fields.i)

describe("FileSink rotation", () => {
  it.live("200,000 records, maxBytes 1 MiB, gzip: 20+ rotations, logfiber cat gives back all 200,000 in order", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "app.log")
      const stats = yield* burst(200_000).pipe(
        Effect.provide(rotatingLogger(file, { maxBytes: 1024 * 1024, maxFiles: 1_000, compress: "gzip" }))
      )
      expect(stats).toMatchObject({ offered: 200_000, written: 200_000, dropped: 0, failed: 0 })
      const entries = fs.readdirSync(dir)
      // shutdown waited for the compressions: every rotated file is .gz, no raw or temporary one
      expect(entries.filter((f) => f.endsWith(".tmp"))).toEqual([])
      const numbers = rotatedNumbers(dir)
      expect(numbers.length).toBeGreaterThanOrEqual(20)
      expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, k) => k + 1))
      expect(entries.filter((f) => f !== "app.log").every((f) => f.endsWith(".log.gz"))).toBe(true)
      for (const f of entries.filter((f) => f.endsWith(".gz"))) {
        const size = zlib.gunzipSync(fs.readFileSync(path.join(dir, f))).length
        expect(size).toBeLessThanOrEqual(1024 * 1024)
      }
      const out = catCli(dir)
      expect(out.stderr).toBe("")
      expect(out.code).toBe(0)
      expect(indices(out.stdout)).toEqual(Array.from({ length: 200_000 }, (_, k) => k + 1))
    }), 120_000)

  it.live("maxFiles 5: exactly 5 rotated files kept, the newest, holding the last records without a gap", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "app.log")
      yield* burst(50_000).pipe(Effect.provide(rotatingLogger(file, { maxBytes: 256 * 1024, maxFiles: 5, compress: "gzip" })))
      const numbers = rotatedNumbers(dir)
      expect(numbers).toHaveLength(5)
      // the oldest went first: what is left is the 5 highest numbers
      const highest = numbers.at(-1)!
      expect(highest).toBeGreaterThanOrEqual(20)
      expect(numbers).toEqual([highest - 4, highest - 3, highest - 2, highest - 1, highest])
      const out = catCli(dir)
      expect(out.code).toBe(0)
      const got = indices(out.stdout)
      const first = got[0]!
      expect(first).toBeGreaterThan(1)
      expect(got).toEqual(Array.from({ length: 50_001 - first }, (_, k) => first + k))
    }), 60_000)

  it.effect("daily rotation across midnight (TestClock): each record lands in its date's file", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "app.log")
      yield* TestClock.setTime(Date.parse("2026-11-30T23:59:58.000Z"))
      yield* Effect.gen(function*() {
        yield* Effect.logInfo("before", { i: 1 })
        yield* Effect.logInfo("before", { i: 2 })
        yield* TestClock.adjust("1999 millis") // 23:59:59.999
        yield* Effect.logInfo("last of the day", { i: 3 })
        yield* TestClock.adjust("1 millis") // midnight
        yield* Effect.logInfo("first of the day", { i: 4 })
        yield* TestClock.adjust("1 hours")
        yield* Effect.logInfo("later", { i: 5 })
        yield* AsyncLogger.flush
      }).pipe(Effect.provide(rotatingLogger(file, { interval: "daily" }, { batchSize: 512 })))
      expect(fs.readdirSync(dir).sort()).toEqual(["app.2026-11-30.1.log", "app.log"])
      const fieldsOf = (f: string) => readLines(path.join(dir, f)).map((l) => JSON.parse(l).fields.i)
      expect(fieldsOf("app.2026-11-30.1.log")).toEqual([1, 2, 3])
      expect(fieldsOf("app.log")).toEqual([4, 5])
    }))

  it.effect("hourly rotation in a time zone: the hour label is local time", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "app.log")
      yield* TestClock.setTime(Date.parse("2026-06-30T22:30:00.000Z")) // 00:30 in Paris (UTC+2)
      yield* Effect.gen(function*() {
        yield* Effect.logInfo("a")
        yield* TestClock.adjust("1 hours")
        yield* Effect.logInfo("b")
        yield* AsyncLogger.flush
      }).pipe(Effect.provide(rotatingLogger(file, { interval: "hourly", timeZone: "Europe/Paris" })))
      expect(fs.readdirSync(dir).sort()).toEqual(["app.2026-07-01T00.1.log", "app.log"])
    }))

  it.effect("a restart continues the numbering; unrelated files are never touched by retention", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "app.log")
      const untouched = ["app.2026-11-30.x.log", "other.2026-11-30.99.log", "app.log.1", "app.2026-11-30.5.txt", "notes"]
      for (const f of untouched) fs.writeFileSync(path.join(dir, f), "keep\n")
      fs.writeFileSync(path.join(dir, "app.2026-11-29.7.log.gz"), zlib.gzipSync("{}\n"))
      fs.writeFileSync(path.join(dir, "app.2026-11-30.12.log"), "{}\n")
      yield* burst(2_000).pipe(Effect.provide(rotatingLogger(file, { maxBytes: 64 * 1024, maxFiles: 3 })))
      const numbers = rotatedNumbers(dir)
      expect(numbers).toHaveLength(3)
      expect(numbers[0]).toBeGreaterThan(13)
      for (const f of untouched) expect(fs.readFileSync(path.join(dir, f), "utf8")).toBe("keep\n")
      // a second run: numbering goes on from the highest left by the first
      const highest = numbers.at(-1)!
      yield* burst(2_000).pipe(Effect.provide(rotatingLogger(file, { maxBytes: 64 * 1024, maxFiles: 100 })))
      const after = rotatedNumbers(dir)
      expect(after.slice(0, 3)).toEqual(numbers)
      expect(after[3]).toBe(highest + 1)
      expect(fs.existsSync(file)).toBe(true)
    }))

  it.live("compression keeps pace with a burst: rotated files are compressed while it runs, not left for shutdown", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "app.log")
      const compressedDuringBurst = yield* Effect.gen(function*() {
        for (let i = 1; i <= 100_000; i++) yield* Effect.logInfo("record", { i, pad: PAD })
        // the burst kept the event loop busy all along: whatever is compressed was done beside it
        return fs.readdirSync(dir).filter((f) => f.endsWith(".log.gz")).length
      }).pipe(Effect.provide(rotatingLogger(file, { maxBytes: 256 * 1024, maxFiles: 1_000, compress: "gzip" })))
      expect(compressedDuringBurst).toBeGreaterThanOrEqual(1)
      const entries = fs.readdirSync(dir)
      expect(entries.filter((f) => f !== "app.log").every((f) => f.endsWith(".log.gz"))).toBe(true)
      const out = catCli(dir)
      expect(out.code).toBe(0)
      expect(indices(out.stdout)).toEqual(Array.from({ length: 100_000 }, (_, k) => k + 1))
    }), 60_000)

  it.live("a program that ends while its last rotations are compressed stays alive until they are done, then exits", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "app.log")
      const result = spawnSync(process.execPath, ["--import", "tsx", "test/fixtures/rotateAndExit.ts", file], {
        encoding: "utf8",
        timeout: 30_000
      })
      expect(result.stderr).toBe("")
      expect(result.status).toBe(0)
      expect(result.stdout).toBe("after the program\n")
      const rotated = fs.readdirSync(dir).filter((f) => f !== "app.log")
      expect(rotated.length).toBeGreaterThanOrEqual(8)
      expect(rotated.every((f) => f.endsWith(".log.gz"))).toBe(true)
      expect(indices(catCli(dir).stdout)).toEqual(Array.from({ length: 20_000 }, (_, k) => k + 1))
    }), 60_000)

  it.live("shutdown past shutdownTimeout with compressions pending: the program still runs to its end; the next start compresses the rest", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "app.log")
      // a large rotated file left uncompressed: the start-up repair hands it to the thread first,
      // and at level 9 it is still being compressed when the program ends
      const OLD = 150_000
      const old = Array.from({ length: OLD }, (_, k) =>
        JSON.stringify({ time: "2026-11-29T00:00:00.000Z", level: "INFO", seq: k + 1, message: "old", fields: { i: -(k + 1), r: Math.random() } })
      ).join("\n") + "\n"
      fs.writeFileSync(path.join(dir, "app.2026-11-29.1.log"), old)
      const result = spawnSync(process.execPath, ["--import", "tsx", "test/fixtures/rotateAndExit.ts", file, "1 millis"], {
        encoding: "utf8",
        timeout: 30_000
      })
      expect(result.status).toBe(0)
      expect(result.stdout).toBe("after the program\n")
      expect(result.stderr).toContain("compression not finished within 1ms")
      expect(fs.readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([])
      yield* Effect.void.pipe(Effect.provide(rotatingLogger(file, { compress: "gzip" })))
      const rotated = fs.readdirSync(dir).filter((f) => f !== "app.log")
      expect(rotated.every((f) => f.endsWith(".log.gz"))).toBe(true)
      expect(zlib.gunzipSync(fs.readFileSync(path.join(dir, "app.2026-11-29.1.log.gz"))).toString()).toBe(old)
      expect(indices(catCli(dir).stdout)).toEqual([
        ...Array.from({ length: OLD }, (_, k) => -(k + 1)),
        ...Array.from({ length: 20_000 }, (_, k) => k + 1)
      ])
    }), 60_000)

  it.live("maxTotalBytes with a backlog of compressions: the newest files are kept, up to the limit, with no hole", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "app.log")
      const limit = 100_000
      yield* burst(20_000).pipe(Effect.provide(rotatingLogger(file, { maxBytes: 8 * 1024, maxTotalBytes: limit, compress: "gzip" })))
      const numbers = rotatedNumbers(dir)
      const highest = numbers.at(-1)!
      expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, k) => highest - numbers.length + 1 + k))
      const sizes = fs.readdirSync(dir).map((f) => fs.statSync(path.join(dir, f)).size)
      const total = sizes.reduce((a, b) => a + b, 0)
      expect(total).toBeLessThanOrEqual(limit)
      // one more rotated file would not have fitted (not far below the limit: no file deleted for nothing)
      expect(total + Math.max(...sizes)).toBeGreaterThan(limit)
      const got = indices(catCli(dir).stdout)
      expect(got.at(-1)).toBe(20_000)
      expect(got).toEqual(Array.from({ length: got.length }, (_, k) => got[0]! + k))
    }), 60_000)

  it.effect("a crash mid-compression is repaired on the next start", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "app.log")
      const raw2 = "{\"seq\":2}\n".repeat(100)
      const raw3 = "{\"seq\":3}\n".repeat(100)
      // crashed after the rename, before removing the raw file
      fs.writeFileSync(path.join(dir, "app.2026-11-30.2.log"), raw2)
      fs.writeFileSync(path.join(dir, "app.2026-11-30.2.log.gz"), zlib.gzipSync(raw2))
      // crashed while writing the temporary file
      fs.writeFileSync(path.join(dir, "app.2026-11-30.3.log"), raw3)
      fs.writeFileSync(path.join(dir, "app.2026-11-30.3.log.gz.tmp"), zlib.gzipSync(raw3).subarray(0, 20))
      yield* Effect.logInfo("after restart").pipe(Effect.provide(rotatingLogger(file, { maxBytes: 1 << 20, compress: "gzip" })))
      expect(fs.readdirSync(dir).sort()).toEqual(["app.2026-11-30.2.log.gz", "app.2026-11-30.3.log.gz", "app.log"])
      expect(zlib.gunzipSync(fs.readFileSync(path.join(dir, "app.2026-11-30.2.log.gz"))).toString()).toBe(raw2)
      expect(zlib.gunzipSync(fs.readFileSync(path.join(dir, "app.2026-11-30.3.log.gz"))).toString()).toBe(raw3)
    }))

  it.live("a process killed (SIGKILL) in the middle of a compression: the next start repairs it", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "app.log")
      const raw = path.join(dir, "app.2026-11-30.1.log")
      // ~40 MB that compresses slowly at level 9: the child is caught with its .tmp half written
      const line = (k: number) => JSON.stringify({ seq: k, noise: Math.random().toString(36).repeat(3) }) + "\n"
      const chunk = Array.from({ length: 4_000 }, (_, k) => line(k)).join("")
      fs.writeFileSync(raw, chunk.repeat(100))
      const original = fs.readFileSync(raw)
      const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/compressing.ts", file], { stdio: "ignore" })
      const tmp = `${raw}.gz.tmp`
      yield* Effect.gen(function*() {
        for (let i = 0; i < 3_000 && !(fs.existsSync(tmp) && fs.statSync(tmp).size > 0); i++) yield* Effect.sleep("10 millis")
      })
      expect(fs.existsSync(tmp), "the child started compressing").toBe(true)
      child.kill("SIGKILL")
      yield* Effect.async<void>((resume) => void child.once("exit", () => resume(Effect.void)))
      expect(fs.existsSync(tmp)).toBe(true)
      expect(fs.existsSync(`${raw}.gz`)).toBe(false)
      yield* Effect.logInfo("next start").pipe(Effect.provide(rotatingLogger(file, { compress: "gzip" })))
      expect(fs.readdirSync(dir).sort()).toEqual(["app.2026-11-30.1.log.gz", "app.log"])
      expect(zlib.gunzipSync(fs.readFileSync(`${raw}.gz`)).equals(original)).toBe(true)
    }), 60_000)

  it.live("shutdown waits for a compression only within shutdownTimeout, says so, and the next start finishes it", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "app.log")
      const raw = path.join(dir, "app.2026-11-30.1.log")
      const chunk = Array.from({ length: 4_000 }, (_, k) => JSON.stringify({ seq: k, r: Math.random() }) + "\n").join("")
      fs.writeFileSync(raw, chunk.repeat(100))
      const chunks: Array<string> = []
      const spy = vi.spyOn(process.stderr, "write").mockImplementation((c: unknown) => {
        chunks.push(String(c))
        return true
      })
      const sink = FileSink.layer({ path: file, rotate: { compress: "gzip", compressLevel: 9 }, shutdownTimeout: "50 millis" })
      const started = Date.now()
      yield* Effect.logInfo("x").pipe(
        Effect.provide(AsyncLogger.layer().pipe(Layer.provide(sink))),
        Effect.ensuring(Effect.sync(() => spy.mockRestore()))
      )
      expect(Date.now() - started).toBeLessThan(3_000)
      expect(chunks.join("")).toContain("compression not finished within 50ms")
      expect(fs.existsSync(raw)).toBe(true)
      expect(fs.existsSync(`${raw}.gz`)).toBe(false)
      yield* Effect.void.pipe(Effect.provide(rotatingLogger(file, { compress: "gzip" })))
      expect(fs.readdirSync(dir).sort()).toEqual(["app.2026-11-30.1.log.gz", "app.log"])
    }), 60_000)

  it.live("maxAge and maxTotalBytes: old files and the oldest beyond the total go, the active file stays", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "app.log")
      const put = (name: string, bytes: number, ageDays: number) => {
        const full = path.join(dir, name)
        fs.writeFileSync(full, Buffer.alloc(bytes, 0x61))
        const t = (Date.now() - ageDays * 86_400_000) / 1000
        fs.utimesSync(full, t, t)
      }
      put("app.2026-10-01.1.log.gz", 1000, 60)
      put("app.2026-11-20.2.log.gz", 1000, 10)
      put("app.2026-11-28.3.log.gz", 1000, 2)
      put("app.2026-11-29.4.log.gz", 1000, 1)
      put("other.2026-10-01.1.log.gz", 1000, 60)
      fs.writeFileSync(file, Buffer.alloc(1500, 0x62))
      yield* Effect.void.pipe(Effect.provide(rotatingLogger(file, { maxAge: "30 days", maxTotalBytes: 3600 })))
      // 60 days old: too old; then 1500 (active) + 3 x 1000 > 3600: the oldest left goes too
      expect(fs.readdirSync(dir).sort()).toEqual(["app.2026-11-28.3.log.gz", "app.2026-11-29.4.log.gz", "app.log", "other.2026-10-01.1.log.gz"])
    }))

  it.effect("a compression that fails keeps the raw file, is reported once on stderr, and the writer goes on", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "app.log")
      // a directory where a rotated file should be: gzip cannot read it
      fs.mkdirSync(path.join(dir, "app.2026-11-30.4.log"))
      const chunks: Array<string> = []
      const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: unknown) => {
        chunks.push(String(chunk))
        return true
      })
      const stats = yield* burst(1_000).pipe(
        Effect.provide(rotatingLogger(file, { maxBytes: 64 * 1024, compress: "gzip" })),
        Effect.ensuring(Effect.sync(() => spy.mockRestore()))
      )
      expect(stats).toMatchObject({ written: 1_000, failed: 0 })
      const reports = chunks.join("").split("\n").filter((l) => l.includes("gzip of"))
      expect(reports).toHaveLength(1)
      expect(reports[0]).toContain("app.2026-11-30.4.log failed, the uncompressed file is kept")
      expect(fs.statSync(path.join(dir, "app.2026-11-30.4.log")).isDirectory()).toBe(true)
      const rotated = fs.readdirSync(dir).filter((f) => f.endsWith(".gz"))
      expect(rotated.length).toBeGreaterThanOrEqual(1)
      expect(rotatedNumbers(dir)[0]).toBe(4)
    }))

  it.effect("invalid options fail the Layer naming the option and the value", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "app.log")
      const exitOf = (rotate: FileSink.Rotate) => Effect.exit(Effect.provide(Effect.void, rotatingLogger(file, rotate)))
      const message = (exit: Exit.Exit<void, unknown>) => (Exit.isFailure(exit) ? String(exit.cause) : "")
      expect(message(yield* exitOf({ maxBytes: -5 }))).toContain("rotate.maxBytes: -5")
      expect(message(yield* exitOf({ timeZone: "Mars/Olympus" }))).toContain("rotate.timeZone: Mars/Olympus")
      expect(message(yield* exitOf({ maxAge: "soon" as never }))).toContain("rotate.maxAge: soon")
    }))
})
