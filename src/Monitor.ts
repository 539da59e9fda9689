/**
 * Operation timing: `Monitor.timed("name")` on any Effect records how long each run took, apart
 * for successes and failures (an interrupted run counts as a failure): count, mean, min, max,
 * p50/p95/p99 and the mean of the last runs. Memory is fixed per operation name (a log-linear
 * histogram of 6,785 counts and a ring of the last 100 durations, about 54 KiB per outcome),
 * whatever the number of runs. Percentiles are within 1/256 (0.4 %) of the exact nearest-rank
 * value; count, mean, min and max are exact. Time comes from `Clock`, so `TestClock` drives it.
 *
 * Each run is also a span (`Effect.withSpan(name)`) and an observation of the Effect histogram
 * `logfiber_operation_duration_seconds{operation, outcome}`, so `/metrics` (`Metrics`) and traces
 * show it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Monitor } from "logfiber"
 *
 * const findUser = (id: string) => Effect.succeed({ id }).pipe(Monitor.timed("db.findUser"))
 * const program = Effect.gen(function*() {
 *   yield* findUser("42")
 *   const [timing] = yield* Monitor.snapshot
 *   // { name: "db.findUser", success: { count: 1, meanMillis: ..., p99Millis: ... }, failure: { count: 0, ... } }
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import * as MetricLabel from "effect/MetricLabel"
import { OutcomeStats } from "./internal/timing.js"
import type { OutcomeSnapshot } from "./internal/timing.js"

/**
 * The figures of one outcome, in milliseconds: `count`, `totalMillis`, `meanMillis`, `minMillis`,
 * `maxMillis`, `p50Millis`, `p95Millis`, `p99Millis`, `recentMeanMillis` (mean of the last
 * `recent` runs). Figures of an outcome with no runs are `NaN` (`count` and `totalMillis` are 0).
 *
 * @example
 * ```ts
 * const [{ success }] = yield* Monitor.snapshot
 * console.log(`${success.count} runs, p99 ${success.p99Millis.toFixed(1)} ms`)
 * ```
 * @since 0.1.0
 */
export type Outcome = OutcomeSnapshot

/**
 * One timed operation: its name and the figures of its successful and failed runs.
 *
 * @example
 * ```ts
 * const failing = (yield* Monitor.snapshot).filter((t: Monitor.Timing) => t.failure.count > 0)
 * ```
 * @since 0.1.0
 */
export interface Timing {
  readonly name: string
  readonly success: Outcome
  readonly failure: Outcome
}

/**
 * Percentiles are reported within this relative error of the exact nearest-rank value (1/256).
 *
 * @example
 * ```ts
 * const upperBound = success.p99Millis * (1 + Monitor.resolution)
 * ```
 * @since 0.1.0
 */
export { RELATIVE_RESOLUTION as resolution } from "./internal/timing.js"

/**
 * The Effect histogram every timed run is observed in, in seconds, tagged `operation` (the name)
 * and `outcome` (`success` | `failure`). Buckets from 0.5 ms doubling to about 4.4 minutes.
 *
 * @example
 * ```ts
 * const state = yield* Metric.value(Monitor.durationSeconds.pipe(Metric.tagged("operation", "db.findUser"), Metric.tagged("outcome", "success")))
 * ```
 * @since 0.1.0
 */
export const durationSeconds = Metric.histogram(
  "logfiber_operation_duration_seconds",
  MetricBoundaries.exponential({ start: 0.0005, factor: 2, count: 20 }),
  "Duration of operations timed with Monitor.timed, by operation and outcome"
)

class Entry {
  readonly success: OutcomeStats
  readonly failure: OutcomeStats
  // one array per outcome, kept: Effect caches a metric's hook by the identity of its extra tags
  private readonly successTags: ReadonlyArray<MetricLabel.MetricLabel>
  private readonly failureTags: ReadonlyArray<MetricLabel.MetricLabel>
  constructor(readonly name: string, recent: number) {
    this.success = new OutcomeStats(recent)
    this.failure = new OutcomeStats(recent)
    const operation = MetricLabel.make("operation", name)
    this.successTags = [operation, MetricLabel.make("outcome", "success")]
    this.failureTags = [operation, MetricLabel.make("outcome", "failure")]
  }
  record(succeeded: boolean, nanos: number): void {
    if (succeeded) {
      this.success.record(nanos)
      durationSeconds.unsafeUpdate(nanos / 1e9, this.successTags)
    } else {
      this.failure.record(nanos)
      durationSeconds.unsafeUpdate(nanos / 1e9, this.failureTags)
    }
  }
}

/**
 * Where timings are kept: one entry per operation name, with a ring of the last `recent` runs.
 *
 * @example
 * ```ts
 * const registry: Monitor.MonitorRegistry = Monitor.makeRegistry({ recent: 10 })
 * ```
 * @since 0.1.0
 */
export interface MonitorRegistry {
  readonly recent: number
  /** The entry of `name`, created on first use. */
  readonly entry: (name: string) => {
    readonly success: OutcomeStats
    readonly failure: OutcomeStats
    readonly record: (succeeded: boolean, nanos: number) => void
  }
  readonly entries: () => ReadonlyArray<{ readonly name: string; readonly success: OutcomeStats; readonly failure: OutcomeStats }>
}

/**
 * Build a registry keeping the last `recent` durations (default 100) of each operation; an
 * invalid `recent` throws naming the option and the value.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provideService(Monitor.Monitor, Monitor.makeRegistry({ recent: 10 })))
 * ```
 * @since 0.1.0
 */
export const makeRegistry = (options: { readonly recent?: number | undefined } = {}): MonitorRegistry => {
  const recent = options.recent ?? 100
  if (!Number.isSafeInteger(recent) || recent < 1) {
    throw new Error(`logfiber: option recent must be a positive integer; got ${String(recent)}`)
  }
  const map = new Map<string, Entry>()
  return {
    recent,
    entry: (name) => {
      let entry = map.get(name)
      if (entry === undefined) {
        entry = new Entry(name, recent)
        map.set(name, entry)
      }
      return entry
    },
    entries: () => [...map.values()]
  }
}

const defaultRegistry: MonitorRegistry = makeRegistry()

/**
 * The registry `timed` and `snapshot` use: a Reference whose default is one registry per
 * process (like Effect's metric registry). Provide `layer` for a registry of your own.
 *
 * @example
 * ```ts
 * const registry = yield* Monitor.Monitor
 * ```
 * @since 0.1.0
 */
export class Monitor extends Context.Reference<Monitor>()("logfiber/Monitor", {
  defaultValue: () => defaultRegistry
}) {}

/**
 * A fresh registry for the effects it is provided to (tests, or a ring size other than 100).
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(Monitor.layer({ recent: 1_000 })))
 * ```
 * @since 0.1.0
 */
export const layer = (options: { readonly recent?: number | undefined } = {}): Layer.Layer<Monitor> =>
  Layer.sync(Monitor, () => makeRegistry(options))

const isEffectArgs = (args: IArguments): boolean => Effect.isEffect(args[0])

/**
 * Time every run of an effect under `name`: the run is a span named `name`, its duration (from
 * `Clock`) goes to the success or failure figures of `name` and to `durationSeconds`.
 *
 * @example
 * ```ts
 * const rows = yield* sql`select * from users`.pipe(Monitor.timed("db.users"))
 * ```
 * @since 0.1.0
 */
export const timed: {
  (name: string): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, name: string): Effect.Effect<A, E, R>
} = dual(
  isEffectArgs,
  <A, E, R>(self: Effect.Effect<A, E, R>, name: string): Effect.Effect<A, E, R> =>
    Effect.flatMap(Monitor, (registry) => {
      const entry = registry.entry(name)
      return Effect.flatMap(Clock.currentTimeNanos, (start) =>
        Effect.onExit(self, (exit) =>
          Effect.map(Clock.currentTimeNanos, (end) => {
            entry.record(Exit.isSuccess(exit), Number(end - start))
          })))
    }).pipe(Effect.withSpan(name))
)

/**
 * The figures of every operation timed so far, sorted by name.
 *
 * @example
 * ```ts
 * const timings = yield* Monitor.snapshot
 * for (const t of timings) console.log(t.name, t.success.count, t.success.p99Millis)
 * ```
 * @since 0.1.0
 */
export const snapshot: Effect.Effect<ReadonlyArray<Timing>> = Effect.map(Monitor, (registry) =>
  registry.entries()
    .map((e): Timing => ({ name: e.name, success: e.success.snapshot(), failure: e.failure.snapshot() }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)))
