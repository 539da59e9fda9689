// Are queued objects still young when the sink gets them? 1M x Effect.logInfo(msg, fields) into a
// sink that checks the last record of each batch, and the caller's fields object in it, with V8's
// %InYoungGeneration. Objects that V8 pretenures (allocates straight into old space) show up as old.
// Run: node --allow-natives-syntax --import tsx bench/micro/youngRecords.ts
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { AsyncLogger, LogSink } from "../../src/index.js"
import { fields, MESSAGE } from "../lib.js"

// natives syntax is not TypeScript: compiled by V8 at run time (needs --allow-natives-syntax)
const inYoungGeneration = new Function("o", "return %InYoungGeneration(o)") as (o: unknown) => boolean

let batches = 0
let youngRecords = 0
let youngFields = 0
const probe = LogSink.make({
  name: "probe",
  write: (batch) =>
    Effect.sync(() => {
      const last = batch[batch.length - 1]!
      batches++
      if (inYoungGeneration(last)) youngRecords++
      if (inYoungGeneration(last.fields)) youngFields++
    })
})

const records = Number(process.env.BENCH_RECORDS ?? 1_000_000)
const loop = Effect.gen(function*() {
  for (let i = 0; i < records; i++) yield* Effect.logInfo(MESSAGE, fields(i))
})
await Effect.runPromise(
  Effect.provide(loop, Layer.discard(AsyncLogger.layer({ capacity: 65_536 }).pipe(Layer.provide(Layer.succeed(LogSink.LogSink, probe)))))
)
const percent = (n: number) => `${((n / batches) * 100).toFixed(1)} %`
console.log(`${batches} batches: last record young in ${percent(youngRecords)}, its fields young in ${percent(youngFields)}`)
