/**
 * The targets the suite checks, in one place. Each names the figure it compares, the threshold,
 * and how this run's figure is computed from bench/results.json (cases by id, see
 * bench/suite.ts). A target whose cases did not run (BENCH_ONLY) is left out of the report.
 * To add one: append an entry to `targets`.
 */
import type { CaseResult } from "./lib.js"
import { fixed, int, micros, signedPercent } from "./report/format.js"
import { accountingExact, find, httpCpu, httpMedian, perRoundRatios, type Results } from "./report/results.js"
import { caseById } from "./suite.js"

export interface Threshold {
  readonly op: ">=" | "<=" | "<"
  readonly value: number
  /** Shown after the value: "x", "%", " records". */
  readonly unit: string
}

/** This run's figure (compared with the threshold) and what the report shows for it. */
export interface Measured {
  readonly value: number
  readonly shown: string
}

export interface Target {
  readonly id: string
  /** What is promised, in words. */
  readonly description: string
  /** The figure compared, as computed: which cases, which field. */
  readonly figure: string
  readonly threshold: Threshold
  /** undefined when a case it needs did not run. */
  readonly compute: (results: Results) => Measured | undefined
}

export const meets = (threshold: Threshold, value: number): boolean =>
  threshold.op === ">=" ? value >= threshold.value : threshold.op === "<=" ? value <= threshold.value : value < threshold.value

export const showThreshold = (t: Threshold): string => `${t.op} ${t.value}${t.unit}`

/** Two cases' results, when both ran. */
const pair = (results: Results, a: string, b: string): readonly [CaseResult, CaseResult] | undefined => {
  const [ra, rb] = [find(results, a), find(results, b)]
  return ra === undefined || rb === undefined ? undefined : [ra, rb]
}

/** The records/s ratio of two burst cases, with the same ratio within each round. */
const throughputRatio = (results: Results, a: string, b: string): Measured | undefined => {
  const both = pair(results, a, b)
  if (both === undefined) return undefined
  const value = both[0].recordsPerSec / both[1].recordsPerSec
  const rounds = perRoundRatios(results, a, b)
  const within = rounds.length < 2 ? "" : ` (ratio of medians; within each round: ${rounds.map((r) => fixed(r)).join(", ")})`
  return { value, shown: `${fixed(value)} x${within}` }
}

/** The peak RSS ratio of two cases, with both figures and record counts. */
const rssRatio = (results: Results, a: string, b: string): Measured | undefined => {
  const both = pair(results, a, b)
  if (both === undefined) return undefined
  const [ra, rb] = both
  const value = ra.peakRssMiB / rb.peakRssMiB
  return {
    value,
    shown: `${fixed(value)} x (${fixed(ra.peakRssMiB, 0)} vs ${fixed(rb.peakRssMiB, 0)} MiB for ${int(ra.records)} vs ` +
      `${int(rb.records)} records)`
  }
}

/** The figure and computation of a target that compares two cases: `{ id, description, threshold, ...ratio(...) }`. */
export const ratio = (metric: "records/s" | "peak RSS", a: string, b: string): Pick<Target, "figure" | "compute"> => ({
  figure: `${metric} of \`${a}\` / that of \`${b}\`${metric === "records/s" ? " (median runs)" : ""}`,
  compute: (results) => metric === "records/s" ? throughputRatio(results, a, b) : rssRatio(results, a, b)
})

/** Every logfiber case that ran, HTTP runs included. */
const logfiberResults = (results: Results): Array<CaseResult> =>
  [...results.burst, ...results.others].filter((r) => caseById(r.id)?.logfiber === true)
    .concat(results.http.filter((h) => caseById(h.id)?.logfiber === true).map((h) => h.server))

export const targets: ReadonlyArray<Target> = [
  {
    id: "throughput-pino",
    description: "throughput against pino",
    threshold: { op: ">=", value: 1.5, unit: " x" },
    ...ratio("records/s", "logfiber", "pino")
  },
  {
    id: "throughput-toFile",
    description: "throughput against Effect's PlatformLogger.toFile",
    threshold: { op: ">=", value: 3, unit: " x" },
    ...ratio("records/s", "logfiber", "effect-toFile")
  },
  {
    id: "throughput-rotate",
    description: "rotation with gzip costs at most 10 % of the throughput",
    threshold: { op: ">=", value: 0.9, unit: " x" },
    ...ratio("records/s", "logfiber-rotate", "logfiber")
  },
  {
    id: "throughput-components",
    description: "component levels and sampling configured (all records kept) cost at most 5 % of the throughput",
    threshold: { op: ">=", value: 0.95, unit: " x" },
    ...ratio("records/s", "logfiber-components", "logfiber")
  },
  {
    id: "caller-p99",
    description: "caller p99 no worse than pino's",
    figure: "sampled caller p99 of `logfiber` / that of `pino`",
    threshold: { op: "<=", value: 1, unit: " x" },
    compute: (results) => {
      const both = pair(results, "logfiber", "pino")
      const [lf, pino] = [both?.[0].caller, both?.[1].caller]
      return lf === undefined || pino === undefined ? undefined : {
        value: lf.p99 / pino.p99,
        shown: `${micros(lf.p99)} us vs ${micros(pino.p99)} us`
      }
    }
  },
  {
    id: "rss-pino",
    description: "peak RSS of the burst at most half of pino's",
    threshold: { op: "<=", value: 0.5, unit: " x" },
    ...ratio("peak RSS", "logfiber", "pino")
  },
  {
    id: "rss-bounded",
    description: "peak RSS bounded by capacity, not by burst size (same capacity, 4 x the records)",
    threshold: { op: "<=", value: 1.25, unit: " x" },
    ...ratio("peak RSS", "logfiber", "logfiber-quarter")
  },
  {
    id: "sustained-drops",
    description: "no drops at 50,000 records/s sustained",
    figure: "records dropped in `logfiber-sustained`",
    threshold: { op: "<=", value: 0, unit: " dropped" },
    compute: (results) => {
      const sustained = find(results, "logfiber-sustained")
      return sustained === undefined ? undefined : {
        value: sustained.dropped,
        shown: `${int(sustained.dropped)} dropped of ${int(sustained.offered)}`
      }
    }
  },
  {
    id: "many-fibers-rss",
    description: "500 fibers x 2,000 at capacity 1,000: peak RSS at most 1.5 x the same loop with no logger",
    threshold: { op: "<=", value: 1.5, unit: " x" },
    ...ratio("peak RSS", "many-logfiber", "many-none")
  },
  {
    id: "many-fibers-time",
    description: "500 fibers x 2,000 at capacity 1,000: end to end at most 3 x the same loop with no logger (aim: 1.5 x)",
    figure: "seconds of `many-logfiber` / those of `many-none`",
    threshold: { op: "<=", value: 3, unit: " x" },
    compute: (results) => {
      const both = pair(results, "many-logfiber", "many-none")
      if (both === undefined) return undefined
      const [lf, none] = both
      const value = lf.seconds / none.seconds
      return { value, shown: `${fixed(value)} x (${fixed(lf.seconds)} vs ${fixed(none.seconds)} s)` }
    }
  },
  {
    id: "many-fibers-drops",
    description: "500 fibers x 2,000 at capacity 1,000: nothing dropped",
    figure: "records of `many-logfiber` not written: dropped + failed + fallback",
    threshold: { op: "<=", value: 0, unit: " records" },
    compute: (results) => {
      const lf = find(results, "many-logfiber")
      return lf === undefined ? undefined : {
        value: lf.dropped + lf.failed + lf.fallback,
        shown: `${int(lf.dropped)} dropped, ${int(lf.failed)} failed, ${int(lf.fallback)} to stderr of ${int(lf.offered)}`
      }
    }
  },
  {
    id: "accounting",
    description: "exact accounting in every logfiber case",
    figure: "logfiber cases (HTTP runs included) where offered != written + dropped + failed + fallback, or lines on disk != written",
    threshold: { op: "<=", value: 0, unit: " cases" },
    compute: (results) => {
      const all = logfiberResults(results)
      if (all.length === 0) return undefined
      const bad = all.filter((r) => !accountingExact(r))
      return {
        value: bad.length,
        shown: bad.length === 0 ? `${all.length} of ${all.length} exact` : `inexact: ${bad.map((r) => r.id).join(", ")}`
      }
    }
  },
  {
    id: "http-overhead",
    description: "application overhead of logfiber in an HTTP server",
    figure: "1 - median requests/s of `http-logfiber` / that of `http-none` (interleaved runs)",
    threshold: { op: "<", value: 5, unit: " %" },
    compute: (results) => {
      const [none, withLogfiber] = [httpMedian(results, "http-none"), httpMedian(results, "http-logfiber")]
      if (!Number.isFinite(none) || !Number.isFinite(withLogfiber)) return undefined
      const overhead = (1 - withLogfiber / none) * 100
      const [cpuNone, cpuLogfiber, cpuEffect] = ["http-none", "http-logfiber", "http-effect-noop"].map((id) => httpCpu(results, id))
      return {
        value: overhead,
        shown: `${fixed(overhead, 1)} %; server CPU per request ${fixed(cpuLogfiber!, 1)} us vs ${fixed(cpuNone!, 1)} us ` +
          `without logging (${signedPercent(cpuLogfiber! / cpuNone! - 1)}; Effect.logInfo with a no-op logger alone: ` +
          `${signedPercent(cpuEffect! / cpuNone! - 1)})`
      }
    }
  }
]
