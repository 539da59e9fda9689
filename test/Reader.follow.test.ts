import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { Format, LogRecord, Reader } from "../src/index.js"
import { eventually, tempDir } from "./helpers.js"

const T0 = Date.parse("2026-11-30T10:00:00.000Z")
const rec = (seq: number, message = `m${seq}`) => LogRecord.make({ seq, time: T0 + seq * 1000, message })
const line = (seq: number, message?: string) => Format.json(rec(seq, message)) + "\n"
const seqsOf = (out: string) => out.trimEnd().split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l).seq as number)

/** Compress a rotated file the way `FileSink` does: `.gz` next to it, then the raw file removed. */
const gzip = (file: string) => {
  fs.writeFileSync(`${file}.gz`, zlib.gzipSync(fs.readFileSync(file)))
  fs.rmSync(file)
}

/**
 * `logfiber cat --follow` in-process, polling every 20 ms; `onOut` runs (synchronously, so the
 * follower cannot poll meanwhile) each time it prints. `stopWhen` ends it; what it printed.
 */
const following = (
  args: ReadonlyArray<string>,
  stopWhen: (out: string) => boolean,
  onOut: (out: string) => void = () => undefined
) =>
  Effect.gen(function*() {
    let out = ""
    let err = ""
    const stop = new AbortController()
    const fiber = yield* Effect.fork(Reader.cat(["cat", ...args, "--follow"], {
      out: async (text) => {
        out += text
        onOut(out)
      },
      err: (text) => void (err += text),
      signal: stop.signal,
      pollMillis: 20
    }))
    yield* eventually(() => stopWhen(out), 5_000_000)
    stop.abort()
    const code = yield* Fiber.join(fiber)
    return { out, err, code }
  })

describe("Reader --follow", () => {
  it.live("three rotations between two polls (one compressed, the followed file among them): every line once, in order", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const active = path.join(dir, "app.log")
      const rotated = (n: number) => path.join(dir, `app.2026-11-30.${n}.log`)
      fs.writeFileSync(active, line(1))
      let rotatedYet = false
      const { out, err, code } = yield* following([active], (out) => seqsOf(out).includes(6), (out) => {
        if (rotatedYet || !seqsOf(out).includes(1)) return
        rotatedYet = true
        // all before the next poll: the follower runs on this thread
        fs.appendFileSync(active, line(2))
        fs.renameSync(active, rotated(1))
        gzip(rotated(1)) // the followed file itself, found by its first bytes
        fs.writeFileSync(active, line(3))
        fs.renameSync(active, rotated(2))
        fs.writeFileSync(active, line(4))
        fs.renameSync(active, rotated(3))
        gzip(rotated(3))
        fs.writeFileSync(active, line(5) + line(6))
      })
      expect(seqsOf(out)).toEqual([1, 2, 3, 4, 5, 6])
      expect({ err, code }).toEqual({ err: "", code: 0 })
    }))

  it.live("rotations after the first pass read the directory, before following starts: the rotated files made since are read", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const active = path.join(dir, "app.log")
      const rotated = (n: number) => path.join(dir, `app.2026-11-30.${n}.log`)
      fs.writeFileSync(rotated(1), line(1))
      fs.writeFileSync(active, line(2) + line(3))
      let rotatedYet = false
      // the first pass prints 1..3 in one write, then follow starts: rotate in between
      const { out, err, code } = yield* following([dir], (out) => seqsOf(out).includes(8), () => {
        if (rotatedYet) return
        rotatedYet = true
        fs.appendFileSync(active, line(4))
        fs.renameSync(active, rotated(2))
        fs.writeFileSync(active, line(5) + line(6))
        fs.renameSync(active, rotated(3))
        gzip(rotated(3))
        fs.writeFileSync(active, line(7) + line(8))
      })
      expect(seqsOf(out)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
      expect({ err, code }).toEqual({ err: "", code: 0 })
    }))

  it.live("a last line torn inside a multi-byte character is printed once its end arrives (no crash)", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "app.log")
      const whole = Buffer.from(line(1) + line(2, "héllo wörld"))
      const cut = whole.indexOf(Buffer.from("é")) + 1 // between the two bytes of é
      fs.writeFileSync(file, whole.subarray(0, cut))
      let appended = false
      const { out, code } = yield* following([file], (out) => seqsOf(out).includes(2), () => {
        if (appended) return
        appended = true
        fs.appendFileSync(file, whole.subarray(cut))
      })
      expect(out).toBe(whole.toString("utf8"))
      expect(code).toBe(0)
    }))

  it.live("a multi-byte character across the follower's 256 KiB reads comes out whole", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "app.log")
      fs.writeFileSync(file, line(0))
      // 300 KB of 2-byte characters after a 1-byte start: some read ends inside a character
      const appended = Array.from({ length: 1500 }, (_, k) => line(k + 1, "é".repeat(100))).join("")
      let written = false
      const { out, code } = yield* following([file], (out) => seqsOf(out).includes(1500), () => {
        if (written) return
        written = true
        fs.appendFileSync(file, appended)
      })
      expect(out).toBe(line(0) + appended)
      expect(code).toBe(0)
    }))
})
