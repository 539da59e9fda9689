import { describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/TestClock"
import * as Chunk from "effect/Chunk"
import { captureStderr } from "./helpers.js"
import { AsyncLogger, OtlpSink } from "../src/index.js"
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

/** `n` records "r" with { i }, one per call. */
const logN = (from: number, n: number) =>
  Effect.forEach(Array.from({ length: n }, (_, k) => from + k), (i) => Effect.logInfo("r", { i }), { discard: true })

const indexes = (records: ReadonlyArray<DecodedRecord>): Array<number> =>
  records.map((r) => Number(attribute(r.attributes, "i")?.intValue)).sort((a, b) => a - b)

const range = (from: number, n: number) => Array.from({ length: n }, (_, k) => from + k)

/** Advance the TestClock by `ms` each time some fiber sleeps on it, `times` times. */
const tickSleeps = (ms: number, times: number) =>
  Effect.gen(function*() {
    for (let k = 0; k < times; k++) {
      for (let spin = 0; Chunk.isEmpty(yield* TestClock.sleeps()); spin++) {
        if (spin > 5_000) return yield* Effect.dieMessage("no fiber went to sleep on the TestClock")
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 1)))
      }
      yield* TestClock.adjust(ms)
    }
  })

/** The TestClock's time in the tests that check timestamps: 2024-05-01T10:00:00.000Z. */
const T0 = 1_714_557_600_000

const LEVELS = ["Debug", "Info", "Warn", "Error"] as const
const SEVERITY = { Debug: [5, "DEBUG"], Info: [9, "INFO"], Warn: [13, "WARN"], Error: [17, "ERROR"] } as const

describe("OtlpSink", () => {
  for (const encoding of ["protobuf", "json"] as const) {
    it.scoped(`${encoding}: 5,000 records arrive once each, decoded by the official definitions with their types`, () =>
      Effect.gen(function*() {
        const r = yield* receiver()
        yield* TestClock.setTime(T0)
        const sink = OtlpSink.layer({ url: r.url, encoding, resource: { serviceName: "checkout", attributes: { region: "eu" } } })
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
            yield* log.pipe(Effect.annotateLogs("request", `req-${i % 7}`))
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
        }
      }), 60_000)
  }
})
