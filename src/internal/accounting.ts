/**
 * The counters behind `AsyncLogger.stats` and the same figures as Effect `Metric`s. Every record
 * offered ends in exactly one bucket: `offered = written + dropped + sampled + failed + fallback + pending`.
 * The hot path only increments fields; metrics are updated from the writer, by deltas.
 */
import type * as LogLevel from "effect/LogLevel"
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import * as MetricLabel from "effect/MetricLabel"
import type { SinkStats } from "../LogSink.js"

/** Counters since the Layer was built (see `AsyncLogger.Stats`). */
export interface Stats {
  /** Records that passed the level filter. */
  readonly offered: number
  /** Records the configured sink accepted. */
  readonly written: number
  /** Records dropped on a full queue. */
  readonly dropped: number
  /** `dropped` by level label (`"INFO"`, `"DEBUG"`, ...): only levels with drops appear. */
  readonly droppedByLevel: Readonly<Record<string, number>>
  /** Records left out by `sample` or `rateLimit` (never a record at or above `Warning`). */
  readonly sampled: number
  /** Records the sink failed to write after every retry (they went to stderr). */
  readonly failed: number
  /** Records that went to stderr because the sink could not take them synchronously (a full queue, or the Layer closed). */
  readonly fallback: number
  /** Records queued or being written. */
  readonly pending: number
  /** Most records the queue has held at once (its high-water mark; `capacity` means it filled). */
  readonly highWater: number
  /** Successful batch writes. */
  readonly batches: number
  /** Sink write attempts after the first. */
  readonly retries: number
  /** Per sink, when the sink is made of several (`LogSink.fanOut`): what each wrote and failed. */
  readonly sinks?: ReadonlyArray<SinkStats> | undefined
}

export const metrics = {
  offered: Metric.counter("logfiber_records_offered", { description: "Records offered to the logger" }),
  written: Metric.counter("logfiber_records_written", { description: "Records written by a sink" }),
  dropped: Metric.counter("logfiber_records_dropped", { description: "Records dropped on a full queue" }),
  droppedByLevel: Metric.counter("logfiber_records_dropped_by_level", {
    description: "Records dropped on a full queue, by level"
  }),
  sampled: Metric.counter("logfiber_records_sampled", { description: "Records left out by sampling or a rate limit" }),
  failed: Metric.counter("logfiber_records_failed", { description: "Records a sink failed to write" }),
  fallback: Metric.counter("logfiber_records_fallback", { description: "Records written to stderr instead of the sink" }),
  batches: Metric.counter("logfiber_batches_written", { description: "Batches written by a sink" }),
  retries: Metric.counter("logfiber_sink_retries", { description: "Sink write retries" }),
  pending: Metric.gauge("logfiber_records_pending", { description: "Records queued or being written" }),
  highWater: Metric.gauge("logfiber_queue_high_water", { description: "Most records the queue has held at once" }),
  batchSize: Metric.histogram(
    "logfiber_batch_size",
    MetricBoundaries.exponential({ start: 1, factor: 2, count: 15 }),
    "Records per batch handed to the sink"
  ),
  sinkWriteSeconds: Metric.histogram(
    "logfiber_sink_write_seconds",
    MetricBoundaries.exponential({ start: 0.00005, factor: 2, count: 20 }),
    "Duration of one sink write attempt, by sink"
  )
} as const

/**
 * Every live logger's push to the metrics, run by `Metrics.render` before it reads the registry:
 * without it, the metrics only move when a batch is written, so a scrape during a stalled sink
 * (or with every record sampled out) shows none of the drops or samples `stats` already counts.
 */
export const liveMetricSyncs = new Set<() => void>()

const COUNTERS = ["offered", "written", "dropped", "sampled", "failed", "fallback", "batches", "retries"] as const

/** One tag array per level, kept: Effect caches a metric's hook by the identity of its extra tags. */
const levelTags = new Map<string, ReadonlyArray<MetricLabel.MetricLabel>>()
const tagsOfLevel = (label: string): ReadonlyArray<MetricLabel.MetricLabel> => {
  let tags = levelTags.get(label)
  if (tags === undefined) {
    tags = [MetricLabel.make("level", label)]
    levelTags.set(label, tags)
  }
  return tags
}

export class Accounting {
  offered = 0
  written = 0
  dropped = 0
  sampled = 0
  failed = 0
  fallback = 0
  batches = 0
  retries = 0
  highWater = 0
  private readonly droppedByLevel: Record<string, number> = {}
  private readonly reportedByLevel: Record<string, number> = {}
  private readonly reported = { offered: 0, written: 0, dropped: 0, sampled: 0, failed: 0, fallback: 0, batches: 0, retries: 0 }

  /** A record dropped on a full queue. */
  drop(level: LogLevel.LogLevel): void {
    this.dropped++
    this.droppedByLevel[level.label] = (this.droppedByLevel[level.label] ?? 0) + 1
  }

  /** The queue held `size` records (read before each drain: between drains the queue only grows). */
  observeQueue(size: number): void {
    if (size > this.highWater) this.highWater = size
  }

  /** The figures now, with `pending` given by the queue and the batch in flight. */
  stats(pending: number): Stats {
    this.syncMetrics(pending)
    const { batches, dropped, failed, fallback, highWater, offered, retries, sampled, written } = this
    const droppedByLevel = { ...this.droppedByLevel }
    return { offered, written, dropped, droppedByLevel, sampled, failed, fallback, pending, highWater, batches, retries }
  }

  /** Push what changed since the last call to the metrics. */
  syncMetrics(pending: number): void {
    for (const key of COUNTERS) {
      const delta = this[key] - this.reported[key]
      if (delta > 0) {
        metrics[key].unsafeUpdate(delta, [])
        this.reported[key] = this[key]
      }
    }
    for (const label in this.droppedByLevel) {
      const delta = this.droppedByLevel[label]! - (this.reportedByLevel[label] ?? 0)
      if (delta > 0) {
        metrics.droppedByLevel.unsafeUpdate(delta, tagsOfLevel(label))
        this.reportedByLevel[label] = this.droppedByLevel[label]!
      }
    }
    metrics.pending.unsafeUpdate(pending, [])
    metrics.highWater.unsafeUpdate(this.highWater, [])
  }
}
