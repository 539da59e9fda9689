/**
 * The counters behind `AsyncLogger.stats` and the same figures as Effect `Metric`s. Every record
 * offered ends in exactly one bucket: `offered = written + dropped + failed + fallback + pending`.
 * The hot path only increments fields; metrics are updated from the writer, by deltas.
 */
import * as Metric from "effect/Metric"

/** Counters since the Layer was built (see `AsyncLogger.Stats`). */
export interface Stats {
  /** Records that passed the level filter. */
  readonly offered: number
  /** Records the configured sink accepted. */
  readonly written: number
  /** Records dropped on a full queue. */
  readonly dropped: number
  /** Records the sink failed to write after every retry (they went to stderr). */
  readonly failed: number
  /** Records that went to stderr because the sink could not take them synchronously (a full queue, or the Layer closed). */
  readonly fallback: number
  /** Records queued or being written. */
  readonly pending: number
  /** Successful batch writes. */
  readonly batches: number
  /** Sink write attempts after the first. */
  readonly retries: number
}

export const metrics = {
  offered: Metric.counter("logfiber_records_offered", { description: "Records offered to the logger" }),
  written: Metric.counter("logfiber_records_written", { description: "Records written by a sink" }),
  dropped: Metric.counter("logfiber_records_dropped", { description: "Records dropped on a full queue" }),
  failed: Metric.counter("logfiber_records_failed", { description: "Records a sink failed to write" }),
  fallback: Metric.counter("logfiber_records_fallback", { description: "Records written to stderr instead of the sink" }),
  batches: Metric.counter("logfiber_batches_written", { description: "Batches written by a sink" }),
  retries: Metric.counter("logfiber_sink_retries", { description: "Sink write retries" }),
  pending: Metric.gauge("logfiber_records_pending", { description: "Records queued or being written" })
} as const

const COUNTERS = ["offered", "written", "dropped", "failed", "fallback", "batches", "retries"] as const

export class Accounting {
  offered = 0
  written = 0
  dropped = 0
  failed = 0
  fallback = 0
  batches = 0
  retries = 0
  private readonly reported = { offered: 0, written: 0, dropped: 0, failed: 0, fallback: 0, batches: 0, retries: 0 }

  /** The figures now, with `pending` given by the queue and the batch in flight. */
  stats(pending: number): Stats {
    this.syncMetrics(pending)
    const { offered, written, dropped, failed, fallback, batches, retries } = this
    return { offered, written, dropped, failed, fallback, pending, batches, retries }
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
    metrics.pending.unsafeUpdate(pending, [])
  }
}
