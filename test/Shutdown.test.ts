import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { spawn } from "node:child_process"
import * as path from "node:path"
import type { AsyncLogger } from "../src/index.js"
import { readLines, tempDir } from "./helpers.js"

/** Run the fixture, send SIGINT once it says "ready", collect its stdout and exit code. */
const runAndInterrupt = (file: string, signal: "SIGINT" | "SIGHUP" = "SIGINT") =>
  Effect.async<{ readonly stdout: string; readonly code: number | null; readonly signal: string | null }>((resume) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "fixtures", "interrupted.ts"), file, signal], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    let stdout = ""
    let sent = false
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString()
      if (!sent && stdout.includes("ready")) {
        sent = true
        child.kill(signal)
      }
    })
    child.on("exit", (code, signal) => resume(Effect.succeed({ stdout, code, signal })))
    return Effect.sync(() => child.kill("SIGKILL"))
  })

describe("shutdown under NodeRuntime.runMain", () => {
  it.live("SIGINT mid-burst: every record offered before the interrupt is on disk, in order", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "sigint.log")
      const { code, stdout } = yield* runAndInterrupt(file)
      const stats = JSON.parse(stdout.trim().split("\n").at(-1)!) as AsyncLogger.Stats
      const lines = readLines(file)
      expect(code).toBe(0) // runMain: interruption is a clean exit
      expect(stats.offered).toBeGreaterThan(10_000)
      expect(stats.written).toBe(stats.offered)
      expect(stats.dropped + stats.failed + stats.pending).toBe(0)
      expect(lines).toHaveLength(stats.offered)
      expect(lines.map((l) => JSON.parse(l).fields.i)).toEqual(Array.from({ length: lines.length }, (_, i) => i))
    }), 60_000)

  it.live("terminateOn SIGHUP: SIGHUP drains like SIGTERM, every record offered is on disk", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "sighup.log")
      const { code, stdout } = yield* runAndInterrupt(file, "SIGHUP")
      const stats = JSON.parse(stdout.trim().split("\n").at(-1)!) as AsyncLogger.Stats
      expect(code).toBe(0)
      expect(stats.written).toBe(stats.offered)
      expect(readLines(file)).toHaveLength(stats.offered)
    }), 60_000)
})
