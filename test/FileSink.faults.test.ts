import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import { execFileSync, spawnSync } from "node:child_process"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { vi } from "vitest"
import { AsyncLogger, FileSink } from "../src/index.js"
import { readLines, tempDir } from "./helpers.js"

const isRoot = process.getuid?.() === 0

/** A small tmpfs mounted on a fresh directory (root only); `undefined` where mounting is refused. */
const mountTmpfs = (bytes: number): string | undefined => {
  if (!isRoot) return undefined
  const dir = tempDir("logfiber-tmpfs-")
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${bytes}`, "tmpfs", dir], { stdio: "pipe" })
  } catch {
    return undefined
  }
  return dir
}

const unmount = (dir: string) => Effect.sync(() => execFileSync("umount", ["-l", dir]))

/** Capture stderr (failed batches are reported there) for the length of `effect`. */
const quietStderr = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.suspend(() => {
    const chunks: Array<string> = []
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: unknown) => {
      chunks.push(String(chunk))
      return true
    })
    return effect.pipe(
      Effect.map((a) => [a, chunks.join("")] as const),
      Effect.ensuring(Effect.sync(() => spy.mockRestore()))
    )
  })

const logger = (file: string, options: AsyncLogger.Options = {}, rotate?: FileSink.Rotate) =>
  AsyncLogger.layer({ batchSize: 64, retry: Schedule.recurs(2).pipe(Schedule.intersect(Schedule.spaced("2 millis"))), ...options })
    .pipe(Layer.provide(FileSink.layer({ path: file, rotate })))

describe("FileSink faults", () => {
  it.live("ENOSPC on a real tmpfs: batches retried then failed, writing resumes once space is freed; no duplicated or torn line, lines on disk = written", () =>
    Effect.gen(function*() {
      const mount = mountTmpfs(1024 * 1024)
      if (mount === undefined) {
        if (!fs.existsSync("/dev/full")) {
          return yield* Effect.dieMessage("this test needs root (to mount a tmpfs) or a writable /dev/full; neither is available")
        }
        // no mount allowed: the disk-full half only, on /dev/full
        const [stats] = yield* quietStderr(Effect.gen(function*() {
          for (let i = 1; i <= 500; i++) yield* Effect.logInfo("record", { i })
          yield* AsyncLogger.flush
          return yield* AsyncLogger.stats
        }).pipe(Effect.provide(logger("/dev/full"))))
        expect(stats).toMatchObject({ offered: 500, written: 0, failed: 500 })
        return
      }
      yield* Effect.addFinalizer(() => unmount(mount))
      const file = path.join(mount, "app.log")
      const filler = path.join(mount, "filler")
      // leave ~48 KiB free: a few hundred records fit
      const free = () => {
        const s = fs.statfsSync(mount)
        return s.bavail * s.bsize
      }
      fs.writeFileSync(filler, Buffer.alloc(free() - 48 * 1024))
      const PAD = "y".repeat(120)
      const [result, stderr] = yield* quietStderr(Effect.gen(function*() {
        let i = 0
        const slice = (n: number) =>
          Effect.gen(function*() {
            for (let k = 0; k < n; k++) yield* Effect.logInfo("record", { i: ++i, pad: PAD })
            yield* AsyncLogger.flush
          })
        yield* slice(2_000) // fills the disk: the later batches fail
        const full = yield* AsyncLogger.stats
        fs.rmSync(filler) // space freed mid-run
        yield* slice(2_000)
        return { full, final: yield* AsyncLogger.stats }
      }).pipe(Effect.provide(logger(file))))
      const { full, final } = result
      expect(full.failed).toBeGreaterThan(0)
      expect(full.written).toBeGreaterThan(0)
      expect(final).toMatchObject({ offered: 4_000, dropped: 0, pending: 0 })
      expect(final.written + final.failed).toBe(4_000)
      expect(final.written - full.written).toBe(2_000) // everything after the space came back
      expect(stderr).toContain("ENOSPC")
      const lines = readLines(file)
      const seqs = lines.map((l) => (JSON.parse(l) as { fields: { i: number } }).fields.i) // a torn line would throw
      expect(lines).toHaveLength(final.written)
      expect(new Set(seqs).size).toBe(seqs.length)
      expect(seqs.at(-1)).toBe(4_000)
      expect(fs.readFileSync(file, "utf8").endsWith("\n")).toBe(true)
    }).pipe(Effect.scoped), 60_000)

  it.live("ENOSPC with rotation on a real tmpfs: counts exact across rotated files, no duplicated line", () =>
    Effect.gen(function*() {
      const mount = mountTmpfs(512 * 1024)
      if (mount === undefined) return yield* Effect.dieMessage("this test needs root to mount a tmpfs (mount -t tmpfs)")
      yield* Effect.addFinalizer(() => unmount(mount))
      const file = path.join(mount, "app.log")
      const filler = path.join(mount, "filler")
      const s = fs.statfsSync(mount)
      fs.writeFileSync(filler, Buffer.alloc(s.bavail * s.bsize - 96 * 1024))
      const [stats] = yield* quietStderr(Effect.gen(function*() {
        for (let i = 1; i <= 3_000; i++) yield* Effect.logInfo("record", { i, pad: "z".repeat(100) })
        yield* AsyncLogger.flush
        fs.rmSync(filler)
        for (let i = 3_001; i <= 4_000; i++) yield* Effect.logInfo("record", { i, pad: "z".repeat(100) })
        yield* AsyncLogger.flush
        return yield* AsyncLogger.stats
      }).pipe(Effect.provide(logger(file, {}, { maxBytes: 32 * 1024 }))))
      expect(stats.failed).toBeGreaterThan(0)
      expect(stats.written + stats.failed).toBe(4_000)
      const seqs = fs.readdirSync(mount).filter((f) => f.startsWith("app.")).flatMap((f) =>
        readLines(path.join(mount, f)).map((l) => (JSON.parse(l) as { fields: { i: number } }).fields.i)
      )
      expect(seqs).toHaveLength(stats.written)
      expect(new Set(seqs).size).toBe(seqs.length)
    }).pipe(Effect.scoped), 60_000)

  it.live("gzip on a full disk: the file it could not compress stays whole and raw, no .tmp is left, the next file is compressed", () =>
    Effect.gen(function*() {
      const mount = mountTmpfs(1024 * 1024)
      if (mount === undefined) return yield* Effect.dieMessage("this test needs root to mount a tmpfs (mount -t tmpfs)")
      yield* Effect.addFinalizer(() => unmount(mount))
      const file = path.join(mount, "app.log")
      // random bytes do not compress: their .gz needs as much room again, and the disk has half of it
      const big = path.join(mount, "app.2026-11-30.1.log")
      const small = path.join(mount, "app.2026-11-30.2.log")
      const random = crypto.randomBytes(600 * 1024)
      fs.writeFileSync(big, random)
      fs.writeFileSync(small, "{\"seq\":1}\n".repeat(1_000))
      const s = fs.statfsSync(mount)
      fs.writeFileSync(path.join(mount, "filler"), Buffer.alloc(s.bavail * s.bsize - 300 * 1024))
      // the sink's start-up repair hands both rotated files to the compression thread
      const [, stderr] = yield* quietStderr(Effect.void.pipe(Effect.provide(logger(file, {}, { compress: "gzip" }))))
      const entries = fs.readdirSync(mount).sort()
      expect(entries).toEqual(["app.2026-11-30.1.log", "app.2026-11-30.2.log.gz", "app.log", "filler"])
      expect(fs.readFileSync(big).equals(random)).toBe(true)
      expect(zlib.gunzipSync(fs.readFileSync(`${small}.gz`)).toString()).toBe("{\"seq\":1}\n".repeat(1_000))
      expect(stderr.split("\n").filter((l) => l.includes("gzip of"))).toEqual([
        `logfiber: file(${file}): gzip of ${big} failed, the uncompressed file is kept: ENOSPC: no space left on device, write`
      ])
    }).pipe(Effect.scoped), 60_000)

  it("permission denied on the directory: the Layer fails with a SinkError naming the path", () => {
    const dir = tempDir()
    const locked = path.join(dir, "locked")
    fs.mkdirSync(locked, { mode: 0o500 })
    fs.chmodSync(dir, 0o755)
    fs.chmodSync(locked, 0o500)
    const file = path.join(locked, "app.log")
    // root ignores permissions: the child runs as nobody then
    const result = spawnSync(process.execPath, ["--import", "tsx", "test/fixtures/openFileSink.ts", file], {
      encoding: "utf8",
      ...(isRoot ? { uid: 65534, gid: 65534 } : {})
    })
    expect(result.stdout).toContain(`file(${file}): cannot open`)
    expect(result.stdout).toContain("EACCES")
    expect(result.status).toBe(3)
  })

  it.effect("the directory deleted while running is recreated on the next batch", () =>
    Effect.gen(function*() {
      const dir = path.join(tempDir(), "logs")
      const file = path.join(dir, "app.log")
      const stats = yield* Effect.gen(function*() {
        yield* Effect.logInfo("before")
        yield* AsyncLogger.flush
        fs.rmSync(dir, { recursive: true })
        yield* Effect.logInfo("after")
        yield* AsyncLogger.flush
        return yield* AsyncLogger.stats
      }).pipe(Effect.provide(logger(file)))
      expect(stats).toMatchObject({ offered: 2, written: 2, failed: 0 })
      expect(readLines(file).map((l) => JSON.parse(l).message)).toEqual(["after"])
    }))
})
