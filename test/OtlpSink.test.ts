import { describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/TestClock"
import * as Chunk from "effect/Chunk"
import { spawn } from "node:child_process"
import * as net from "node:net"
import * as path from "node:path"
import { captureStderr } from "./helpers.js"
import { AsyncLogger, OtlpSink, SinkFromEnv } from "../src/index.js"
import {
  acceptedRecords,
  type AnyValue,
  attribute,
  type DecodedRecord,
  partialSuccessBody,
  type Receiver,
  receiver,
  waitUntil
} from "./otlpReceiver.js"

const logger = (sink: ReturnType<typeof OtlpSink.layer>, options: AsyncLogger.Options = {}) =>
  AsyncLogger.layer({ minimumLevel: "Debug", ...options }).pipe(Layer.provide(sink))

/** A port free on loopback right now. */
const freePort = () =>
  new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port
      server.close(() => resolve(port))
    })
  })

/** `n` records "r" with { i }, one per call. */
const logN = (from: number, n: number) =>
  Effect.forEach(Array.from({ length: n }, (_, k) => from + k), (i) => Effect.logInfo("r", { i }), { discard: true })

const indexes = (records: ReadonlyArray<DecodedRecord>): Array<number> =>
  records.map((r) => Number(attribute(r.attributes, "i")?.intValue)).sort((a, b) => a - b)

const range = (from: number, n: number) => Array.from({ length: n }, (_, k) => from + k)

/**
 * Wait (in real time: the sink's I/O does not follow the TestClock) until some fiber sleeps for
 * exactly `ms` from now: the retry schedule's step, not the batch window or `writeTimeout`.
 */
const untilSleepOf = (ms: number, what: string) =>
  Effect.gen(function*() {
    const now = yield* TestClock.currentTimeMillis
    const waits = Effect.map(TestClock.sleeps(), (sleeps) => Chunk.toReadonlyArray(sleeps).map((deadline) => deadline - now))
    for (let spin = 0; !(yield* waits).includes(ms); spin++) {
      if (spin > 5_000) return yield* Effect.dieMessage(`${what}: no sleep of ${ms} ms, only ${yield* waits}`)
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 1)))
    }
  })

/** `times` times: wait for the retry schedule's sleep of `ms`, then advance the TestClock past it. */
const tickSleeps = (ms: number, times: number) =>
  Effect.gen(function*() {
    for (let k = 0; k < times; k++) {
      yield* untilSleepOf(ms, "the retry schedule")
      yield* TestClock.adjust(ms)
    }
  })

/** The TestClock's time in the tests that check timestamps: 2024-05-01T10:00:00.000Z. */
const T0 = 1_714_557_600_000

const LEVELS = ["Debug", "Info", "Warn", "Error"] as const
const SEVERITY = { Debug: [5, "DEBUG"], Info: [9, "INFO"], Warn: [13, "WARN"], Error: [17, "ERROR"] } as const

describe("OtlpSink", () => {
  for (const encoding of ["protobuf", "json"] as const) {
    it.scoped(`${encoding}: 5,000 records arrive once each, decoded by the official definitions with their types and span ids`, () =>
      Effect.gen(function*() {
        const r = yield* receiver()
        yield* TestClock.setTime(T0)
        const sink = OtlpSink.layer({ url: r.url, encoding, resource: { serviceName: "checkout", attributes: { region: "eu" } } })
        const spans = new Map<number, { traceId: string; spanId: string }>()
        const stats = yield* Effect.gen(function*() {
          for (let i = 0; i < 5_000; i++) {
            const level = LEVELS[i % 4]!
            const fields = { i, ratio: i + 0.5, even: i % 2 === 0, tags: ["a", i], nested: { deep: { n: i } }, big: 2n ** 60n }
            const log = level === "Debug"
              ? Effect.logDebug(`record ${i}`, fields)
              : level === "Info"
              ? Effect.logInfo(`record ${i}`, fields)
              : level === "Warn"
              ? Effect.logWarning(`record ${i}`, fields)
              : Effect.logError(`record ${i}`, fields)
            const annotated = log.pipe(Effect.annotateLogs("request", `req-${i % 7}`))
            if (i % 5 === 0) {
              yield* annotated // outside any span
            } else {
              yield* Effect.gen(function*() {
                const span = yield* Effect.currentSpan
                spans.set(i, { traceId: span.traceId, spanId: span.spanId })
                yield* annotated
              }).pipe(Effect.withSpan(`op-${i % 3}`), i % 2 === 0 ? Effect.withSpan("outer") : (e) => e)
            }
          }
          yield* AsyncLogger.flush
          return yield* AsyncLogger.stats
        }).pipe(Effect.provide(logger(sink, { batchSize: 512, capacity: 10_000 })))

        expect(stats).toMatchObject({ offered: 5_000, written: 5_000, failed: 0, dropped: 0, pending: 0 })
        expect(r.requests.every((q) => q.status === 200)).toBe(true)
        expect(r.accepted.length).toBe(stats.batches)
        expect(Math.max(...r.accepted.map((q) => q.records.length))).toBeLessThanOrEqual(512)
        for (const q of r.accepted) {
          expect(q.contentType).toBe(encoding === "json" ? "application/json" : "application/x-protobuf")
          expect(attribute(q.resource, "service.name")).toEqual({ stringValue: "checkout" })
          expect(attribute(q.resource, "region")).toEqual({ stringValue: "eu" })
          expect(q.scope.name).toBe("logfiber")
        }
        const records = acceptedRecords(r)
        expect(indexes(records)).toEqual(range(0, 5_000))
        expect(spans.size).toBe(4_000)
        expect(new Set([...spans.values()].map((s) => s.spanId)).size).toBe(4_000)
        for (const rec of records) {
          const i = Number(attribute(rec.attributes, "i")!.intValue)
          const level = LEVELS[i % 4]!
          expect(rec.severityNumber).toBe(SEVERITY[level][0])
          expect(rec.severityText).toBe(SEVERITY[level][1])
          expect(rec.body).toEqual({ stringValue: `record ${i}` })
          expect(rec.timeUnixNano).toBe(`${T0}000000`)
          expect(rec.observedTimeUnixNano).toBe(`${T0}000000`)
          expect(attribute(rec.attributes, "ratio")).toEqual({ doubleValue: i + 0.5 })
          expect(attribute(rec.attributes, "even")).toEqual({ boolValue: i % 2 === 0 })
          expect(attribute(rec.attributes, "tags")).toEqual({ arrayValue: { values: [{ stringValue: "a" }, { intValue: String(i) }] } })
          expect(attribute(rec.attributes, "nested")).toEqual({
            kvlistValue: { values: [{ key: "deep", value: { kvlistValue: { values: [{ key: "n", value: { intValue: String(i) } }] } } }] }
          } satisfies AnyValue)
          expect(attribute(rec.attributes, "big")).toEqual({ intValue: String(2n ** 60n) })
          expect(attribute(rec.attributes, "request")).toEqual({ stringValue: `req-${i % 7}` })
          const span = spans.get(i)
          if (span === undefined) {
            // logged outside any span: no trace fields at all
            expect(i % 5).toBe(0)
            expect([rec.traceId, rec.spanId, rec.flags]).toEqual([undefined, undefined, undefined])
          } else {
            expect([rec.traceId, rec.spanId, rec.flags]).toEqual([span.traceId, span.spanId, 1])
          }
        }
      }), 60_000)
  }

  describe("the protocol's retry rules", () => {
    it.scoped("503 twice, then 200: every record arrives exactly once", () =>
      Effect.gen(function*() {
        const r = yield* receiver([{ status: 503 }, { status: 503 }])
        const stats = yield* Effect.gen(function*() {
          yield* logN(0, 30)
          yield* AsyncLogger.flush
          return yield* AsyncLogger.stats
        }).pipe(Effect.provide(logger(OtlpSink.layer({ url: r.url }), { batchSize: 30, retry: Schedule.recurs(5) })))
        expect(r.requests.map((q) => q.status)).toEqual([503, 503, 200])
        expect(indexes(acceptedRecords(r))).toEqual(range(0, 30))
        expect(stats).toMatchObject({ offered: 30, written: 30, failed: 0, retries: 2 })
      }))

    it.scoped("a 200 whose body never ends: only its first 64 KiB are read, the batch counts written once", () =>
      Effect.gen(function*() {
        const r = yield* receiver([{ status: 200, endless: true }])
        const stats = yield* Effect.gen(function*() {
          yield* logN(0, 30)
          yield* AsyncLogger.flush
          return yield* AsyncLogger.stats
        }).pipe(Effect.provide(logger(OtlpSink.layer({ url: r.url }), { batchSize: 30, retry: Schedule.recurs(2) })))
        expect(r.requests.map((q) => q.status)).toEqual([200])
        expect(indexes(acceptedRecords(r))).toEqual(range(0, 30))
        expect(stats).toMatchObject({ offered: 30, written: 30, failed: 0, retries: 0 })
      }))

    it.scoped("429 with Retry-After: 1 is honoured: the retry waits one second on the Clock", () =>
      Effect.gen(function*() {
        const r = yield* receiver([{ status: 429, headers: { "retry-after": "1" } }])
        yield* Effect.gen(function*() {
          yield* logN(0, 10)
          const flushing = yield* Effect.fork(AsyncLogger.flush)
          // the sink sleeps for Retry-After before it fails: one sleep of exactly 1,000 ms
          yield* waitUntil(() => r.requests.length === 1, "the first request")
          yield* untilSleepOf(1_000, "the sink's Retry-After")
          yield* TestClock.adjust(999)
          yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 50)))
          expect(r.requests.length).toBe(1)
          yield* TestClock.adjust(1)
          yield* Fiber.join(flushing)
          expect(r.requests.map((q) => q.status)).toEqual([429, 200])
          expect(yield* AsyncLogger.stats).toMatchObject({ written: 10, failed: 0, retries: 1 })
        }).pipe(Effect.provide(logger(OtlpSink.layer({ url: r.url }), { batchSize: 10, retry: Schedule.recurs(3) })))
        expect(indexes(acceptedRecords(r))).toEqual(range(0, 10))
      }))

    it.scoped("400: that batch is counted failed once, with the receiver's message on stderr; the next batches are sent", () =>
      Effect.gen(function*() {
        const status = new TextEncoder().encode(JSON.stringify({ code: 3, message: "log record too large" }))
        const r = yield* receiver([{ status: 400, headers: { "content-type": "application/json" }, body: status }])
        const [stats, stderr] = yield* captureStderr(Effect.gen(function*() {
          for (let b = 0; b < 3; b++) {
            yield* logN(b * 10, 10)
            yield* AsyncLogger.flush
          }
          return yield* AsyncLogger.stats
        }).pipe(Effect.provide(logger(OtlpSink.layer({ url: r.url, encoding: "json" }), { batchSize: 10, retry: Schedule.recurs(5) }))))
        expect(r.requests.map((q) => q.status)).toEqual([400, 200, 200])
        expect(stats).toMatchObject({ offered: 30, written: 20, failed: 10, retries: 0, pending: 0 })
        expect(indexes(acceptedRecords(r))).toEqual(range(10, 20))
        const text = stderr.join("")
        expect(text).toContain("failed after 1 attempt(s)")
        expect(text).toContain("HTTP 400: log record too large")
        expect(text.match(/"message":"r"/g)?.length).toBe(10)
      }))

    it.scoped("a partial success counts exactly the records the receiver rejected, and is not retried", () =>
      Effect.gen(function*() {
        const r = yield* receiver([{
          status: 200,
          headers: { "content-type": "application/x-protobuf" },
          body: partialSuccessBody(3, "3 records had an invalid attribute")
        }])
        const [stats, stderr] = yield* captureStderr(Effect.gen(function*() {
          yield* logN(0, 10)
          yield* AsyncLogger.flush
          yield* logN(10, 10)
          yield* AsyncLogger.flush
          return yield* AsyncLogger.stats
        }).pipe(Effect.provide(logger(OtlpSink.layer({ url: r.url }), { batchSize: 10, retry: Schedule.recurs(5) }))))
        expect(r.requests.length).toBe(2)
        expect(stats).toMatchObject({ offered: 20, written: 17, failed: 3, retries: 0, batches: 2 })
        expect(stderr.join("")).toContain("wrote 7 of 10 record(s)")
        expect(stderr.join("")).toContain("3 records had an invalid attribute")
      }))

    it.scoped("a receiver that does not answer: the request ends at `timeout` and is retried", () =>
      Effect.gen(function*() {
        const r = yield* receiver([{ status: 0 }])
        yield* Effect.gen(function*() {
          yield* logN(0, 10)
          const flushing = yield* Effect.fork(AsyncLogger.flush)
          yield* waitUntil(() => r.requests.length === 1, "the first request")
          yield* TestClock.adjust("2 seconds")
          yield* Fiber.join(flushing)
          expect(yield* AsyncLogger.stats).toMatchObject({ written: 10, failed: 0, retries: 1 })
        }).pipe(Effect.provide(logger(OtlpSink.layer({ url: r.url, timeout: "2 seconds" }), { batchSize: 10, retry: Schedule.recurs(3) })))
        expect(r.requests.map((q) => q.status)).toEqual([0, 200])
        expect(indexes(acceptedRecords(r))).toEqual(range(0, 10))
      }))

    it.scoped("the receiver goes away and comes back: a batch is retried within the policy, what the policy gave up on is counted", () =>
      Effect.gen(function*() {
        const r = yield* receiver()
        // 1 attempt + 3 retries, one second apart
        const retry = Schedule.spaced("1 second").pipe(Schedule.intersect(Schedule.recurs(3)))
        const [stats, stderr] = yield* captureStderr(Effect.gen(function*() {
          yield* logN(0, 10)
          yield* AsyncLogger.flush
          yield* Effect.promise(() => r.stop())
          // away for longer than the policy: these 10 are lost, and counted
          yield* logN(10, 10)
          const lost = yield* Effect.fork(AsyncLogger.flush)
          yield* tickSleeps(1_000, 3)
          yield* Fiber.join(lost)
          expect(yield* AsyncLogger.stats).toMatchObject({ written: 10, failed: 10 })
          // away for less than the policy: back after the second attempt, nothing lost
          yield* logN(20, 10)
          const back = yield* Effect.fork(AsyncLogger.flush)
          yield* tickSleeps(1_000, 1)
          yield* Effect.promise(() => r.start())
          yield* tickSleeps(1_000, 1)
          yield* Fiber.join(back)
          return yield* AsyncLogger.stats
        }).pipe(Effect.provide(logger(OtlpSink.layer({ url: r.url }), { batchSize: 10, retry }))))
        expect(stats).toMatchObject({ offered: 30, written: 20, failed: 10, dropped: 0, pending: 0 })
        expect(indexes(acceptedRecords(r))).toEqual([...range(0, 10), ...range(20, 10)])
        // the lost batch is on stderr, with the reason
        expect(stderr.join("")).toMatch(/failed after 4 attempt\(s\): .*ECONNREFUSED|failed after 4 attempt\(s\)/)
        expect(stderr.join("").match(/"message":"r"/g)?.length).toBe(10)
      }))
  })

  describe("environment", () => {
    it.scoped("OTEL_EXPORTER_OTLP_* , OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES configure the sink", () =>
      Effect.gen(function*() {
        const r = yield* receiver()
        const env = ConfigProvider.fromMap(new Map([
          ["OTEL_EXPORTER_OTLP_ENDPOINT", r.url],
          ["OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=s3cret,x-tenant=a%20b"],
          ["OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"],
          ["OTEL_SERVICE_NAME", "billing"],
          ["OTEL_RESOURCE_ATTRIBUTES", "service.name=ignored,deployment.environment=prod,team=core%2Cinfra"]
        ]))
        yield* Effect.gen(function*() {
          yield* logN(0, 3)
          yield* AsyncLogger.flush
        }).pipe(Effect.provide(logger(OtlpSink.fromEnv)), Effect.withConfigProvider(env))
        expect(r.accepted.length).toBe(1)
        const q = r.accepted[0]!
        expect(q.contentType).toBe("application/json")
        expect(q.headers["x-api-key"]).toBe("s3cret")
        expect(q.headers["x-tenant"]).toBe("a b")
        // the logger's own requests are not traced: no span, no propagation headers
        expect([q.headers.traceparent, q.headers.b3]).toEqual([undefined, undefined])
        expect(attribute(q.resource, "service.name")).toEqual({ stringValue: "billing" })
        expect(attribute(q.resource, "deployment.environment")).toEqual({ stringValue: "prod" })
        expect(attribute(q.resource, "team")).toEqual({ stringValue: "core,infra" })
        expect(indexes(q.records)).toEqual([0, 1, 2])
      }))

    it.scoped("LOG_SINK=otlp: the logger and its sink from the environment alone", () =>
      Effect.gen(function*() {
        const r = yield* receiver()
        const env = ConfigProvider.fromMap(new Map([
          ["LOG_SINK", "otlp"],
          ["LOG_LEVEL", "debug"],
          ["OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", `${r.url}/v1/logs`],
          ["OTEL_SERVICE_NAME", "from-env"]
        ]))
        yield* Effect.gen(function*() {
          yield* Effect.logDebug("r", { i: 0 })
          yield* AsyncLogger.flush
        }).pipe(Effect.provide(AsyncLogger.fromEnv.pipe(Layer.provide(SinkFromEnv.layer))), Effect.withConfigProvider(env))
        expect(acceptedRecords(r).map((rec) => rec.severityText)).toEqual(["DEBUG"])
        expect(attribute(r.accepted[0]!.resource, "service.name")).toEqual({ stringValue: "from-env" })
        const exit = yield* Effect.exit(Effect.void.pipe(
          Effect.provide(SinkFromEnv.layer),
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["LOG_SINK", "kafka"]])))
        ))
        expect(Exit.isFailure(exit) ? String(exit.cause) : "").toMatch(/LOG_SINK.*kafka|kafka.*LOG_SINK/s)
      }))

    it.effect("a bad variable fails the Layer with its name and value", () =>
      Effect.gen(function*() {
        const bad = (entries: Array<[string, string]>) =>
          Effect.gen(function*() {
            const exit = yield* Effect.exit(
              Effect.void.pipe(Effect.provide(logger(OtlpSink.fromEnv)), Effect.withConfigProvider(ConfigProvider.fromMap(new Map(entries))))
            )
            expect(Exit.isFailure(exit)).toBe(true)
            return Exit.isFailure(exit) ? String(exit.cause) : ""
          })
        expect(yield* bad([["OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"]])).toContain(`OTEL_EXPORTER_OTLP_PROTOCOL="grpc"`)
        expect(yield* bad([["OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"]])).toContain(`OTEL_EXPORTER_OTLP_ENDPOINT="collector:4318"`)
        expect(yield* bad([["OTEL_RESOURCE_ATTRIBUTES", "team"]])).toContain(`OTEL_RESOURCE_ATTRIBUTES="team"`)
        expect(yield* bad([["OTEL_EXPORTER_OTLP_TIMEOUT", "10s"]])).toContain(`OTEL_EXPORTER_OTLP_TIMEOUT="10s"`)
      }))
  })

  describe("examples/otlp.ts", () => {
    it.scopedLive("the HTTP service's request logs reach the receiver with the trace id of the request's traceparent", () =>
      Effect.gen(function*() {
        const r = yield* receiver()
        const port = yield* Effect.promise(freePort)
        const child = yield* Effect.acquireRelease(
          Effect.sync(() =>
            spawn(process.execPath, [path.resolve("node_modules/tsx/dist/cli.mjs"), "examples/otlp.ts"], {
              env: { ...process.env, PORT: String(port), OTEL_EXPORTER_OTLP_ENDPOINT: r.url, OTEL_SERVICE_NAME: "greeter" },
              stdio: ["ignore", "ignore", "pipe"]
            })
          ),
          (child) => Effect.sync(() => child.kill("SIGKILL"))
        )
        let stderr = ""
        child.stderr!.on("data", (chunk: Buffer) => void (stderr += chunk.toString()))
        const trace = "4bf92f3577b34da6a3ce929d0e0e4736"
        const body = yield* Effect.promise(async () => {
          for (const started = Date.now(); Date.now() - started < 30_000;) {
            try {
              const response = await fetch(`http://127.0.0.1:${port}/hello/ada`, {
                headers: { traceparent: `00-${trace}-00f067aa0ba902b7-01` }
              })
              return await response.text()
            } catch {
              await new Promise((resolve) => setTimeout(resolve, 100))
            }
          }
          throw new Error(`examples/otlp.ts did not start: ${stderr}`)
        })
        expect(body).toBe("hello ada\n")
        // SIGTERM: NodeRuntime.runMain closes the Layer, the logger drains into the sink
        const code = yield* Effect.async<number | null>((resume) => {
          child.once("exit", (code) => resume(Effect.succeed(code)))
          child.kill("SIGTERM")
        })
        expect(stderr).toBe("")
        expect(code === 0 || code === 130 || code === 143).toBe(true)
        const records = acceptedRecords(r)
        const greeting = records.find((rec) => rec.body.stringValue === "greeting")
        expect(greeting).toBeDefined()
        expect(greeting!.traceId).toBe(trace)
        expect(greeting!.spanId).toMatch(/^[0-9a-f]{16}$/)
        expect(attribute(greeting!.attributes, "name")).toEqual({ stringValue: "ada" })
        expect(attribute(r.accepted[0]!.resource, "service.name")).toEqual({ stringValue: "greeter" })
        expect(records.find((rec) => rec.body.stringValue === "Sent HTTP response")?.traceId).toBe(trace)
      }), 60_000)
  })
})
