/**
 * Shared parts of the benchmark cases: the record shape, the caller-cost sampler, the temp
 * file, counting lines on disk, and the one line of JSON each case prints for `bench/run.ts`.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

/** Records per burst case (override with BENCH_RECORDS for a quick run). */
export const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000)

export const MESSAGE = "request handled"

/** The three fields of every record: a counter, a short string, a path. */
export type Fields = {
  readonly n: number
  readonly s: string
  readonly path: string
}

export const fields = (n: number): Fields => ({ n, s: "short", path: "/api/items/42" })

/** Every SAMPLE_EVERY-th call is timed with `process.hrtime.bigint()`. */
export const SAMPLE_MASK = 15

/** Caller-cost sampler: a preallocated array of nanosecond timings. */
export class Sampler {
  private readonly samples: Float64Array
  private count = 0
  constructor(expected: number) {
    this.samples = new Float64Array(Math.max(1, Math.ceil(expected / (SAMPLE_MASK + 1)) + 1))
  }
  record(start: bigint): void {
    const ns = Number(process.hrtime.bigint() - start)
    if (this.count < this.samples.length) this.samples[this.count++] = ns
  }
  summary(): CallerCost {
    const sorted = this.samples.slice(0, this.count).sort()
    const at = (q: number): number => sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
    return { samples: this.count, p50: at(0.5), p99: at(0.99), p999: at(0.999) }
  }
}

/** Nanoseconds per log call, from the sampled timings. */
export interface CallerCost {
  readonly samples: number
  readonly p50: number
  readonly p99: number
  readonly p999: number
}

/** A fresh temp dir (removed at exit) and a log file path in it. */
export const tempFile = (name = "bench.log"): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "logfiber-bench-"))
  process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }))
  return path.join(dir, name)
}

/** Newline bytes in a file (lines on disk). */
export const countLines = (file: string): number => {
  if (!fs.existsSync(file)) return 0
  const fd = fs.openSync(file, "r")
  const buffer = Buffer.allocUnsafe(1 << 20)
  let lines = 0
  try {
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, buffer.length, null)
      if (n === 0) break
      let i = buffer.indexOf(10, 0)
      while (i !== -1 && i < n) {
        lines++
        i = buffer.indexOf(10, i + 1)
      }
    }
  } finally {
    fs.closeSync(fd)
  }
  return lines
}

/** Peak resident set size of this process, in MiB. */
export const peakRssMiB = (): number => process.resourceUsage().maxRSS / 1024

/** What every case reports (fields not relevant to a case are omitted). */
export interface CaseResult {
  /** The case's id (bench/suite.ts), as given to the case file in argv[2]. */
  readonly id: string
  readonly records: number
  readonly seconds: number
  readonly recordsPerSec: number
  readonly caller?: CallerCost
  readonly peakRssMiB: number
  readonly lines: number
  readonly offered: number
  readonly written: number
  readonly dropped: number
  readonly failed: number
  /** Records that went to stderr instead of the sink (logfiber's `Stats.fallback`). */
  readonly fallback: number
  readonly extra?: Record<string, unknown>
}

/** The accounting fields of a logfiber case's result, from `AsyncLogger.stats`. */
export const logfiberCounts = (s: {
  readonly offered: number
  readonly written: number
  readonly dropped: number
  readonly failed: number
  readonly fallback: number
}) => ({ offered: s.offered, written: s.written, dropped: s.dropped, failed: s.failed, fallback: s.fallback })

/** Print the result as the case's last stdout line, prefixed so the runner can find it. */
export const report = (result: Omit<CaseResult, "peakRssMiB" | "recordsPerSec"> & { peakRssMiB?: number }): void => {
  const full: CaseResult = {
    ...result,
    recordsPerSec: result.seconds > 0 ? result.records / result.seconds : 0,
    peakRssMiB: result.peakRssMiB ?? peakRssMiB()
  }
  process.stdout.write("RESULT " + JSON.stringify(full) + "\n")
}

/** The case id `bench/run.ts` passes as argv[2] (a case file may default it for a manual run). */
export const caseId = (fallback: string): string => process.argv[2] ?? fallback

/** Seconds since `start` (from `process.hrtime.bigint()`). */
export const secondsSince = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9

/** Report a case that keeps no counters of its own: lines on disk were written, the rest lost. */
export const reportFromFile = (id: string, seconds: number, sampler: Sampler, file: string): void => {
  const lines = countLines(file)
  report({
    id,
    records: RECORDS,
    seconds,
    caller: sampler.summary(),
    lines,
    offered: RECORDS,
    written: lines,
    dropped: RECORDS - lines,
    failed: 0,
    fallback: 0
  })
}
