// What per-component levels and sampling cost the caller. Self-contained (no bench/lib import).
//   burst    1M x Effect.logInfo(msg, fields) from component "http", end to end (until the
//            Layer's scope has closed) to a sink that discards, capacity 65,536: plain options
//            against component levels + sampling configured that keep every record
//            (levels { http: "Debug", db: "Warning" }, sample { http: 1, db: 0.1, "*": 1 }).
//   filtered 1M x Effect.logDebug from component "http", every one discarded: by the plain level
//            check (minimumLevel Info) against by the component level (levels { http: "Info" }).
// Variants run interleaved in one process (the order reversed every other round), ROUNDS times
// each; the medians of CPU time (user + system, steadier than wall time on a shared machine)
// are reported.
// Usage: npx tsx bench/micro/components.ts   (BENCH_RECORDS, BENCH_ROUNDS to change the sizes)
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { AsyncLogger, LogSink } from "../../src/index.js"

const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7)

const NullSink = Layer.succeed(LogSink.LogSink, LogSink.make({ name: "null", write: () => Effect.void }))
const layer = (options: AsyncLogger.Options) => AsyncLogger.layer(options).pipe(Layer.provide(NullSink))

const burst = Effect.gen(function*() {
  for (let i = 0; i < RECORDS; i++) yield* Effect.logInfo("request handled", { n: i, s: "short", path: "/api/items/42" })
}).pipe(AsyncLogger.component("http"))

const filtered = Effect.gen(function*() {
  for (let i = 0; i < RECORDS; i++) yield* Effect.logDebug("hidden", { n: i })
}).pipe(AsyncLogger.component("http"))

const components: AsyncLogger.Options = {
  levels: { http: "Debug", db: "Warning" },
  sample: { http: 1, db: 0.1, "*": 1 }
}

const cases: Array<{ name: string; body: Effect.Effect<void>; options: AsyncLogger.Options }> = [
  { name: "burst, plain", body: burst, options: {} },
  { name: "burst, levels + sampling (all kept)", body: burst, options: components },
  { name: "filtered by minimumLevel", body: filtered, options: {} },
  { name: "filtered by a component level", body: filtered, options: { levels: { http: "Info" } } }
]
const runs = cases.map((c) => ({ ...c, ms: [] as Array<number> }))

for (let round = 0; round < ROUNDS; round++) {
  for (const c of round % 2 === 0 ? runs : [...runs].reverse()) {
    const started = process.cpuUsage()
    const stats = await Effect.runPromise(
      Effect.zipRight(c.body, AsyncLogger.stats).pipe(Effect.provide(layer({ capacity: 65_536, ...c.options })))
    )
    const used = process.cpuUsage(started)
    c.ms.push((used.user + used.system) / 1000)
    if (c.body === burst && (stats.offered !== RECORDS || stats.sampled !== 0)) {
      throw new Error(`${c.name}: expected ${RECORDS} offered and none sampled, got ${JSON.stringify(stats)}`)
    }
  }
}

const median = (values: Array<number>): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
for (const [plain, configured] of [[runs[0]!, runs[1]!], [runs[2]!, runs[3]!]] as const) {
  const a = median(plain.ms)
  const b = median(configured.ms)
  console.log(`${plain.name.padEnd(40)} ${a.toFixed(0).padStart(6)} ms CPU  (${(a * 1e6 / RECORDS).toFixed(0)} ns/record)`)
  console.log(
    `${configured.name.padEnd(40)} ${b.toFixed(0).padStart(6)} ms CPU  (${(b * 1e6 / RECORDS).toFixed(0)} ns/record)  ` +
      `${((b / a - 1) * 100).toFixed(1)} %`
  )
}

// The decision alone, without Effect around it: 10M calls of the plain level check against the
// component rule lookup + level check + admit (same annotations map, as in a run of log calls).
{
  const { Components } = await import("../../src/internal/components.js")
  const HashMap = await import("effect/HashMap")
  const LogLevel = await import("effect/LogLevel")
  const N = 10_000_000
  const annotations = HashMap.make(["component", "http"], ["requestId", "abc"])
  const components = new Components({
    componentKey: "component",
    minimumLevel: LogLevel.Info,
    levels: new Map([["http", LogLevel.Debug], ["db", LogLevel.Warning]]),
    sample: new Map([["http", 1], ["db", 0.1], ["*", 1]]),
    rateLimit: new Map()
  }, 42)
  const date = new Date()
  const info = LogLevel.Info.ordinal
  const timeIt = (f: () => number) => {
    const best: Array<number> = []
    for (let r = 0; r < ROUNDS; r++) {
      const started = process.hrtime.bigint()
      const kept = f()
      best.push(Number(process.hrtime.bigint() - started) / N)
      if (kept !== N) throw new Error("every record should be kept")
    }
    return median(best)
  }
  const plain = timeIt(() => {
    let kept = 0
    for (let i = 0; i < N; i++) if (info >= LogLevel.Info.ordinal) kept++
    return kept
  })
  const rule = timeIt(() => {
    let kept = 0
    for (let i = 0; i < N; i++) {
      const r = components.ruleFor(annotations)
      if (info >= r.minimumOrdinal && components.admit(r, info, date)) kept++
    }
    return kept
  })
  console.log(`decision: plain level check ${plain.toFixed(2)} ns, component rule + admit ${rule.toFixed(2)} ns per record`)
}
