import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as crypto from "node:crypto"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { gunzipSync } from "node:zlib"
import { AsyncLogger, DirectorySink, FileSink, Format, LogRecord, Reader } from "../src/index.js"
import { listRecordFiles, readDirectoryRecords } from "../src/internal/directory/read.js"
import { tempDir } from "./helpers.js"

const fixture = path.join(import.meta.dirname, "fixtures", "directoryWriter.ts")

const dirLogger = (options: DirectorySink.Options, logger: AsyncLogger.Options = {}) =>
  AsyncLogger.layer(logger).pipe(Layer.provide(DirectorySink.layer(options)))

/** Every file under `dir`, relative, subdirectories included. */
const allFiles = (dir: string): Array<string> =>
  (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as Array<fs.Dirent>)
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))

/** A child process writing `count` records into `dir` once told to go. */
const startChild = (dir: string, count: number) =>
  Effect.async<{ readonly go: () => void; readonly done: Promise<number> }>((resume) => {
    const child = spawn(process.execPath, ["--import", "tsx", fixture, "burst", dir, String(count)], {
      stdio: ["pipe", "pipe", "inherit"]
    })
    const done = new Promise<number>((ok) => child.once("exit", (code) => ok(code ?? -1)))
    child.stdout.once("data", () => resume(Effect.succeed({ go: () => child.stdin.write("go\n"), done })))
  })

describe("DirectorySink", () => {
  it.effect("500 fibers x 20 records (gzip) beside a second process: 10,000 + 2,000 distinct files, all valid JSON, no temporary files", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const child = yield* startChild(dir, 2_000)
      child.go()
      yield* Effect.forEach(
        Array.from({ length: 500 }, (_, f) => f),
        (f) => Effect.forEach(Array.from({ length: 20 }, (_, i) => i), (i) => Effect.logInfo("parent", { f, i }), { discard: true }),
        { concurrency: "unbounded", discard: true }
      ).pipe(Effect.provide(dirLogger({ dir, compress: "gzip" })))
      expect(yield* Effect.promise(() => child.done)).toBe(0)
      const files = allFiles(dir)
      expect(files.filter((f) => f.endsWith(".tmp"))).toEqual([])
      expect(files).toHaveLength(12_000)
      expect(files.every((f) => f.endsWith(".json.gz"))).toBe(true)
      const seen = { parent: new Set<string>(), child: new Set<string>() }
      for (const file of files) {
        const record = JSON.parse(gunzipSync(fs.readFileSync(path.join(dir, file))).toString("utf8"))
        const who = record.message as "parent" | "child"
        seen[who].add(`${record.fields.f}/${record.fields.i}`)
      }
      // every (fiber, i) of each process in a file of its own: nothing overwritten by the other
      expect(seen.parent.size).toBe(10_000)
      expect(seen.child.size).toBe(2_000)
    }), 120_000)

  it.effect("names sort in the order of the log calls; the body is the record as indented JSON", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      yield* Effect.forEach(Array.from({ length: 300 }, (_, i) => i), (i) => Effect.logInfo("ordered", { i }), { discard: true }).pipe(
        Effect.provide(dirLogger({ dir }, { batchSize: 64 }))
      )
      const names = fs.readdirSync(dir)
      expect(names).toHaveLength(300)
      expect(names[0]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{6}Z-000000000001-[0-9a-z]+\.json$/)
      const sorted = [...names].sort()
      const order = sorted.map((n) => JSON.parse(fs.readFileSync(path.join(dir, n), "utf8")).fields.i)
      expect(order).toEqual(Array.from({ length: 300 }, (_, i) => i))
      const body = fs.readFileSync(path.join(dir, sorted[0]!), "utf8")
      expect(body).toContain("\n  \"message\": \"ordered\",\n")
    }))

  it.effect("groupBy an annotation: one subdirectory per value; hostile values stay under dir", () =>
    Effect.gen(function*() {
      const parent = tempDir()
      const dir = path.join(parent, "logs")
      const hostile = ["../../etc", "..", ".", "", "a".repeat(300), "x\u0000y", "/abs/path", "a/../../b", "C:\\win", "ok-1"]
      yield* Effect.forEach(hostile, (value) => Effect.logInfo("grouped", { value }).pipe(Effect.annotateLogs("sessionId", value)), {
        discard: true
      }).pipe(Effect.zipRight(Effect.logInfo("no session")), Effect.provide(dirLogger({ dir, groupBy: "sessionId" })))
      // nothing outside dir: the parent holds only dir itself
      expect(fs.readdirSync(parent)).toEqual(["logs"])
      const groups = fs.readdirSync(dir).sort()
      expect(groups).toHaveLength(hostile.length + 1)
      for (const group of groups) {
        expect(group.length).toBeLessThanOrEqual(120)
        expect(group.startsWith(".")).toBe(false)
        const files = fs.readdirSync(path.join(dir, group))
        expect(files).toHaveLength(1)
      }
      expect(groups).toContain("ok-1")
      expect(groups).toContain("%none")
      expect(groups).toContain("%empty")
      expect(groups).toContain("%2E.")
      expect(groups).toContain("%2E.%2F..%2Fetc")
      // each file holds the record of its own value
      const values = new Set(allFiles(dir).map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")).fields?.value))
      expect(values).toEqual(new Set([...hostile, undefined]))
    }))

  it.effect("groupBy date: a subdirectory per UTC date of the record's time", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const sink = yield* DirectorySink.make({ dir, groupBy: "date" })
      yield* sink.write([
        LogRecord.make({ seq: 1, time: Date.UTC(2026, 10, 30, 23, 59, 59, 999), message: "late" }),
        LogRecord.make({ seq: 2, time: Date.UTC(2026, 11, 1, 0, 0, 0, 0), message: "early" })
      ])
      expect(fs.readdirSync(dir).sort()).toEqual(["2026-11-30", "2026-12-01"])
      expect(fs.readdirSync(path.join(dir, "2026-11-30"))[0]).toMatch(/^2026-11-30T23-59-59\.999000Z-000000000001-/)
    }))

  it.effect("the sub-millisecond digits order records of one millisecond; a rewrite of the same batch adds no file", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const sink = yield* DirectorySink.make({ dir, concurrency: 4 })
      const time = Date.UTC(2026, 10, 30, 9, 15, 2, 123)
      const batch = Array.from({ length: 5 }, (_, i) => LogRecord.make({ seq: 41 + i, time, message: `m${i}` }))
      yield* sink.write(batch)
      // a retried batch (after a partial failure) writes each record once
      yield* sink.write(batch)
      const names = fs.readdirSync(dir).sort()
      expect(names.map((n) => n.slice(0, 40))).toEqual([
        "2026-11-30T09-15-02.123000Z-000000000041",
        "2026-11-30T09-15-02.123001Z-000000000042",
        "2026-11-30T09-15-02.123002Z-000000000043",
        "2026-11-30T09-15-02.123003Z-000000000044",
        "2026-11-30T09-15-02.123004Z-000000000045"
      ])
    }))

  it.effect("a write interrupted mid-batch (writeTimeout) then retried: each record in exactly one file", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const sink = yield* DirectorySink.make({ dir, compress: "gzip", concurrency: 8 })
      const batch = Array.from({ length: 200 }, (_, i) => LogRecord.make({ seq: i + 1, time: 5_000, message: `r${i}`, fields: { pad: "y".repeat(4096) } }))
      const first = yield* Effect.fork(sink.write(batch))
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 5)))
      yield* Fiber.interrupt(first)
      yield* sink.write(batch)
      const names = fs.readdirSync(dir)
      expect(names.filter((n) => n.endsWith(".tmp"))).toEqual([])
      expect(names).toHaveLength(200)
      expect(new Set(names.map((n) => JSON.parse(gunzipSync(fs.readFileSync(path.join(dir, n))).toString()).seq)).size).toBe(200)
    }))

  it.effect("the directory deleted while running: created again by the next batch", () =>
    Effect.gen(function*() {
      const dir = path.join(tempDir(), "gone")
      const sink = yield* DirectorySink.make({ dir, groupBy: "s" })
      yield* sink.write([LogRecord.make({ seq: 1, message: "before", annotations: { s: "a" } })])
      fs.rmSync(dir, { recursive: true })
      yield* sink.write([LogRecord.make({ seq: 2, message: "after", annotations: { s: "a" } })])
      const [name] = fs.readdirSync(path.join(dir, "a"))
      expect(JSON.parse(fs.readFileSync(path.join(dir, "a", name!), "utf8")).message).toBe("after")
    }))

  it.effect("format and extension: a line format gives .log files; writeSync writes the same way", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const sink = yield* DirectorySink.make({ dir, format: Format.logfmt, compress: "gzip" })
      sink.writeSync!([LogRecord.make({ seq: 7, time: 0, message: "sync path" })])
      const [name] = fs.readdirSync(dir)
      expect(name).toMatch(/^1970-01-01T00-00-00\.000000Z-000000000007-[0-9a-z]+\.log\.gz$/)
      expect(gunzipSync(fs.readFileSync(path.join(dir, name!))).toString()).toContain("msg=\"sync path\"")
    }))

  it.effect("readDirectoryRecords: every group merged in time order, temporary files ignored", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const sink = yield* DirectorySink.make({ dir, groupBy: "s", compress: "gzip" })
      const records = Array.from({ length: 20 }, (_, i) => LogRecord.make({ seq: i + 1, time: 1_000 * i, message: `r${i}`, annotations: { s: `g${i % 3}` } }))
      yield* sink.write(records)
      fs.writeFileSync(path.join(dir, "g0", ".leftover.tmp"), "partial")
      const read = [...readDirectoryRecords(dir)]
      expect(read.map((r) => r._tag === "ok" ? JSON.parse(r.text).message : r.reason)).toEqual(records.map((r) => r.message))
      expect(listRecordFiles(dir)).toHaveLength(20)
    }))

  it.effect("bad options fail the Layer with a message naming the option and the value", () =>
    Effect.gen(function*() {
      const exits = yield* Effect.forEach([
        { dir: tempDir(), concurrency: 0 },
        { dir: tempDir(), compress: "zstd" as "gzip" },
        { dir: "" },
        { dir: tempDir(), extension: "../x" }
      ], (options) => Effect.exit(Layer.build(DirectorySink.layer(options)).pipe(Effect.scoped)))
      const messages = exits.map((e) => Exit.isFailure(e) ? String(e.cause) : "succeeded")
      expect(messages[0]).toContain("concurrency: expected an integer of at least 1, got 0")
      expect(messages[1]).toContain("compress: expected \"gzip\", got \"zstd\"")
      expect(messages[2]).toContain("dir: expected a directory path, got \"\"")
      expect(messages[3]).toContain("extension: expected letters and digits")
    }))

  it.effect("a file in the way of dir: the Layer fails naming the directory", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "plain")
      fs.writeFileSync(file, "")
      const exit = yield* Effect.exit(Layer.build(DirectorySink.layer({ dir: path.join(file, "sub") })).pipe(Effect.scoped))
      expect(Exit.isFailure(exit) && String(exit.cause)).toContain(`directory(${path.join(file, "sub")}): cannot create: ENOTDIR`)
    }))
})

describe("DirectorySink beside a line sink", () => {
  it.effect("large payloads whole in the directory, bounded in the line file: a second AsyncLogger with its own maxRecordBytes", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(tempDir(), "app.log")
      const Lines = AsyncLogger.layer().pipe(Layer.provide(FileSink.layer({ path: file })))
      const Responses = AsyncLogger.layer({ replace: false, maxRecordBytes: 1024 * 1024 }).pipe(Layer.provide(DirectorySink.layer({ dir })))
      const body = "x".repeat(200 * 1024)
      yield* Effect.logInfo("model response", { body }).pipe(Effect.provide(Layer.merge(Lines, Responses)))
      const [name] = fs.readdirSync(dir)
      expect(JSON.parse(fs.readFileSync(path.join(dir, name!), "utf8")).fields.body).toBe(body)
      const lines = fs.readFileSync(file, "utf8").trimEnd().split("\n")
      expect(lines).toHaveLength(1)
      // the line sink's record is bounded by its logger's default maxRecordBytes (64 KiB)
      expect(Buffer.byteLength(lines[0]!)).toBeLessThanOrEqual(65_536)
      expect(lines[0]).toContain("model response")
    }))
})

/** `logfiber cat` in this process: stdout text, stderr text, exit code. */
const cat = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.gen(function*() {
    let out = ""
    let err = ""
    const code = yield* Reader.cat(["cat", ...args], { out: async (t) => void (out += t), err: (t) => void (err += t), env })
    return { out, err, code }
  })

describe("logfiber cat on a DirectorySink directory", () => {
  it.effect("groups, gzip and encryption merged in time order with a line file beside; filters as for lines; a bad file named, the rest printed", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const key = crypto.randomBytes(32)
      const sink = yield* DirectorySink.make({ dir, groupBy: "session", compress: "gzip", encryption: { key: Redacted.make<Uint8Array>(key) } })
      const records = Array.from({ length: 60 }, (_, i) =>
        LogRecord.make({ seq: i + 1, time: 1_000_000 + i * 10, level: i % 10 === 0 ? "ERROR" : "INFO", message: `response ${i}`, annotations: { session: `s${i % 4}` } }))
      yield* sink.write(records.filter((r) => r.seq % 2 === 1))
      // a line file in the same directory holds the even records
      fs.writeFileSync(path.join(dir, "app.log"), records.filter((r) => r.seq % 2 === 0).map((r) => Format.json(r) + "\n").join(""))
      const all = yield* cat([dir, "--key-env", "K"], { K: key.toString("base64") })
      expect(all.err).toBe("")
      expect(all.code).toBe(0)
      expect(all.out.trimEnd().split("\n").map((l) => JSON.parse(l).message)).toEqual(records.map((r) => r.message))
      const errors = yield* cat([dir, "--key-env", "K", "--level", "error", "--format", "logfmt"], { K: key.toString("base64") })
      expect(errors.out.trimEnd().split("\n")).toHaveLength(6)
      // one record file damaged: reported with its name and block; the other 29 + 30 still printed
      const victim = listRecordFiles(dir)[3]!
      const bytes = fs.readFileSync(victim)
      bytes[bytes.length - 1]! ^= 1
      fs.writeFileSync(victim, bytes)
      const damaged = yield* cat([dir, "--key-env", "K"], { K: key.toString("base64") })
      expect(damaged.code).toBe(1)
      expect(damaged.err).toContain(`${victim}: block 1 (byte offset 0): authentication failed`)
      expect(damaged.out.trimEnd().split("\n")).toHaveLength(59)
    }))
})
