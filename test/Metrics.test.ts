import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { AsyncLogger, LogSink, Metrics, Monitor, TestSink } from "../src/index.js"
import { tempDir } from "./helpers.js"

/** `promtool check metrics` on `text`; fails naming the package when promtool is missing. */
const promtoolCheck = (text: string): { status: number; output: string } => {
  const which = spawnSync("sh", ["-c", "command -v promtool"], { encoding: "utf8" })
  if (which.status !== 0) {
    throw new Error("promtool is missing: install the Debian package `prometheus` (scripts/setup-system.sh does)")
  }
  const file = path.join(tempDir("logfiber-prom-"), "metrics.txt")
  fs.writeFileSync(file, text)
  const result = spawnSync("sh", ["-c", `promtool check metrics < "${file}"`], { encoding: "utf8" })
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` }
}

const scrape = (url: string) =>
  Effect.promise(async () => {
    const response = await fetch(url)
    return { status: response.status, type: response.headers.get("content-type"), text: await response.text() }
  })

/** The value of the sample line that starts with `series ` (exact name and labels). */
const valueOf = (text: string, series: string): number | undefined => {
  const line = text.split("\n").find((l) => l.startsWith(series + " "))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

const LogLive = AsyncLogger.layer({ batchWindow: "5 millis" }).pipe(Layer.provideMerge(TestSink.layer))
const ServerLive = Metrics.layerPrometheus({ port: 0, host: "127.0.0.1" })

describe("Metrics", () => {
  describe("layerPrometheus", () => {
    it.live("serves exact counts of a known workload over HTTP, in a text promtool accepts", () =>
      Effect.gen(function*() {
        const { url } = yield* Metrics.PrometheusEndpoint
        expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
        const before = (yield* scrape(url)).text
        const offeredBefore = valueOf(before, "logfiber_records_offered_total") ?? 0
        const writtenBefore = valueOf(before, "logfiber_records_written_total") ?? 0

        // the workload: 1,000 records offered, 5 below the level (not offered), the user's metrics
        yield* Effect.forEach(Array.from({ length: 1000 }, (_, i) => i), (i) => Effect.logInfo("req", { i }), {
          discard: true
        })
        yield* Effect.forEach([1, 2, 3, 4, 5], () => Effect.logDebug("hidden"), { discard: true })
        const requests = Metric.counter("app_requests", { description: "Requests served" }).pipe(
          Metric.tagged("route", "/a \"b\"\\c\nd")
        )
        yield* Effect.forEach([1, 2, 3, 4, 5, 6, 7], () => Metric.increment(requests), { discard: true })
        yield* Metric.set(Metric.gauge("app.temperature"), 21.5)
        const latency = Metric.histogram("app_latency_seconds", MetricBoundaries.linear({ start: 1, width: 1, count: 4 }))
        yield* Effect.forEach([0.5, 1.5, 2.5, 10], (v) => Metric.update(latency, v), { discard: true })
        const size = Metric.summary({
          name: "app_payload_bytes",
          maxAge: "1 hour",
          maxSize: 100,
          error: 0.01,
          quantiles: [0.5, 0.99]
        })
        yield* Effect.forEach([10, 20, 30], (v) => Metric.update(size, v), { discard: true })
        const status = Metric.frequency("app_status")
        yield* Effect.forEach(["200", "200", "200", "500"], (s) => Metric.update(status, s), { discard: true })
        yield* Effect.succeed(1).pipe(Monitor.timed("ops.metrics-test"))
        yield* Effect.fail("no").pipe(Monitor.timed("ops.metrics-test"), Effect.ignore)
        yield* AsyncLogger.flush

        const response = yield* scrape(url)
        expect(response.status).toBe(200)
        expect(response.type).toBe(Metrics.contentType)
        const text = response.text
        expect(valueOf(text, "logfiber_records_offered_total")! - offeredBefore).toBe(1000)
        expect(valueOf(text, "logfiber_records_written_total")! - writtenBefore).toBe(1000)
        expect(valueOf(text, "logfiber_records_pending")).toBe(0)
        expect(text).toContain("# HELP app_requests_total Requests served\n# TYPE app_requests_total counter\n")
        expect(valueOf(text, `app_requests_total{route="/a \\"b\\"\\\\c\\nd"}`)).toBe(7)
        expect(text).toContain("# TYPE app_temperature gauge\n")
        expect(valueOf(text, "app_temperature")).toBe(21.5)
        expect(text).toContain("# TYPE app_latency_seconds histogram\n")
        expect(valueOf(text, `app_latency_seconds_bucket{le="1"}`)).toBe(1)
        expect(valueOf(text, `app_latency_seconds_bucket{le="2"}`)).toBe(2)
        expect(valueOf(text, `app_latency_seconds_bucket{le="3"}`)).toBe(3)
        expect(valueOf(text, `app_latency_seconds_bucket{le="+Inf"}`)).toBe(4)
        expect(valueOf(text, "app_latency_seconds_sum")).toBe(14.5)
        expect(valueOf(text, "app_latency_seconds_count")).toBe(4)
        expect(text).toContain("# TYPE app_payload_bytes summary\n")
        // the quantile Effect computed (its own estimate), rendered as is
        const sizeState = yield* Metric.value(size)
        const median = sizeState.quantiles.find(([q]) => q === 0.5)![1]
        expect(median._tag).toBe("Some")
        expect(valueOf(text, `app_payload_bytes{quantile="0.5"}`)).toBe(median._tag === "Some" ? median.value : NaN)
        expect(valueOf(text, "app_payload_bytes_count")).toBe(3)
        expect(valueOf(text, "app_payload_bytes_sum")).toBe(60)
        expect(valueOf(text, `app_status_total{key="200"}`)).toBe(3)
        expect(valueOf(text, `app_status_total{key="500"}`)).toBe(1)
        const op = `operation="ops.metrics-test"`
        expect(valueOf(text, `logfiber_operation_duration_seconds_count{${op},outcome="success"}`)).toBe(1)
        expect(valueOf(text, `logfiber_operation_duration_seconds_count{${op},outcome="failure"}`)).toBe(1)

        // logfiber's histograms: one batch-size observation and one timed write attempt per batch
        const stats = yield* AsyncLogger.stats
        expect(text).toContain("# TYPE logfiber_batch_size histogram\n")
        expect(valueOf(text, "logfiber_batch_size_count")).toBe(stats.batches)
        expect(valueOf(text, "logfiber_batch_size_sum")).toBe(1000)
        expect(valueOf(text, `logfiber_sink_write_seconds_count{sink="test"}`)).toBe(stats.batches)
        expect(valueOf(text, "logfiber_queue_high_water")).toBe(stats.highWater)

        const checked = promtoolCheck(text)
        expect(checked.output).toBe("")
        expect(checked.status).toBe(0)
      }).pipe(Effect.provide(Layer.merge(LogLive, ServerLive))))

    it.live("answers 404 off the path and 405 to POST; a configured path is served", () =>
      Effect.gen(function*() {
        const { url } = yield* Metrics.PrometheusEndpoint
        expect(url.endsWith("/internal/prom")).toBe(true)
        expect((yield* scrape(url.replace("/internal/prom", "/metrics"))).status).toBe(404)
        const post = yield* Effect.promise(() => fetch(url, { method: "POST" }))
        expect(post.status).toBe(405)
        const ok = yield* scrape(url + "?x=1")
        expect(ok.status).toBe(200)
        expect(ok.text).toContain("# TYPE ")
      }).pipe(Effect.provide(Metrics.layerPrometheus({ port: 0, host: "127.0.0.1", path: "/internal/prom" }))))

    it.live("the port is released when the scope closes; a port in use fails the Layer", () =>
      Effect.gen(function*() {
        const port = yield* Effect.scoped(
          Effect.map(Layer.build(ServerLive), (ctx) => Context.get(ctx, Metrics.PrometheusEndpoint).port)
        )
        const refused = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/metrics`).then(() => false, () => true))
        expect(refused).toBe(true)
        const taken = yield* Effect.scoped(
          Effect.gen(function*() {
            const first = yield* Layer.build(Metrics.layerPrometheus({ port, host: "127.0.0.1" }))
            expect(first).toBeDefined()
            return yield* Effect.exit(Layer.build(Metrics.layerPrometheus({ port, host: "127.0.0.1" })))
          })
        )
        expect(taken._tag).toBe("Failure")
      }))

    it.live("a client holding a half-sent request does not hold the Layer's release", () =>
      Effect.gen(function*() {
        let socket: net.Socket | undefined
        const started = yield* Effect.scoped(Effect.gen(function*() {
          const { port } = Context.get(yield* Layer.build(ServerLive), Metrics.PrometheusEndpoint)
          const client = socket = net.connect(port, "127.0.0.1")
          yield* Effect.async<void>((resume) => void client.once("connect", () => resume(Effect.void)))
          client.write("GET /metrics HTTP/1.1\r\nHost: x\r\n") // and never the blank line
          return Date.now()
        })).pipe(
          // Node's server.close() alone waited for that connection without end: bound the test
          Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new Error("the Layer's release did not end") }),
          Effect.ensuring(Effect.sync(() => socket?.destroy()))
        )
        expect(Date.now() - started).toBeLessThan(2_000)
      }))

    it("an invalid option dies with a message naming it", () => {
      const exit = Effect.runSyncExit(Effect.scoped(Layer.build(Metrics.layerPrometheus({ port: 70000 }))))
      expect(exit._tag).toBe("Failure")
      expect(String(exit._tag === "Failure" ? exit.cause : "")).toContain("option port must be an integer from 0 to 65535; got 70000")
    })
  })

  describe("logfiber's figures", () => {
    it.effect("dropped by level, the queue's high-water mark, batch sizes and write latency per sink match stats", () =>
      Effect.gen(function*() {
        const gate = yield* Deferred.make<void>()
        const sink = LogSink.make({
          name: "gated",
          write: (batch) => Effect.zipRight(Deferred.await(gate), Effect.sync(() => void batch))
        })
        const droppedAt = (level: string) =>
          Metric.value(AsyncLogger.metrics.droppedByLevel.pipe(Metric.tagged("level", level))).pipe(Effect.map((s) => s.count))
        const writes = Metric.value(AsyncLogger.metrics.sinkWriteSeconds.pipe(Metric.tagged("sink", "gated")))
        const before = { info: yield* droppedAt("INFO"), debug: yield* droppedAt("DEBUG"), writes: (yield* writes).count }
        const batchesBefore = (yield* Metric.value(AsyncLogger.metrics.batchSize)).count

        const stats = yield* Effect.gen(function*() {
          yield* Effect.forEach(Array.from({ length: 100 }), (_, i) => i % 5 === 0 ? Effect.logDebug("d") : Effect.logInfo("i"), {
            discard: true
          })
          const during = yield* AsyncLogger.stats
          yield* Deferred.succeed(gate, undefined)
          yield* AsyncLogger.flush
          return { during, after: yield* AsyncLogger.stats }
        }).pipe(
          Effect.provide(AsyncLogger.layer({ capacity: 10, batchSize: 10, minimumLevel: "Debug" }).pipe(
            Layer.provide(Layer.succeed(LogSink.LogSink, sink))
          ))
        )
        expect(stats.during.dropped).toBeGreaterThan(0)
        expect(stats.during.highWater).toBe(10)
        const byLevel = stats.after.droppedByLevel
        expect((byLevel.INFO ?? 0) + (byLevel.DEBUG ?? 0)).toBe(stats.after.dropped)
        expect(byLevel.DEBUG).toBeGreaterThan(0)
        expect((yield* droppedAt("INFO")) - before.info).toBe(byLevel.INFO ?? 0)
        expect((yield* droppedAt("DEBUG")) - before.debug).toBe(byLevel.DEBUG)
        expect((yield* writes).count - before.writes).toBe(stats.after.batches)
        expect((yield* Metric.value(AsyncLogger.metrics.batchSize)).count - batchesBefore).toBe(stats.after.batches)
        expect(yield* Metric.value(AsyncLogger.metrics.highWater)).toMatchObject({ value: 10 })
      }))
  })

  describe("a scrape equals stats at any moment", () => {
    it.live("while the sink hangs (drops, the queue) and when every record is sampled out", () =>
      Effect.gen(function*() {
        const counter = (text: string, name: string) => valueOf(text, `logfiber_records_${name}_total`) ?? 0
        const before = yield* Metrics.render
        const hangs = LogSink.make({ name: "hangs", write: () => Effect.never })
        const [stats, after] = yield* Effect.gen(function*() {
          yield* Effect.forEach(Array.from({ length: 300 }), () => Effect.logInfo("i"), { discard: true })
          yield* Effect.annotateLogs(Effect.logInfo("sampled out"), "component", "noisy")
          // no batch has been written: only the scrape can bring the figures up to date
          const scraped = yield* Metrics.render
          return [yield* AsyncLogger.stats, scraped] as const
        }).pipe(Effect.provide(
          AsyncLogger.layer({ capacity: 100, batchSize: 10, sample: { noisy: 0 }, shutdownTimeout: "10 millis" }).pipe(
            Layer.provide(Layer.succeed(LogSink.LogSink, hangs))
          )
        ))
        expect(stats.dropped).toBeGreaterThan(0)
        for (const name of ["offered", "dropped", "sampled"] as const) {
          expect(counter(after, name) - counter(before, name)).toBe(stats[name])
        }
        expect(valueOf(after, "logfiber_queue_high_water")).toBe(stats.highWater)
      }))
  })

  describe("render", () => {
    it.effect("sanitizes names and label names and keeps one TYPE per family", () =>
      Effect.gen(function*() {
        const odd = Metric.counter("9weird.name-x", { description: "odd name" }).pipe(Metric.tagged("bad-label", "v"))
        yield* Metric.increment(odd)
        yield* Metric.set(Metric.gauge("ops_same"), 1)
        yield* Metric.set(Metric.gauge("ops_same").pipe(Metric.tagged("k", "2")), 2)
        const text = yield* Metrics.render
        expect(valueOf(text, `_9weird_name_x_total{bad_label="v"}`)).toBe(1)
        expect(text.match(/# TYPE ops_same gauge/g)?.length).toBe(1)
        expect(valueOf(text, "ops_same")).toBe(1)
        expect(valueOf(text, `ops_same{k="2"}`)).toBe(2)
        const checked = promtoolCheck(text)
        expect(checked.status, checked.output).toBe(0)
      }))
  })
})
