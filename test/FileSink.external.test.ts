import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { promisify } from "node:util"
import { AsyncLogger, FileSink } from "../src/index.js"
import { tempDir } from "./helpers.js"

const LOGROTATE = "/usr/sbin/logrotate"
const run = promisify(execFile)

const logger = (file: string, options: Partial<FileSink.Options> = {}) =>
  AsyncLogger.layer({ batchSize: 256 }).pipe(Layer.provide(FileSink.layer({ path: file, ...options })))

/** Every line of every file in `dir` (logrotate's copies included), with NUL bytes counted. */
const union = (dir: string) => {
  const seqs: Array<number> = []
  let nul = 0
  for (const f of fs.readdirSync(dir).filter((f) => f.startsWith("app.log"))) {
    const bytes = fs.readFileSync(path.join(dir, f))
    nul += bytes.filter((b) => b === 0).length
    const text = bytes.toString("utf8")
    if (text.length > 0) expect(text.endsWith("\n"), `${f} ends with a whole line`).toBe(true)
    for (const line of text.split("\n").slice(0, -1)) seqs.push((JSON.parse(line) as { fields: { i: number } }).fields.i)
  }
  return { seqs: seqs.sort((a, b) => a - b), nul }
}

/** 100,000 records in slices, with real time passing, while logrotate runs `rotations` times. */
const writeWhileRotating = (dir: string, mode: "create" | "copytruncate", rotations: number) =>
  Effect.gen(function*() {
    if (!fs.existsSync(LOGROTATE)) {
      return yield* Effect.dieMessage(`${LOGROTATE} is missing: install the Debian package logrotate (scripts/setup-system.sh)`)
    }
    const file = path.join(dir, "app.log")
    const conf = path.join(dir, "logrotate.conf")
    fs.writeFileSync(conf, `${file} {\n  rotate 1000\n  ${mode === "create" ? "create 0640" : "copytruncate"}\n  missingok\n  nocompress\n}\n`)
    const state = path.join(dir, "logrotate.state")
    let done = 0
    const rotate = Effect.promise(() => run(LOGROTATE, ["-f", "-s", state, conf])).pipe(
      Effect.tap(() => Effect.sync(() => void done++)),
      Effect.zipRight(Effect.sleep("40 millis")),
      Effect.repeatN(rotations - 1)
    )
    const stats = yield* Effect.gen(function*() {
      const rotator = yield* Effect.fork(Effect.zipRight(Effect.sleep("20 millis"), rotate))
      for (let i = 1; i <= 100_000; i++) {
        yield* Effect.logInfo("record", { i })
        if (i % 1_000 === 0) yield* Effect.sleep("3 millis")
      }
      yield* Fiber.join(rotator)
      yield* AsyncLogger.flush
      return yield* AsyncLogger.stats
    }).pipe(Effect.provide(logger(file)))
    return { stats, done }
  })

describe("FileSink and logrotate", () => {
  it.live("move-and-create while 100,000 records are written: each record exactly once in the union, no NUL, no split line", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const { stats, done } = yield* writeWhileRotating(dir, "create", 6)
      expect(done).toBe(6)
      expect(stats).toMatchObject({ offered: 100_000, written: 100_000, failed: 0 })
      const { seqs, nul } = union(dir)
      expect(nul).toBe(0)
      expect(seqs).toEqual(Array.from({ length: 100_000 }, (_, k) => k + 1))
      expect(fs.readdirSync(dir).filter((f) => /^app\.log\.\d+$/.test(f)).length).toBeGreaterThanOrEqual(5)
    }), 60_000)

  it.live("copytruncate while 100,000 records are written: every record in the union, no NUL, no split line", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const { stats, done } = yield* writeWhileRotating(dir, "copytruncate", 6)
      expect(done).toBe(6)
      expect(stats).toMatchObject({ offered: 100_000, written: 100_000, failed: 0 })
      const { seqs, nul } = union(dir)
      expect(nul).toBe(0)
      expect(new Set(seqs).size).toBe(100_000)
      expect(seqs.length - 100_000).toBe(0)
    }), 60_000)

  it.live("FileSink.reopen and reopenOnSignal: after a rename the next batch goes to a new file at the path", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "app.log")
      yield* Effect.gen(function*() {
        yield* Effect.logInfo("one")
        yield* AsyncLogger.flush
        fs.renameSync(file, path.join(dir, "app.log.1"))
        fs.writeFileSync(path.join(dir, "elsewhere"), "")
        yield* FileSink.reopen
        yield* Effect.logInfo("two")
        yield* AsyncLogger.flush
        fs.renameSync(file, path.join(dir, "app.log.2"))
        process.kill(process.pid, "SIGUSR2")
        yield* Effect.sleep("50 millis")
        yield* Effect.logInfo("three")
        yield* AsyncLogger.flush
      }).pipe(Effect.provide(logger(file, { reopenOnSignal: "SIGUSR2" })))
      const messages = (f: string) => fs.readFileSync(path.join(dir, f), "utf8").trim().split("\n").map((l) => JSON.parse(l).message)
      expect(messages("app.log.1")).toEqual(["one"])
      expect(messages("app.log.2")).toEqual(["two"])
      expect(messages("app.log")).toEqual(["three"])
      expect(process.listenerCount("SIGUSR2")).toBe(0)
    }))
})
