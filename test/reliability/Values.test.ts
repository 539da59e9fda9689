/**
 * Bounded work per record, for any value: 10,000 arbitrary values (heavy and hostile ones mixed
 * in) through the real logger into one file per format, and the caller's copy bound.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Runtime from "effect/Runtime"
import * as fc from "fast-check"
import * as path from "node:path"
import { AsyncLogger, FileSink, Format, LogSink, TestSink } from "../../src/index.js"
import { copyLimit } from "../../src/internal/normalize.js"
import { readLines, tempDir } from "../helpers.js"
import { anyCall, type Call, REDACT, SECRET_PREFIX } from "./hostile.js"

const formats = { json: Format.json, logfmt: Format.logfmt, pretty: Format.prettyWith({ colors: true }), pino: Format.pino }

/** The record bound of the run: small, so that most heavy values are cut. */
const MAX_RECORD_BYTES = 8_192

/**
 * Generous bound on one record's time, the log call plus its own flush (normalize, four formats,
 * four writes). Typical: well under a millisecond; the worst seen is the 1,000,000-key object,
 * whose key list V8 builds natively before the copy reads its first 4,160 keys (0.3 s on an
 * idle core, over a second on this shared machine).
 */
const PER_RECORD_MS = 10_000

const log = (call: Call): Effect.Effect<void> => {
  const hidden = { [call.key]: call.holder }
  switch (call.shape) {
    case "fields":
      return Effect.logInfo(call.message, { value: call.value, ...hidden })
    case "fields-object":
      return Effect.logWarning({ ...hidden, value: call.value })
    case "args":
      return Effect.logInfo(call.message, call.value, hidden)
    case "cause":
      return Effect.logError(call.message, hidden, Cause.isCause(call.value) ? call.value : Cause.die(call.value))
    case "annotations":
      return Effect.logInfo(call.message).pipe(Effect.annotateLogs({ value: call.value, ...hidden }))
  }
}

/** Every character a line-splitting tool may read as a line break. */
const LINE_BREAKS = /[\n\r\u0085\u2028\u2029]/

describe("reliability: values", () => {
  it.scoped("10,000 arbitrary values (100 MiB Buffers, 2^32-1 sparse arrays, 1M-key objects, hostile reads) in every format: one bounded line each, nothing redacted written", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const files = Object.keys(formats).map((name) => path.join(dir, `${name}.log`))
      const sinks = Object.values(formats).map((format, i) => FileSink.layer({ path: files[i]!, format }))
      // one logger for the whole run, open for the test's scope (its Logger is in the runtime's FiberRefs)
      const runtime = yield* Layer.toRuntime(
        AsyncLogger.layer({ redact: REDACT, maxRecordBytes: MAX_RECORD_BYTES }).pipe(Layer.provide(LogSink.fanOut(...sinks)))
      )
      const run = Runtime.runPromise(runtime)
      const times: Array<number> = []
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.array(anyCall, { minLength: 50, maxLength: 50 }), async (calls) => {
            for (const call of calls) {
              const start = performance.now()
              await run(Effect.zipRight(log(call), AsyncLogger.flush))
              times.push(performance.now() - start)
            }
            // the run resolves through microtasks only: let the worker's event loop answer vitest
            await new Promise((resolve) => setImmediate(resolve))
          }),
          { numRuns: 200, endOnFailure: true }
        )
      )
      const stats = yield* Effect.promise(() => run(AsyncLogger.stats))
      expect(stats).toMatchObject({ offered: 10_000, written: 10_000, dropped: 0, failed: 0 })
      // checked line by line without an expect per line (40,000 lines), then reported at once
      const problems: Array<string> = []
      for (const [i, file] of files.entries()) {
        const lines = readLines(file)
        expect(lines).toHaveLength(10_000)
        for (const [n, line] of lines.entries()) {
          const where = `${path.basename(file)}:${n + 1}`
          if (Buffer.byteLength(line) > MAX_RECORD_BYTES) problems.push(`${where}: ${Buffer.byteLength(line)} bytes`)
          if (line.includes(SECRET_PREFIX)) problems.push(`${where}: a secret`)
          if (LINE_BREAKS.test(line)) problems.push(`${where}: a line break`)
          if (i === 0 || i === 3) {
            try {
              JSON.parse(line) // json and pino lines are valid JSON
            } catch {
              problems.push(`${where}: invalid JSON`)
            }
          }
        }
      }
      expect(problems).toEqual([])
      times.sort((a, b) => a - b)
      expect(times[times.length - 1]).toBeLessThan(PER_RECORD_MS)
      console.log(
        `reliability: 10,000 records, per record (log + flush, 4 formats): median ${times[5_000]!.toFixed(2)} ms, ` +
          `p99 ${times[9_900]!.toFixed(2)} ms, max ${times[9_999]!.toFixed(0)} ms`
      )
    }), { timeout: 300_000 })

  it.effect("the caller's copy of a 200,000-key object reads at most copyLimit(maxRecordBytes) properties (counted through a Proxy)", () =>
    Effect.gen(function*() {
      const target: Record<string, number> = {}
      for (let i = 0; i < 200_000; i++) target["k" + i] = i
      const reads = { get: 0, descriptor: 0, ownKeys: 0 }
      const counted = new Proxy(target, {
        get(t, key) {
          reads.get++
          return Reflect.get(t, key)
        },
        getOwnPropertyDescriptor(t, key) {
          reads.descriptor++
          return Reflect.getOwnPropertyDescriptor(t, key)
        },
        ownKeys(t) {
          reads.ownKeys++
          return Reflect.ownKeys(t)
        }
      })
      const limit = copyLimit(65_536)
      expect(limit).toBe(4_160) // 64 KiB / 16 units per entry, plus room for markers
      yield* Effect.logInfo("big", counted)
      const atCall = { ...reads }
      expect(atCall.ownKeys).toBe(1)
      expect(atCall.get).toBeLessThanOrEqual(limit + 8)
      expect(atCall.descriptor).toBeLessThanOrEqual(limit + 8)
      yield* AsyncLogger.flush
      // the writer walks the copy, never the caller's object again
      expect(reads).toEqual(atCall)
      const [record] = yield* TestSink.records
      const line = Format.json(record!)
      expect(Buffer.byteLength(line)).toBeLessThanOrEqual(65_536)
      expect(JSON.parse(line).fields["…"]).toMatch(/more keys\]$/)
    }).pipe(Effect.provide(AsyncLogger.layer().pipe(Layer.provideMerge(TestSink.layer)))))

  it.effect("the heaviest shapes render with their markers: a Buffer in an Error in a Cause, a 2^32-1 sparse array, a 300,000-entry Map", () =>
    Effect.gen(function*() {
      const payload = Buffer.alloc(100 * 1024 * 1024, 1)
      const sparse: Array<unknown> = []
      sparse.length = 2 ** 32 - 1
      const map = new Map<string, number>()
      for (let i = 0; i < 300_000; i++) map.set("k" + i, i)
      yield* Effect.logError("failed", Cause.fail(Object.assign(new Error("carries a buffer"), { payload })))
      yield* Effect.logInfo("sparse", { sparse })
      yield* Effect.logInfo("map", { map })
      yield* AsyncLogger.flush
      const records = yield* TestSink.records
      const [cause, sparseLine, mapLine] = records.map((r) => Object.values(formats).map((format) => format(r)))
      for (const line of [...cause!, ...sparseLine!, ...mapLine!]) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(16_384)
      expect(JSON.parse(cause![0]!).cause).toMatch(/^Error: carries a buffer \{"payload":\[1,1,1,.*"…\[\d+ more items\]"\]\}/)
      expect(JSON.parse(sparseLine![0]!).fields.sparse.at(-1)).toMatch(/^…\[42949\d{5} more items\]$/)
      const shown = JSON.parse(mapLine![0]!).fields.map
      expect(shown.k0).toBe(0)
      expect(shown["…"]).toBe(`[${300_000 - (Object.keys(shown).length - 1)} more keys]`)
    }).pipe(Effect.provide(AsyncLogger.layer({ maxRecordBytes: 16_384 }).pipe(Layer.provideMerge(TestSink.layer)))))
})
