/**
 * Quick start: log from many fibers into ./logs/quickstart.log, print the stats, exit cleanly.
 * Run with `npm run demo`.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Layer } from "effect"
import * as fs from "node:fs"
import { AsyncLogger, FileSink, Format } from "../src/index.js"

const path = "logs/quickstart.log"
const fibers = 100
const perFiber = 1_000

// a fresh file per run, so the line count below is this run's
fs.rmSync(path, { force: true })

const LogLive = AsyncLogger.layer({ capacity: 10_000, batchSize: 512, batchWindow: "100 millis" }).pipe(
  Layer.provide(FileSink.layer({ path, format: Format.json }))
)

const worker = (id: number) =>
  Effect.forEach(
    Array.from({ length: perFiber }, (_, i) => i),
    (i) => Effect.logInfo("request handled", { worker: id, i, path: `/api/items/${i}` }),
    { discard: true }
  ).pipe(Effect.annotateLogs("service", "quickstart"), Effect.withLogSpan("worker"))

const program = Effect.gen(function*() {
  const started = performance.now()
  yield* Effect.logInfo("starting", { fibers, perFiber })
  yield* Effect.forEach(Array.from({ length: fibers }, (_, id) => id), worker, { concurrency: "unbounded", discard: true })
  yield* Effect.logWarning("all workers done")
  yield* AsyncLogger.flush
  const stats = yield* AsyncLogger.stats
  const elapsed = performance.now() - started
  const lines = fs.readFileSync(path, "utf8").split("\n").length - 1
  yield* Console.log(
    `logged ${stats.offered} records from ${fibers} fibers in ${elapsed.toFixed(0)} ms ` +
      `(${Math.round(stats.offered / (elapsed / 1000)).toLocaleString("en-US")} records/s)`
  )
  yield* Console.log(`stats: ${JSON.stringify(stats)}`)
  yield* Console.log(`${path}: ${lines} lines; last line:`)
  yield* Console.log(fs.readFileSync(path, "utf8").trimEnd().split("\n").at(-1))
})

program.pipe(Effect.provide(LogLive), NodeRuntime.runMain)
