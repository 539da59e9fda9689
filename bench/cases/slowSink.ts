/**
 * Slow sink: every write takes 1.5 s (a network drive). An application loop of "requests"
 * (a little CPU work and one log call each) runs for a fixed time three ways, in one process:
 *   none  no log call at all
 *   fast  logfiber + FileSink (the normal case)
 *   slow  logfiber + a sink whose every write sleeps 1.5 s
 * Reports requests/s and caller cost of each, and for `slow` that drops appear only past capacity
 * (dropped <= offered - capacity) with exact accounting once the scope has closed.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { AsyncLogger, FileSink, Format, LogSink } from "../../src/index.js"
import { fields, MESSAGE, report, SAMPLE_MASK, Sampler, secondsSince, tempFile, type CallerCost } from "../lib.js"

const SECONDS = Number(process.env.BENCH_SLOW_SECONDS ?? 3)
const CAPACITY = 10_000
const file = tempFile()

const slowSink = Layer.succeed(
  LogSink.LogSink,
  LogSink.make({ name: "slow", write: () => Effect.sleep("1500 millis") })
)
const fileSink = FileSink.layer({ path: file, format: Format.json })

// a request: a little CPU work, then (maybe) one log call
let sink = 0
const work = (i: number): number => {
  let h = i
  for (let k = 0; k < 50; k++) h = (h * 31 + k) | 0
  return h
}

const appLoop = (sampler: Sampler, withLog: boolean) =>
  Effect.gen(function*() {
    const deadline = performance.now() + SECONDS * 1000
    let i = 0
    while (true) {
      // check the clock every 256 requests
      if ((i & 255) === 0 && performance.now() >= deadline) break
      sink ^= work(i)
      if ((i & SAMPLE_MASK) === 0) {
        const t = process.hrtime.bigint()
        if (withLog) yield* Effect.logInfo(MESSAGE, fields(i))
        else yield* Effect.void
        sampler.record(t)
      } else if (withLog) {
        yield* Effect.logInfo(MESSAGE, fields(i))
      } else {
        yield* Effect.void
      }
      i++
    }
    return i
  })

interface Variant {
  readonly requests: number
  readonly requestsPerSec: number
  readonly caller: CallerCost
  readonly stats?: AsyncLogger.Stats
}

const runVariant = async (mode: "none" | "fast" | "slow"): Promise<Variant> => {
  const sampler = new Sampler(SECONDS * 5_000_000)
  const start = process.hrtime.bigint()
  if (mode === "none") {
    const requests = await Effect.runPromise(appLoop(sampler, false))
    return { requests, requestsPerSec: requests / secondsSince(start), caller: sampler.summary() }
  }
  const layer = AsyncLogger.layer({ capacity: CAPACITY, shutdownTimeout: "2 seconds" }).pipe(
    Layer.provide(mode === "slow" ? slowSink : fileSink)
  )
  let loopSeconds = 0
  const [requests, service] = await Effect.runPromise(
    Effect.provide(
      Effect.gen(function*() {
        const n = yield* appLoop(sampler, true)
        loopSeconds = secondsSince(start)
        return [n, yield* AsyncLogger.AsyncLogger] as const
      }),
      layer
    )
  )
  const stats = await Effect.runPromise(service.stats)
  return { requests, requestsPerSec: requests / loopSeconds, caller: sampler.summary(), stats }
}

const run = async () => {
  const none = await runVariant("none")
  const fast = await runVariant("fast")
  const start = process.hrtime.bigint()
  const slow = await runVariant("slow")
  const seconds = secondsSince(start)
  const stats = slow.stats!
  report({
    id: "slow-sink",
    records: stats.offered,
    seconds,
    caller: slow.caller,
    lines: 0,
    offered: stats.offered,
    written: stats.written,
    dropped: stats.dropped,
    failed: stats.failed,
    fallback: stats.fallback,
    extra: {
      capacity: CAPACITY,
      dropsOnlyPastCapacity: stats.dropped <= stats.offered - CAPACITY,
      accountingExact: stats.offered === stats.written + stats.dropped + stats.failed + stats.fallback,
      requestsPerSec: { none: none.requestsPerSec, fast: fast.requestsPerSec, slow: slow.requestsPerSec },
      caller: { none: none.caller, fast: fast.caller, slow: slow.caller },
      fastStats: fast.stats,
      sink
    }
  })
}

run().catch((error) => {
  console.error(error)
  process.exit(1)
})
