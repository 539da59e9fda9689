/**
 * Fixed-memory timing statistics for `Monitor.timed`: exact count, sum, min and max, a
 * log-linear histogram for percentiles and a ring of the last runs. Nothing grows with the
 * number of timings: every array is allocated once, in the constructor.
 */

/** Sub-buckets per power of two: a bucket spans 1/128 of its lower bound. */
export const SUB_BUCKETS = 128
/** Powers of two covered, in nanoseconds: 1 ns .. 2^53 ns (about 104 days). */
const OCTAVES = 53
/**
 * Largest relative error of a reported percentile against the exact (nearest-rank) one: the
 * midpoint of a bucket is at most half a bucket, 1/256 of its lower bound, away from any value in it.
 */
export const RELATIVE_RESOLUTION = 1 / (2 * SUB_BUCKETS)

/**
 * A log-linear histogram of non-negative values (nanoseconds): bucket 0 holds values below 1,
 * then 128 equal buckets per power of two. 6,785 counts in one Float64Array (53 KiB).
 */
export class LogLinearHistogram {
  readonly counts = new Float64Array(1 + OCTAVES * SUB_BUCKETS + 1)

  static indexOf(value: number): number {
    if (!(value >= 1)) return 0
    let exponent = Math.floor(Math.log2(value))
    // log2 rounds near powers of two; correct by one either way
    if (2 ** exponent > value) exponent--
    else if (2 ** (exponent + 1) <= value) exponent++
    if (exponent >= OCTAVES) return 1 + OCTAVES * SUB_BUCKETS
    const sub = Math.floor((value / 2 ** exponent - 1) * SUB_BUCKETS)
    return 1 + exponent * SUB_BUCKETS + sub
  }

  /** The midpoint of bucket `index` (0 for the bucket below 1). */
  static midpoint(index: number): number {
    if (index === 0) return 0
    const exponent = Math.floor((index - 1) / SUB_BUCKETS)
    const sub = (index - 1) % SUB_BUCKETS
    const width = 2 ** exponent / SUB_BUCKETS
    return 2 ** exponent + sub * width + width / 2
  }

  record(value: number): void {
    this.counts[LogLinearHistogram.indexOf(value)]!++
  }

  /** The nearest-rank `q` quantile (0 < q <= 1), as its bucket's midpoint; NaN when empty. */
  quantile(q: number, total: number): number {
    if (total === 0) return NaN
    const rank = Math.max(1, Math.ceil(q * total))
    let seen = 0
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!
      if (seen >= rank) return LogLinearHistogram.midpoint(i)
    }
    return NaN
  }

  get byteLength(): number {
    return this.counts.byteLength
  }
}

/** Figures of one outcome (success or failure) of one operation, in milliseconds. */
export interface OutcomeSnapshot {
  readonly count: number
  readonly totalMillis: number
  readonly meanMillis: number
  readonly minMillis: number
  readonly maxMillis: number
  readonly p50Millis: number
  readonly p95Millis: number
  readonly p99Millis: number
  /** Mean of the last `recentSize` runs (fewer while there have been fewer). */
  readonly recentMeanMillis: number
}

const NANOS_PER_MILLI = 1_000_000

/** Count, sum, min, max, histogram and the ring of the last runs, all in nanoseconds. */
export class OutcomeStats {
  count = 0
  sum = 0
  min = Infinity
  max = -Infinity
  readonly histogram = new LogLinearHistogram()
  readonly recent: Float64Array
  private recentNext = 0

  constructor(recentSize: number) {
    this.recent = new Float64Array(recentSize)
  }

  record(nanos: number): void {
    this.count++
    this.sum += nanos
    if (nanos < this.min) this.min = nanos
    if (nanos > this.max) this.max = nanos
    this.histogram.record(nanos)
    this.recent[this.recentNext] = nanos
    this.recentNext = this.recentNext + 1 === this.recent.length ? 0 : this.recentNext + 1
  }

  /** A percentile, kept within [min, max] so that p100 is the exact maximum. */
  private percentile(q: number): number {
    const value = this.histogram.quantile(q, this.count)
    return Number.isNaN(value) ? NaN : Math.min(this.max, Math.max(this.min, value))
  }

  snapshot(): OutcomeSnapshot {
    const empty = this.count === 0
    const held = Math.min(this.count, this.recent.length)
    let recentSum = 0
    for (let i = 0; i < held; i++) recentSum += this.recent[i]!
    return {
      count: this.count,
      totalMillis: this.sum / NANOS_PER_MILLI,
      meanMillis: empty ? NaN : this.sum / this.count / NANOS_PER_MILLI,
      minMillis: empty ? NaN : this.min / NANOS_PER_MILLI,
      maxMillis: empty ? NaN : this.max / NANOS_PER_MILLI,
      p50Millis: this.percentile(0.5) / NANOS_PER_MILLI,
      p95Millis: this.percentile(0.95) / NANOS_PER_MILLI,
      p99Millis: this.percentile(0.99) / NANOS_PER_MILLI,
      recentMeanMillis: empty ? NaN : recentSum / held / NANOS_PER_MILLI
    }
  }

  /** Bytes held by the arrays: fixed from construction on. */
  get byteLength(): number {
    return this.histogram.byteLength + this.recent.byteLength
  }
}
