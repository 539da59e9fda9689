// Where does the caller's p99 come from? 1M x Effect.logInfo(msg, fields) in one loop, every 16th
// call timed as in the suite, with: Effect's own no-op logger ("noop"), logfiber with a sink that
// writes nothing ("null"), logfiber + FileSink ("file"). Reports the percentiles, how many sampled
// calls took over 8 us and how many of those fell in the first 50k records (JIT warm-up), and the
// p99 of the samples after them. Compare V8's allocation-site pretenuring on and off:
//   npx tsx bench/micro/callerTail.ts file
//   node --no-allocation-site-pretenuring --import tsx bench/micro/callerTail.ts file
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import { AsyncLogger, FileSink, Format, LogSink } from "../../src/index.js"
import { fields, MESSAGE, SAMPLE_MASK, tempFile } from "../lib.js"

const variant = process.argv[2] ?? "file"
const records = Number(process.env.BENCH_RECORDS ?? 1_000_000)
const WARMUP = 50_000
const SLOW_NS = 8_000

const samples = new Float64Array(Math.ceil(records / (SAMPLE_MASK + 1)))
const sampledAt = new Int32Array(samples.length)
let count = 0

const loop = Effect.gen(function*() {
  for (let i = 0; i < records; i++) {
    if ((i & SAMPLE_MASK) === 0) {
      const start = process.hrtime.bigint()
      yield* Effect.logInfo(MESSAGE, fields(i))
      samples[count] = Number(process.hrtime.bigint() - start)
      sampledAt[count++] = i
    } else {
      yield* Effect.logInfo(MESSAGE, fields(i))
    }
  }
})

const asyncLogger = (sink: Layer.Layer<LogSink.LogSink, LogSink.SinkError>): Layer.Layer<never> =>
  Layer.discard(AsyncLogger.layer({ capacity: 65_536 }).pipe(Layer.provide(sink), Layer.orDie))

const layer: Layer.Layer<never> = variant === "noop"
  ? Logger.replace(Logger.defaultLogger, Logger.make(() => {}))
  : variant === "null"
  ? asyncLogger(Layer.succeed(LogSink.LogSink, LogSink.make({ name: "null", write: () => Effect.void })))
  : asyncLogger(FileSink.layer({ path: tempFile(), format: Format.json }))

const started = performance.now()
await Effect.runPromise(Effect.provide(loop, layer))
const seconds = (performance.now() - started) / 1000

const quantile = (values: Float64Array, q: number): string =>
  (values[Math.min(values.length - 1, Math.floor(q * values.length))]! / 1000).toFixed(1)
const all = samples.slice(0, count).sort()
const steady = Float64Array.from(samples.slice(0, count).filter((_, k) => sampledAt[k]! >= WARMUP)).sort()
let slow = 0
let slowInWarmup = 0
for (let k = 0; k < count; k++) {
  if (samples[k]! > SLOW_NS) {
    slow++
    if (sampledAt[k]! < WARMUP) slowInWarmup++
  }
}
console.log(
  `${variant}: ${Math.round(records / seconds).toLocaleString("en-US")} records/s; caller p50 ${quantile(all, 0.5)}` +
    ` p99 ${quantile(all, 0.99)} p99.9 ${quantile(all, 0.999)} us; ${slow} of ${count} samples over 8 us,` +
    ` ${slowInWarmup} of them in the first ${WARMUP.toLocaleString("en-US")} records; p99 after those ${quantile(steady, 0.99)} us`
)
