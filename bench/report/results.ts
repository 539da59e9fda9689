/**
 * What one `npm run bench` gives (written as bench/results.json) and the lookups the report and
 * the targets make in it. Every case is found by its id (bench/suite.ts).
 */
import type { CaseResult } from "../lib.js"
import type { Settings } from "../suite.js"

export interface Machine {
  readonly cpu: string
  readonly memoryGiB: number
  readonly node: string
  readonly platform: string
  readonly date: string
  readonly commit: string
}

/** One load of an HTTP case: autocannon's side, and the server's own RESULT. */
export interface HttpResult {
  readonly id: string
  readonly requests: number
  readonly seconds: number
  readonly requestsPerSec: number
  readonly latencyP99Ms: number
  readonly errors: number
  readonly server: CaseResult
}

export interface Results {
  readonly machine: Machine
  readonly settings: Settings
  /** Node/V8 flags given to every case process (BENCH_NODE_FLAGS), if any. */
  readonly nodeFlags: ReadonlyArray<string>
  /** The median run (by records/s) of each burst case. */
  readonly burst: Array<CaseResult>
  /** The other cases, one run each. */
  readonly others: Array<CaseResult>
  /** Every run of the HTTP cases, in the order they ran (interleaved rounds). */
  readonly http: Array<HttpResult>
  /** Records/s of every run of each burst case, in round order (for per-round ratios). */
  readonly rounds: Record<string, Array<number>>
  /** Row label of each case that ran, by id (from bench/suite.ts). */
  readonly labels: Record<string, string>
}

/** The result of a burst or other case, by id. */
export const find = (results: Results, id: string): CaseResult | undefined =>
  [...results.burst, ...results.others].find((r) => r.id === id)

/** offered = written + dropped + failed + fallback (+ nothing pending), and the file holds what was written. */
export const accountingExact = (r: CaseResult): boolean =>
  r.offered === r.written + r.dropped + r.failed + r.fallback && (r.lines === 0 || r.lines === r.written)

export const median = (xs: ReadonlyArray<number>): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  if (sorted.length === 0) return NaN
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export const httpRuns = (results: Results, id: string): Array<HttpResult> => results.http.filter((h) => h.id === id)

/** Median requests/s of an HTTP case over its interleaved runs. */
export const httpMedian = (results: Results, id: string): number => median(httpRuns(results, id).map((h) => h.requestsPerSec))

/** Best of the interleaved runs: on a shared machine noise only ever slows a run down. */
export const httpBest = (results: Results, id: string): number =>
  Math.max(...httpRuns(results, id).map((h) => h.requestsPerSec))

/** Median server CPU time per request (us), from the server's own process.cpuUsage(). */
export const httpCpu = (results: Results, id: string): number =>
  median(httpRuns(results, id).map((h) => Number(h.server.extra?.cpuMicrosPerRequest)).filter(Number.isFinite))

/** a's records/s over b's within each round, when both ran every round. */
export const perRoundRatios = (results: Results, a: string, b: string): Array<number> => {
  const [ra, rb] = [results.rounds[a] ?? [], results.rounds[b] ?? []]
  return ra.length === rb.length ? ra.map((x, i) => x / rb[i]!) : []
}
