import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { execFileSync, spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import type { AsyncLogger } from "../../src/index.js"
import { tempDir } from "../helpers.js"

const fixture = path.join(__dirname, "..", "fixtures", "stuckStderr.ts")

const readStats = (file: string): AsyncLogger.Stats | undefined =>
  fs.existsSync(file) && fs.statSync(file).size > 0 ? JSON.parse(fs.readFileSync(file, "utf8")) as AsyncLogger.Stats : undefined

/** Run the fixture with `stderr` as its fd 2; resolves when its stats file appears, or it exits. */
const runWithStderr = (stderr: "pipe" | number, statsFile: string) =>
  Effect.async<{ readonly exitCode: number | null | "running"; readonly stats: AsyncLogger.Stats | undefined }>((resume) => {
    const child = spawn(process.execPath, ["--import", "tsx", fixture, statsFile], { stdio: ["ignore", "ignore", stderr] })
    // a pipe (a socket pair) the test never reads while the child runs
    child.stderr?.pause()
    let done = false
    const finish = (exitCode: number | null | "running") => {
      if (done) return
      done = true
      clearInterval(poll)
      resume(Effect.succeed({ exitCode, stats: readStats(statsFile) }))
    }
    const poll = setInterval(() => {
      // once the work is done, give it a moment to exit on its own
      if (readStats(statsFile) !== undefined) setTimeout(() => finish("running"), 3_000)
    }, 100)
    child.on("exit", (code) => finish(code))
    return Effect.sync(() => child.kill("SIGKILL"))
  }).pipe(Effect.timeout("45 seconds"))

const expected = { offered: 20_000, written: 0, failed: 20_000, dropped: 0, pending: 0 }

describe("reliability: stderr that nobody reads", () => {
  it.live("a FIFO nobody reads: the program runs to its end and exits; every record is counted failed", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const fifo = path.join(dir, "stderr.fifo")
      execFileSync("mkfifo", [fifo])
      // open both ends, and never read: the writer's end is the child's stderr
      const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
      const writer = fs.openSync(fifo, fs.constants.O_WRONLY)
      const result = yield* runWithStderr(writer, path.join(dir, "stats.json")).pipe(
        Effect.ensuring(Effect.sync(() => [reader, writer].forEach((fd) => fs.closeSync(fd))))
      )
      expect(result.exitCode).toBe(0)
      expect(result.stats).toMatchObject(expected)
    }), 60_000)

  it.live("a socket that is read: every record a failed sink could not take is on stderr, though the program calls process.exit right after", () =>
    Effect.gen(function*() {
      const statsFile = path.join(tempDir(), "stats.json")
      const result = spawnSync(process.execPath, ["--import", "tsx", fixture, statsFile, "2000", "exit"], { encoding: "utf8", timeout: 30_000 })
      expect(result.status).toBe(0)
      const echoed = result.stderr.split("\n").filter((line) => line.includes("record that goes to stderr")).map((line) => JSON.parse(line).fields.i as number)
      expect(echoed.sort((a, b) => a - b)).toEqual(Array.from({ length: 2_000 }, (_, i) => i))
      expect(result.stderr).toContain("\"message\":\"last words\"")
      expect(readStats(statsFile)).toMatchObject({ offered: 2_000, failed: 2_000 })
    }), 60_000)

  it.live("a socket nobody reads: the program still runs to its end; every record is counted failed", () =>
    Effect.gen(function*() {
      const statsFile = path.join(tempDir(), "stats.json")
      const result = yield* runWithStderr("pipe", statsFile)
      // Node keeps a process alive while a write to its stderr socket is pending: it may not exit
      // on its own, but the program's own work is done
      expect(result.stats).toMatchObject(expected)
    }), 60_000)
})
