/**
 * The many-fiber burst (bench/cases/manyFibers.ts): its cases for bench/run.ts and its targets
 * for the report. 500 fibers x 2,000 records at capacity 1,000 must drop nothing and cost at most
 * 1.5 x the peak RSS and 3 x the time of the same loop with no logger.
 */
import type { CaseResult } from "../lib.js"

export const manyFiberSpecs = [
  { id: "many-none", label: "500 fibers x 2,000: no logger (the same loop)", file: "manyFibers.ts", variant: "none" },
  {
    id: "many-logfiber",
    label: "500 fibers x 2,000: logfiber, capacity 1,000, null sink",
    file: "manyFibers.ts",
    variant: "logfiber"
  },
  {
    id: "many-logfiber-file",
    label: "500 fibers x 2,000: logfiber, capacity 1,000, FileSink",
    file: "manyFibers.ts",
    variant: "lf-file"
  },
  {
    id: "many-effect",
    label: "500 fibers x 2,000: Effect's logfmt format, PlatformLogger.toFile",
    file: "manyFibers.ts",
    variant: "effect"
  },
  { id: "many-pino", label: "500 fibers x 2,000: pino, 500 async callers", file: "manyFibers.ts", variant: "pino" }
] as const

export const RSS_LIMIT = 1.5
export const TIME_LIMIT = 3

const fixed = (n: number, digits = 2): string => Number.isFinite(n) ? n.toFixed(digits) : "n/a"

/** The three targets, when both the no-logger and the logfiber case ran. */
export const manyFiberTargets = (
  find: (name: string) => CaseResult | undefined
): Array<{ readonly name: string; readonly value: string; readonly met: boolean }> => {
  const none = find("many-none")
  const lf = find("many-logfiber")
  if (none === undefined || lf === undefined) return []
  const rss = lf.peakRssMiB / none.peakRssMiB
  const time = lf.seconds / none.seconds
  return [
    {
      name: `500 fibers x 2,000 at capacity 1,000: peak RSS <= ${RSS_LIMIT} x no logger`,
      value: `${fixed(lf.peakRssMiB, 0)} vs ${fixed(none.peakRssMiB, 0)} MiB (${fixed(rss)} x)`,
      met: rss <= RSS_LIMIT
    },
    {
      name: `500 fibers x 2,000 at capacity 1,000: time <= ${TIME_LIMIT} x no logger`,
      value: `${fixed(lf.seconds)} vs ${fixed(none.seconds)} s (${fixed(time)} x)`,
      met: time <= TIME_LIMIT
    },
    {
      name: "500 fibers x 2,000 at capacity 1,000: zero drops",
      value: `${lf.dropped} dropped, ${lf.failed} failed of ${lf.offered}`,
      met: lf.dropped === 0 && lf.failed === 0 && lf.written === lf.offered
    }
  ]
}
