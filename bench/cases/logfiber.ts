/**
 * logfiber cases. Usage: `node --import tsx bench/cases/logfiber.ts <id>` with id (bench/suite.ts)
 *   logfiber             RECORDS x Effect.logInfo(msg, fields), one tight producer loop, capacity 65,536
 *   logfiber-annotate    the same with Effect.annotateLogs(fields) for the fields
 *   logfiber-quarter     the same as `logfiber`; run with BENCH_RECORDS a quarter of the burst's
 *   logfiber-rotate      the same, FileSink rotating: { maxBytes: 10 MiB, compress: "gzip" } (about 14
 *                        rotations; BENCH_ROTATE_COMPRESS=0: rotation alone, to tell its cost from gzip's)
 *   logfiber-concurrent  500 fibers x RECORDS / 500 records
 *   logfiber-sustained   a fixed 50,000 records/s for 10 s (default options: capacity 10,000)
 * End to end = until the Layer's scope has closed (queue drained, last batch written, file closed,
 * compressions of rotated files done).
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { AsyncLogger, FileSink, Format } from "../../src/index.js"
import {
  caseId,
  countLines,
  fields,
  logfiberCounts,
  MESSAGE,
  peakRssMiB,
  RECORDS,
  report,
  SAMPLE_MASK,
  Sampler,
  secondsSince,
  tempFile
} from "../lib.js"

const id = caseId("logfiber")
const file = tempFile()
const dir = path.dirname(file)

const layer = (options: AsyncLogger.Options, rotate: FileSink.Rotate | undefined) =>
  AsyncLogger.layer(options).pipe(Layer.provide(FileSink.layer({ path: file, format: Format.json, rotate })))

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

const logFields = (i: number) => Effect.logInfo(MESSAGE, fields(i))
const logAnnotated = (i: number) => Effect.annotateLogs(Effect.logInfo(MESSAGE), fields(i))

/** A tight loop of `count` log calls, every 16th one timed. */
const burst = (count: number, offset: number, sampler: Sampler, log: (i: number) => Effect.Effect<void>) =>
  Effect.gen(function*() {
    for (let i = offset; i < offset + count; i++) {
      if ((i & SAMPLE_MASK) === 0) {
        const start = process.hrtime.bigint()
        yield* log(i)
        sampler.record(start)
      } else {
        yield* log(i)
      }
    }
  })

/** `rate` records/s for `seconds`, in 10 ms ticks; each tick's records in one loop. */
const paced = (rate: number, seconds: number, sampler: Sampler) =>
  Effect.gen(function*() {
    const perTick = rate / 100
    const ticks = seconds * 100
    const start = performance.now()
    let i = 0
    for (let tick = 0; tick < ticks; tick++) {
      yield* burst(perTick, i, sampler, logFields)
      i += perTick
      const next = start + (tick + 1) * 10
      const wait = next - performance.now()
      if (wait > 0) yield* Effect.sleep(wait)
    }
  })

/** What a case runs: how many records, with which options, and the producer. */
interface Body {
  readonly records: number
  readonly options: AsyncLogger.Options
  readonly body: (sampler: Sampler) => Effect.Effect<void>
  /** FileSink's rotation (`logfiber-rotate`); none for the others. */
  readonly rotate?: FileSink.Rotate
}

const burstOptions: AsyncLogger.Options = { capacity: 65_536, yieldOnPressure: process.env.BENCH_YIELD_ON_PRESSURE !== "0" }

const fieldsBurst = (): Body => ({ records: RECORDS, options: burstOptions, body: (sampler) => burst(RECORDS, 0, sampler, logFields) })

/** The cases of this file, by id. */
const bodies: Record<string, () => Body> = {
  logfiber: fieldsBurst,
  "logfiber-quarter": fieldsBurst, // bench/suite.ts runs it with a quarter of BENCH_RECORDS
  "logfiber-rotate": () => ({
    ...fieldsBurst(),
    rotate: { maxBytes: 10 * 1024 * 1024, compress: process.env.BENCH_ROTATE_COMPRESS === "0" ? undefined : "gzip" }
  }),
  // component levels and sampling configured, every record kept (no component matches a rule
  // that drops): what the decision costs a log call
  "logfiber-components": () => ({
    records: RECORDS,
    options: { ...burstOptions, levels: { db: "Warning", http: "Debug" }, sample: { http: 0.1, "*": 1 } },
    body: (sampler) => burst(RECORDS, 0, sampler, logFields)
  }),
  "logfiber-annotate": () => ({ records: RECORDS, options: burstOptions, body: (sampler) => burst(RECORDS, 0, sampler, logAnnotated) }),
  "logfiber-concurrent": () => {
    const fibers = 500
    const perFiber = Math.floor(RECORDS / fibers)
    return {
      records: fibers * perFiber,
      options: burstOptions,
      body: (sampler) =>
        Effect.forEach(
          Array.from({ length: fibers }, (_, f) => f),
          (f) => burst(perFiber, f * perFiber, sampler, logFields),
          { concurrency: "unbounded", discard: true }
        )
    }
  },
  "logfiber-sustained": () => {
    const seconds = Number(process.env.BENCH_SUSTAINED_SECONDS ?? 10)
    return { records: 50_000 * seconds, options: {}, body: (sampler) => paced(50_000, seconds, sampler) }
  }
}

const run = async () => {
  const make = bodies[id]
  if (make === undefined) throw new Error(`logfiber.ts: unknown case ${id}`)
  const { body, options, records, rotate } = make()
  const sampler = new Sampler(records)
  const start = process.hrtime.bigint()
  const program = Effect.gen(function*() {
    const service = yield* AsyncLogger.AsyncLogger
    yield* body(sampler)
    return service
  })
  const service = await Effect.runPromise(Effect.provide(program, layer(options, rotate)))
  const seconds = secondsSince(start)
  const stats = await Effect.runPromise(service.stats)
  // before the lines are counted: decompressing rotated files to count them is not the case's memory
  const peak = peakRssMiB()
  const files = fs.readdirSync(dir)
  report({
    id,
    records,
    seconds,
    caller: sampler.summary(),
    peakRssMiB: peak,
    lines: rotate === undefined ? countLines(file) : linesInDir(),
    ...logfiberCounts(stats),
    extra: {
      pending: stats.pending,
      batches: stats.batches,
      capacity: options.capacity ?? 10_000,
      ...(rotate === undefined ? {} : { files: files.length, gz: files.filter((f) => f.endsWith(".gz")).length })
    }
  })
}

run().catch((error) => {
  console.error(error)
  process.exit(1)
})
