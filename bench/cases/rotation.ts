/**
 * The 1M burst of `logfiber.ts fields` with `FileSink` rotating: `rotate: { maxBytes: 10 MiB,
 * compress: "gzip" }` (about 14 rotations, each file compressed in the background). End to end
 * = until the Layer's scope has closed, compressions in flight included. Target: within 10 % of
 * the same burst without rotation (`logfiber`).
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { AsyncLogger, FileSink, Format } from "../../src/index.js"
import { caseId, countLines, fields, logfiberCounts, MESSAGE, peakRssMiB, RECORDS, report, SAMPLE_MASK, Sampler, secondsSince, tempFile } from "../lib.js"

const file = tempFile()
const dir = path.dirname(file)

const layer = AsyncLogger.layer({ capacity: 65_536 }).pipe(
  Layer.provide(FileSink.layer({ path: file, format: Format.json, rotate: {
    maxBytes: 10 * 1024 * 1024,
    // BENCH_ROTATE_COMPRESS=0: rotation alone (to tell its cost from the compression's)
    compress: process.env.BENCH_ROTATE_COMPRESS === "0" ? undefined : "gzip"
  } }))
)

/** Lines in the active file and every rotated one (decompressed). */
const linesInDir = (): number => {
  let lines = 0
  for (const entry of fs.readdirSync(dir)) {
    const full = path.join(dir, entry)
    if (!entry.endsWith(".gz")) lines += countLines(full)
    else {
      const text = zlib.gunzipSync(fs.readFileSync(full))
      for (let i = text.indexOf(10); i !== -1; i = text.indexOf(10, i + 1)) lines++
    }
  }
  return lines
}

const run = async () => {
  const sampler = new Sampler(RECORDS)
  const start = process.hrtime.bigint()
  const program = Effect.gen(function*() {
    const service = yield* AsyncLogger.AsyncLogger
    for (let i = 0; i < RECORDS; i++) {
      if ((i & SAMPLE_MASK) === 0) {
        const t = process.hrtime.bigint()
        yield* Effect.logInfo(MESSAGE, fields(i))
        sampler.record(t)
      } else {
        yield* Effect.logInfo(MESSAGE, fields(i))
      }
    }
    return service
  })
  const service = await Effect.runPromise(Effect.provide(program, layer))
  const seconds = secondsSince(start)
  const stats = await Effect.runPromise(service.stats)
  // before the lines are counted: decompressing to count them is not the case's memory
  const peak = peakRssMiB()
  const files = fs.readdirSync(dir)
  report({
    id: caseId("logfiber-rotate"),
    records: RECORDS,
    seconds,
    caller: sampler.summary(),
    peakRssMiB: peak,
    lines: linesInDir(),
    ...logfiberCounts(stats),
    extra: { pending: stats.pending, batches: stats.batches, files: files.length, gz: files.filter((f) => f.endsWith(".gz")).length }
  })
}

run().catch((error) => {
  console.error(error)
  process.exit(1)
})
