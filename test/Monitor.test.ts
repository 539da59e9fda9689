import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { Monitor } from "../src/index.js"
import { LogLinearHistogram, OutcomeStats } from "../src/internal/timing.js"
import { untilSleeping } from "./helpers.js"

/** An operation that takes exactly `ms` of TestClock time. */
const takes = (ms: number) => TestClock.adjust(Duration.millis(ms))

/** The exact nearest-rank percentile of a sorted list. */
const nearestRank = (sorted: ReadonlyArray<number>, q: number) => sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!

const within = (actual: number, exact: number) =>
  expect(Math.abs(actual - exact) / exact).toBeLessThanOrEqual(Monitor.resolution)

const timingOf = (name: string) =>
  Effect.map(Monitor.snapshot, (all) => {
    const found = all.find((t) => t.name === name)
    if (found === undefined) throw new Error(`no timing named ${name}`)
    return found
  })

describe("Monitor", () => {
  it.effect("100 runs of 1..100 ms: exact count, min, max, mean; percentiles within the resolution", () =>
    Effect.gen(function*() {
      const durations = Array.from({ length: 100 }, (_, i) => i + 1)
      // shuffled, so that min, max and the ring do not depend on the order
      const order = durations.map((d, i) => durations[(i * 37) % 100]!)
      yield* Effect.forEach(order, (ms) => takes(ms).pipe(Monitor.timed("db.query")), { discard: true })
      const { failure, success } = yield* timingOf("db.query")
      expect(success.count).toBe(100)
      expect(success.minMillis).toBe(1)
      expect(success.maxMillis).toBe(100)
      expect(success.meanMillis).toBe(50.5)
      expect(success.totalMillis).toBe(5050)
      within(success.p50Millis, nearestRank(durations, 0.5))
      within(success.p95Millis, nearestRank(durations, 0.95))
      within(success.p99Millis, nearestRank(durations, 0.99))
      // the last 10 runs of `order`
      const last = order.slice(-10)
      expect(success.recentMeanMillis).toBeCloseTo(last.reduce((a, b) => a + b, 0) / 10, 9)
      expect(failure.count).toBe(0)
      expect(failure.meanMillis).toBeNaN()
    }).pipe(Effect.provide(Monitor.layer({ recent: 10 }))))

  it.effect("failures are counted apart from successes; an interrupted run is a failure", () =>
    Effect.gen(function*() {
      const op = (ms: number, ok: boolean) =>
        takes(ms).pipe(Effect.zipRight(ok ? Effect.succeed("row") : Effect.fail("timeout")), Monitor.timed("db.write"))
      yield* op(5, true)
      yield* Effect.either(op(7, false))
      yield* Effect.either(op(9, false))
      const sleeper = yield* Effect.fork(Monitor.timed(Effect.sleep("1 hour"), "db.write"))
      yield* untilSleeping
      yield* TestClock.adjust("3 millis")
      yield* Fiber.interrupt(sleeper)
      const { failure, success } = yield* timingOf("db.write")
      expect(success.count).toBe(1)
      expect(success.meanMillis).toBe(5)
      expect(failure.count).toBe(3)
      expect(failure.minMillis).toBe(3)
      expect(failure.maxMillis).toBe(9)
      expect(failure.meanMillis).toBeCloseTo(19 / 3, 9)
      expect(failure.recentMeanMillis).toBeCloseTo(19 / 3, 9)
    }).pipe(Effect.provide(Monitor.layer())))

  it.effect("each run is a span named after the operation, and an Effect histogram observation", () =>
    Effect.gen(function*() {
      const spanName = yield* Effect.currentSpan.pipe(
        Effect.map((span) => span.name),
        Effect.tap(() => takes(250)),
        Monitor.timed("http.call")
      )
      expect(spanName).toBe("http.call")
      const metric = Monitor.durationSeconds.pipe(
        Metric.tagged("operation", "http.call"),
        Metric.tagged("outcome", "success")
      )
      const state = yield* Metric.value(metric)
      expect(state.count).toBe(1)
      expect(state.sum).toBe(0.25)
    }).pipe(Effect.provide(Monitor.layer())))

  it.effect("a zero duration is recorded as 0 in every figure", () =>
    Effect.gen(function*() {
      yield* Monitor.timed(Effect.void, "noop")
      const { success } = yield* timingOf("noop")
      expect(success).toMatchObject({ count: 1, minMillis: 0, maxMillis: 0, p50Millis: 0, p99Millis: 0 })
    }).pipe(Effect.provide(Monitor.layer())))

  it("percentiles of 1,000,000 varied durations stay within the resolution", () => {
    const stats = new OutcomeStats(100)
    const values: Array<number> = []
    let x = 12345
    for (let i = 0; i < 1_000_000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648 // an LCG: reproducible, spread over 6 decades
      const nanos = 1 + (x % 1_000_000) * ((x >> 20) % 1000 + 1)
      values.push(nanos)
      stats.record(nanos)
    }
    values.sort((a, b) => a - b)
    const snap = stats.snapshot()
    within(snap.p50Millis, nearestRank(values, 0.5) / 1e6)
    within(snap.p95Millis, nearestRank(values, 0.95) / 1e6)
    within(snap.p99Millis, nearestRank(values, 0.99) / 1e6)
  })

  it.effect("memory is flat: the registry entry keeps the same arrays of the same size over 1,000,000 timings", () =>
    Effect.gen(function*() {
      const registry = Monitor.makeRegistry({ recent: 100 })
      yield* Effect.forEach([1, 2, 3], (ms) => takes(ms).pipe(Monitor.timed("flat")), { discard: true }).pipe(
        Effect.provideService(Monitor.Monitor, registry)
      )
      const entry = registry.entry("flat")
      const counts = entry.success.histogram.counts
      const recent = entry.success.recent
      const bytes = entry.success.byteLength
      expect(bytes).toBe(new LogLinearHistogram().byteLength + 100 * 8)
      // the same path `timed` takes, without the Effect runtime around it (that would take minutes)
      for (let i = 0; i < 1_000_000; i++) entry.record(true, 1_000 + (i % 5_000_000) * 997)
      expect(entry.success.count).toBe(1_000_003)
      expect(entry.success.byteLength).toBe(bytes)
      expect(entry.success.histogram.counts).toBe(counts)
      expect(entry.success.recent).toBe(recent)
      expect(registry.entries().length).toBe(1)
    }))

  it.effect("snapshot lists operations by name; the default registry needs no Layer", () =>
    Effect.gen(function*() {
      yield* Monitor.timed(Effect.void, "zz.default")
      yield* Monitor.timed(Effect.void, "aa.default")
      const names = (yield* Monitor.snapshot).map((t) => t.name)
      expect(names.indexOf("aa.default")).toBeLessThan(names.indexOf("zz.default"))
      expect(Option.isSome(Option.fromNullable(names.find((n) => n === "zz.default")))).toBe(true)
    }))
})
