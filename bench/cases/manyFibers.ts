/**
 * A burst from many fibers: 500 fibers, each logging BENCH_RECORDS / 500 records (2,000 by
 * default) in a tight loop, every 1,000th an Error, all started at once.
 * Usage: `node --import tsx bench/cases/manyFibers.ts <id>` with id (bench/suite.ts)
 *   many-none           the same loop with no logger at all (Effect.log* with an empty logger set)
 *   many-logfiber       logfiber, default options but `capacity: 1_000`, into a sink that does nothing
 *   many-logfiber-file  the same into a FileSink (Format.json)
 *   many-effect         Effect's default format to a file: `PlatformLogger.toFile(Logger.logfmtLogger)`
 *   many-pino           pino with `destination({ sync: false })`, from 500 async functions that
 *                       await a microtask after each call (the nearest thing to 500 fibers taking turns)
 * End to end = until every caller is done and the logger is closed (file closed for the file
 * variants). Peak RSS is the process's own maxRSS.
 */
import { PlatformLogger } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import { once } from "node:events"
import { pino } from "pino"
import { AsyncLogger, FileSink, Format, LogSink } from "../../src/index.js"
import { caseId, countLines, fields, logfiberCounts, MESSAGE, RECORDS, report, SAMPLE_MASK, Sampler, secondsSince, tempFile } from "../lib.js"

export const FIBERS = 500
export const CAPACITY = 1_000
const ERROR_EVERY = 1_000

const id = caseId("many-logfiber")
const perFiber = Math.floor(RECORDS / FIBERS)
const records = FIBERS * perFiber
const file = tempFile()
const failure = new Error("upstream timed out")

const logOne = (i: number): Effect.Effect<void> =>
  i % ERROR_EVERY === ERROR_EVERY - 1
    ? Effect.logError(MESSAGE, fields(i), failure)
    : Effect.logInfo(MESSAGE, fields(i))

/** One fiber's loop: `perFiber` log calls, every 16th timed. */
const fiberLoop = (f: number, sampler: Sampler) =>
  Effect.gen(function*() {
    for (let i = f * perFiber; i < (f + 1) * perFiber; i++) {
      if ((i & SAMPLE_MASK) === 0) {
        const start = process.hrtime.bigint()
        yield* logOne(i)
        sampler.record(start)
      } else {
        yield* logOne(i)
      }
    }
  })

const allFibers = (sampler: Sampler) =>
  Effect.forEach(
    Array.from({ length: FIBERS }, (_, f) => f),
    (f) => fiberLoop(f, sampler),
    { concurrency: "unbounded", discard: true }
  )

const nullSink = Layer.succeed(LogSink.LogSink, LogSink.make({ name: "null", write: () => Effect.void }))

const runLogfiber = async (sampler: Sampler, toFile: boolean) => {
  const sink = toFile ? FileSink.layer({ path: file, format: Format.json }) : nullSink
  const start = process.hrtime.bigint()
  const service = await Effect.runPromise(
    Effect.provide(
      Effect.zipLeft(AsyncLogger.AsyncLogger, allFibers(sampler)),
      AsyncLogger.layer({ capacity: CAPACITY }).pipe(Layer.provide(sink))
    )
  )
  const seconds = secondsSince(start)
  const stats = await Effect.runPromise(service.stats)
  report({
    id,
    records,
    seconds,
    caller: sampler.summary(),
    lines: countLines(file),
    ...logfiberCounts(stats),
    extra: { pending: stats.pending, batches: stats.batches, capacity: CAPACITY, fibers: FIBERS }
  })
}

const runEffect = async (sampler: Sampler, withLogger: boolean) => {
  const layer: Layer.Layer<never> = withLogger
    ? Logger.replaceScoped(Logger.defaultLogger, PlatformLogger.toFile(Logger.logfmtLogger, file)).pipe(
      Layer.provide(NodeFileSystem.layer),
      Layer.orDie
    )
    : Logger.remove(Logger.defaultLogger)
  const start = process.hrtime.bigint()
  await Effect.runPromise(Effect.provide(allFibers(sampler), layer))
  const seconds = secondsSince(start)
  const lines = countLines(file)
  report({
    id,
    records,
    seconds,
    caller: sampler.summary(),
    lines,
    // with no logger nothing is offered to one
    ...lineCounts(withLogger ? records : 0, withLogger ? lines : 0),
    extra: { fibers: FIBERS }
  })
}

/** A peer without stats: what reached the file is written, the rest dropped. */
const lineCounts = (offered: number, lines: number) => ({ offered, written: lines, dropped: offered - lines, failed: 0, fallback: 0 })

const runPino = async (sampler: Sampler) => {
  const destination = pino.destination({ dest: file, sync: false })
  const logger = pino(destination)
  const caller = async (f: number): Promise<void> => {
    for (let i = f * perFiber; i < (f + 1) * perFiber; i++) {
      const timed = (i & SAMPLE_MASK) === 0
      const t = timed ? process.hrtime.bigint() : 0n
      if (i % ERROR_EVERY === ERROR_EVERY - 1) logger.error({ ...fields(i), err: failure }, MESSAGE)
      else logger.info(fields(i), MESSAGE)
      if (timed) sampler.record(t)
      await undefined
    }
  }
  const start = process.hrtime.bigint()
  await Promise.all(Array.from({ length: FIBERS }, (_, f) => caller(f)))
  destination.end()
  await once(destination, "close")
  const seconds = secondsSince(start)
  const lines = countLines(file)
  report({
    id,
    records,
    seconds,
    caller: sampler.summary(),
    lines,
    ...lineCounts(records, lines),
    extra: { fibers: FIBERS }
  })
}

const run = async () => {
  const sampler = new Sampler(records)
  switch (id) {
    case "many-none":
      return runEffect(sampler, false)
    case "many-effect":
      return runEffect(sampler, true)
    case "many-logfiber":
      return runLogfiber(sampler, false)
    case "many-logfiber-file":
      return runLogfiber(sampler, true)
    case "many-pino":
      return runPino(sampler)
    default:
      throw new Error(`manyFibers.ts: unknown case ${id}`)
  }
}

run().catch((error) => {
  console.error(error)
  process.exit(1)
})
