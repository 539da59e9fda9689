/**
 * Abrupt exits (issue: reliability, item 6): process.exit(), an uncaught exception outside
 * Effect, SIGKILL with durability "critical-sync", and SIGKILL mid-burst within the documented
 * bound (capacity + batchSize records, no torn line among newline-terminated lines).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { tempDir } from "../helpers.js"

const fixture = path.join(__dirname, "..", "fixtures", "abrupt.ts")

interface Ended {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stderr: string
}

/** Run the fixture; `killWhen` (checked every 20 ms) decides when to SIGKILL it. */
const runFixture = (args: ReadonlyArray<string>, killWhen?: () => boolean) =>
  Effect.async<Ended>((resume) => {
    const child = spawn(process.execPath, ["--import", "tsx", fixture, ...args], { stdio: ["ignore", "ignore", "pipe"] })
    let stderr = ""
    child.stderr.on("data", (chunk: Buffer) => void (stderr += chunk.toString()))
    const timer = killWhen === undefined ? undefined : setInterval(() => {
      if (killWhen()) child.kill("SIGKILL")
    }, 20)
    child.on("exit", (code, signal) => {
      if (timer !== undefined) clearInterval(timer)
      resume(Effect.succeed({ code, signal, stderr }))
    })
    return Effect.sync(() => child.kill("SIGKILL"))
  })

/** Whole lines (newline-terminated) and the torn tail after the last newline, if any. */
const linesOf = (file: string) => {
  const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : ""
  const end = text.lastIndexOf("\n") + 1
  return { lines: text.slice(0, end).split("\n").slice(0, -1), tail: text.slice(end) }
}

const indices = (lines: ReadonlyArray<string>) => lines.map((line) => JSON.parse(line).fields?.i as number | undefined)

describe("reliability: abrupt exits", () => {
  it.live("process.exit(0) right after 2,000 log calls: all 2,000 records are in the file", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "exit.log")
      const ended = yield* runFixture(["exit", file])
      expect(ended.code).toBe(0)
      const { lines, tail } = linesOf(file)
      expect(tail).toBe("")
      expect(indices(lines)).toEqual(Array.from({ length: 2_000 }, (_, i) => i))
    }), 60_000)

  it.live("an exception thrown outside Effect: all 2,000 records are in the file", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "throw.log")
      const ended = yield* runFixture(["throw", file])
      expect(ended.code).toBe(1)
      expect(ended.stderr).toContain("uncaught, outside Effect")
      const { lines } = linesOf(file)
      expect(indices(lines)).toEqual(Array.from({ length: 2_000 }, (_, i) => i))
    }), 60_000)

  it.live("durability critical-sync: the Error before a SIGKILL is on disk, after everything logged before it", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "critical.log")
      const ended = yield* runFixture(["critical", file])
      expect(ended.signal).toBe("SIGKILL")
      const { lines, tail } = linesOf(file)
      expect(tail).toBe("")
      expect(lines).toHaveLength(1_001)
      expect(indices(lines.slice(0, 1_000))).toEqual(Array.from({ length: 1_000 }, (_, i) => i))
      expect(JSON.parse(lines[1_000]!).message).toBe("the error before the crash")
    }), 60_000)

  it.live("SIGKILL mid-burst, 5 times: at most capacity + batchSize records lost, none torn, duplicated or out of order", () =>
    Effect.gen(function*() {
      const CAPACITY = 1_000
      const BATCH = 100
      const dir = tempDir()
      for (let run = 0; run < 5; run++) {
        const file = path.join(dir, `kill-${run}.log`)
        const progressFile = path.join(dir, `progress-${run}`)
        const killAt = 5_000 + run * 3_000
        const offeredSoFar = () => fs.existsSync(progressFile) ? Number(fs.readFileSync(progressFile, "utf8").trim() || 0) : 0
        const ended = yield* runFixture(["endless", file, progressFile], () => offeredSoFar() >= killAt)
        expect(ended.signal).toBe("SIGKILL")
        const { lines } = linesOf(file)
        // whole lines are whole records, in order from the first: nothing torn, duplicated or skipped
        expect(indices(lines)).toEqual(Array.from({ length: lines.length }, (_, i) => i))
        // the progress file lags the real count by at most 100 records
        const offeredAtMost = offeredSoFar() + 100
        expect(offeredAtMost - lines.length).toBeLessThanOrEqual(CAPACITY + BATCH)
      }
    }), 120_000)

  it.live("process.exit() while a fan-out's slow sink has batches queued: they are written at exit, nothing twice", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const fanOutFixture = path.join(__dirname, "..", "fixtures", "fanOutExit.ts")
      const ended = yield* Effect.async<number | null>((resume) => {
        const child = spawn(process.execPath, ["--import", "tsx", fanOutFixture, dir], { stdio: "ignore" })
        child.on("exit", (code) => resume(Effect.succeed(code)))
      })
      expect(ended).toBe(0)
      const seqs = (name: string) => fs.readFileSync(path.join(dir, name), "utf8").trim().split("\n").map(Number)
      const all = Array.from({ length: 400 }, (_, i) => i + 1)
      expect(seqs("fast")).toEqual(all)
      const slow = seqs("slow")
      expect(new Set(slow).size).toBe(slow.length) // nothing twice
      // all but the one batch (at most 10 records, in a row) it was writing when the process exited
      const missing = all.filter((seq) => !slow.includes(seq))
      expect(missing.length).toBeLessThanOrEqual(10)
      if (missing.length > 0) expect(missing.at(-1)! - missing[0]!).toBe(missing.length - 1)
    }), 30_000)
})
