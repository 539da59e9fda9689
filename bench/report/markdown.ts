/**
 * The Markdown report: machine, burst table with ratios against pino and `PlatformLogger.toFile`,
 * the other logfiber cases, the HTTP overhead table, and each target met or not.
 */
import * as fs from "node:fs"
import type { CaseResult } from "../lib.js"
import { manyFiberTargets } from "./manyFibers.js"

export interface Machine {
  readonly cpu: string
  readonly memoryGiB: number
  readonly node: string
  readonly platform: string
  readonly date: string
  readonly commit: string
}

export interface HttpResult {
  readonly variant: string
  readonly requests: number
  readonly seconds: number
  readonly requestsPerSec: number
  readonly latencyP99Ms: number
  readonly errors: number
  readonly server: CaseResult
}

export interface Results {
  readonly machine: Machine
  readonly burst: Array<CaseResult>
  readonly others: Array<CaseResult>
  readonly http: Array<HttpResult>
  readonly labels: Record<string, string>
  /** logfiber's records/s over pino's and over toFile's within each round-robin round. */
  rounds?: Array<RoundRatios> | undefined
}

export interface RoundRatios {
  readonly pino: number
  readonly toFile: number
}

const int = (n: number): string => Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a"
const fixed = (n: number, digits = 2): string => Number.isFinite(n) ? n.toFixed(digits) : "n/a"
const micros = (ns: number | undefined): string => ns === undefined ? "n/a" : fixed(ns / 1000, 1)

const find = (results: Results, name: string): CaseResult | undefined =>
  [...results.burst, ...results.others].find((r) => r.case === name)

/** offered = written + dropped + failed (+ nothing pending), and the file holds what was written. */
export const accountingExact = (r: CaseResult): boolean =>
  r.offered === r.written + r.dropped + r.failed && (r.lines === 0 || r.lines === r.written)

const signedPercent = (ratio: number): string => `${ratio >= 0 ? "+" : ""}${fixed(ratio * 100, 1)} %`

/** Median server CPU time per request (us), from the server's own process.cpuUsage(). */
const httpCpu = (results: Results, variant: string): number =>
  median(
    results.http.filter((h) => h.variant === variant).map((h) => Number(h.server.extra?.cpuMicrosPerRequest)).filter(
      Number.isFinite
    )
  )

const median = (xs: ReadonlyArray<number>): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  if (sorted.length === 0) return NaN
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export const httpMedian = (results: Results, variant: string): number =>
  median(results.http.filter((h) => h.variant === variant).map((h) => h.requestsPerSec))

/** Best of the interleaved runs: on a shared machine noise only ever slows a run down. */
export const httpBest = (results: Results, variant: string): number =>
  Math.max(...results.http.filter((h) => h.variant === variant).map((h) => h.requestsPerSec))

export interface Target {
  readonly name: string
  readonly value: string
  readonly met: boolean
}

/** The same ratio within each round, to show how far the machine's noise moves it. */
const perRound = (results: Results, against: keyof RoundRatios): string =>
  results.rounds === undefined || results.rounds.length < 2
    ? ""
    : ` (ratio of medians; within each round: ${results.rounds.map((r) => fixed(r[against])).join(", ")})`

/** Every target of the issue, computed from this run. */
export const targets = (results: Results): Array<Target> => {
  const lf = find(results, "logfiber-fields")
  const pino = find(results, "pino")
  const toFile = find(results, "effect-platform-toFile")
  const sustained = find(results, "logfiber-sustained")
  const out: Array<Target> = []
  if (lf !== undefined && pino !== undefined) {
    const r = lf.recordsPerSec / pino.recordsPerSec
    out.push({ name: "throughput >= 1.5 x pino", value: `${fixed(r)} x${perRound(results, "pino")}`, met: r >= 1.5 })
  }
  if (lf !== undefined && toFile !== undefined) {
    const r = lf.recordsPerSec / toFile.recordsPerSec
    out.push({
      name: "throughput >= 3 x PlatformLogger.toFile",
      value: `${fixed(r)} x${perRound(results, "toFile")}`,
      met: r >= 3
    })
  }
  if (lf?.caller !== undefined && pino?.caller !== undefined) {
    out.push({
      name: "caller p99 <= pino's p99",
      value: `${micros(lf.caller.p99)} us vs ${micros(pino.caller.p99)} us`,
      met: lf.caller.p99 <= pino.caller.p99
    })
  }
  if (lf !== undefined && pino !== undefined) {
    const r = lf.peakRssMiB / pino.peakRssMiB
    out.push({ name: "peak RSS (1M burst) <= 0.5 x pino", value: `${fixed(r)} x`, met: r <= 0.5 })
  }
  const small = find(results, "logfiber-fields-quarter")
  if (lf !== undefined && small !== undefined) {
    const r = lf.peakRssMiB / small.peakRssMiB
    out.push({
      name: "peak RSS bounded by capacity, not burst size (1M vs 250k records, same capacity)",
      value: `${fixed(lf.peakRssMiB, 0)} vs ${fixed(small.peakRssMiB, 0)} MiB (${fixed(r)} x for 4 x the records)`,
      met: r <= 1.25
    })
  }
  if (sustained !== undefined) {
    out.push({ name: "zero drops at 50,000 records/s sustained", value: `${sustained.dropped} dropped`, met: sustained.dropped === 0 })
  }
  const logfiberCases = [...results.burst, ...results.others].filter((r) => r.case.startsWith("logfiber") || r.case === "slow-sink")
    .concat(results.http.filter((h) => h.variant === "logfiber").map((h) => h.server))
  if (logfiberCases.length > 0) {
    const bad = logfiberCases.filter((r) => !accountingExact(r))
    out.push({
      name: "exact accounting (offered = written + dropped + failed) in every logfiber case",
      value: bad.length === 0 ? `${logfiberCases.length} of ${logfiberCases.length} exact` : `inexact: ${bad.map((r) => r.case).join(", ")}`,
      met: bad.length === 0
    })
  }
  out.push(...manyFiberTargets((name) => find(results, name)))
  const none = httpMedian(results, "none")
  const withLogfiber = httpMedian(results, "logfiber")
  if (Number.isFinite(none) && Number.isFinite(withLogfiber)) {
    const overhead = 1 - withLogfiber / none
    const cpuNone = httpCpu(results, "none")
    const cpuLogfiber = httpCpu(results, "logfiber")
    const cpuEffect = httpCpu(results, "effect-noop")
    out.push({
      name: "application overhead of logfiber < 5% of requests/s (median of the interleaved runs)",
      value: `${fixed(overhead * 100, 1)} %; server CPU per request ${fixed(cpuLogfiber, 1)} us vs ${fixed(cpuNone, 1)} us ` +
        `without logging (${signedPercent(cpuLogfiber / cpuNone - 1)}; Effect.logInfo with a no-op logger alone: ` +
        `${signedPercent(cpuEffect / cpuNone - 1)})`,
      met: overhead < 0.05
    })
  }
  return out
}

const callerCells = (r: CaseResult): string =>
  r.caller === undefined ? "n/a | n/a | n/a" : `${micros(r.caller.p50)} | ${micros(r.caller.p99)} | ${micros(r.caller.p999)}`

const burstTable = (results: Results): Array<string> => {
  const pino = find(results, "pino")
  const toFile = find(results, "effect-platform-toFile")
  const lines = [
    "| Case | records/s | x pino | x toFile | end to end (s) | caller p50 (us) | p99 (us) | p99.9 (us) | peak RSS (MiB) | lines on disk | dropped |",
    "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
  ]
  for (const r of results.burst) {
    const xPino = pino === undefined ? NaN : r.recordsPerSec / pino.recordsPerSec
    const xToFile = toFile === undefined ? NaN : r.recordsPerSec / toFile.recordsPerSec
    lines.push(
      `| ${results.labels[r.case] ?? r.case} | ${int(r.recordsPerSec)} | ${fixed(xPino)} | ${fixed(xToFile)} | ${fixed(r.seconds)} | ` +
        `${callerCells(r)} | ${fixed(r.peakRssMiB, 0)} | ${int(r.lines)} | ${int(r.dropped)} |`
    )
  }
  return lines
}

const othersTable = (results: Results): Array<string> => {
  const lines = [
    "| Case | records | records/s | caller p50 (us) | p99 (us) | p99.9 (us) | peak RSS (MiB) | written | dropped | failed | exact |",
    "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|"
  ]
  for (const r of results.others) {
    lines.push(
      `| ${results.labels[r.case] ?? r.case} | ${int(r.offered)} | ${int(r.recordsPerSec)} | ${callerCells(r)} | ` +
        `${fixed(r.peakRssMiB, 0)} | ${int(r.written)} | ${int(r.dropped)} | ${int(r.failed)} | ${accountingExact(r) ? "yes" : "NO"} |`
    )
  }
  return lines
}

const slowSinkNotes = (results: Results): Array<string> => {
  const slow = find(results, "slow-sink")
  if (slow?.extra === undefined) return []
  const rps = slow.extra.requestsPerSec as Record<string, number>
  const caller = slow.extra.caller as Record<string, { p50: number; p99: number }>
  return [
    "",
    `Slow sink (every write sleeps 1.5 s, capacity ${int(slow.extra.capacity as number)}): an application loop ` +
      `(a little CPU work + one log call per request) ran ${int(rps.slow!)} requests/s against ${int(rps.fast!)} ` +
      `requests/s with a normal FileSink (${int(rps.none!)} without any log call); caller p50/p99 ` +
      `${micros(caller.slow?.p50)}/${micros(caller.slow?.p99)} us against ${micros(caller.fast?.p50)}/${micros(caller.fast?.p99)} us. ` +
      `Drops only past capacity: ${slow.extra.dropsOnlyPastCapacity === true ? "yes" : "NO"} ` +
      `(${int(slow.dropped)} dropped of ${int(slow.offered)} offered; ${int(slow.failed)} still queued at the 2 s shutdown timeout counted as failed).`
  ]
}

const httpTable = (results: Results): Array<string> => {
  if (results.http.length === 0) return []
  const lines = [
    "",
    "| HTTP server (@effect/platform, autocannon, 32 connections) | requests/s (best) | (median) | runs | median vs no logging | server CPU per request (us, median) | CPU vs no logging | lines written | dropped |",
    "|---|--:|--:|--:|--:|--:|--:|--:|--:|"
  ]
  const medianNone = httpMedian(results, "none")
  const cpuNone = httpCpu(results, "none")
  const httpLabels: Record<string, string> = {
    none: "no logging",
    "effect-noop": "Effect.logInfo, no-op logger (Effect's own cost, nothing written)",
    logfiber: "logfiber",
    pino: "pino"
  }
  for (const variant of Object.keys(httpLabels)) {
    const runs = results.http.filter((h) => h.variant === variant)
    if (runs.length === 0) continue
    const best = httpBest(results, variant)
    const writes = variant !== "none" && variant !== "effect-noop"
    lines.push(
      `| ${httpLabels[variant]} | ${int(best)} | ${int(httpMedian(results, variant))} | ` +
        `${runs.map((h) => int(h.requestsPerSec)).join(", ")} | ` +
        `${variant === "none" ? "-" : `${fixed((httpMedian(results, variant) / medianNone - 1) * 100, 1)} %`} | ` +
        `${fixed(httpCpu(results, variant), 1)} | ` +
        `${variant === "none" ? "-" : signedPercent(httpCpu(results, variant) / cpuNone - 1)} | ` +
        `${writes ? int(runs.reduce((s, h) => s + h.server.lines, 0)) : "-"} | ` +
        `${writes ? int(runs.reduce((s, h) => s + h.server.dropped, 0)) : "-"} |`
    )
  }
  return lines
}

export const targetsTable = (results: Results): Array<string> => [
  "| Target | This run | Met |",
  "|---|---|:-:|",
  ...targets(results).map((t) => `| ${t.name} | ${t.value} | ${t.met ? "yes" : "**no**"} |`)
]

export const renderMarkdown = (results: Results, seconds: number): string => {
  const m = results.machine
  return [
    "# Benchmark results",
    "",
    `Generated by \`npm run bench\` on ${m.date} (commit ${m.commit}, whole suite ${seconds.toFixed(0)} s).`,
    `Machine: ${m.cpu}, ${m.memoryGiB} GiB, ${m.platform}; Node ${m.node}. Every case runs in its own process;`,
    "ratios are from this one run of the suite, in which each 1M-record burst case ran BENCH_REPEAT times (default 3,",
    "round-robin) and its median run (by records/s) is shown. Caller cost = sampled `process.hrtime.bigint()` around every 16th call.",
    "End to end = until the last byte is handed to the OS and the file is closed.",
    "",
    "## 1,000,000 records, one tight producer loop",
    "",
    ...burstTable(results),
    "",
    "## Other logfiber cases",
    "",
    ...othersTable(results),
    ...slowSinkNotes(results),
    ...httpTable(results),
    "",
    "## Targets",
    "",
    ...targetsTable(results)
  ].join("\n")
}

const START = "<!-- bench:start (written by npm run bench) -->"
const END = "<!-- bench:end -->"

/** Replace the README's generated block (or append a Benchmarks section with it). */
export const updateReadme = (file: string, results: Results): void => {
  const block = [
    START,
    `Latest run: ${results.machine.date}, ${results.machine.cpu}, Node ${results.machine.node} ` +
      "(full report: [bench/RESULTS.md](bench/RESULTS.md)).",
    "",
    ...burstTable(results),
    "",
    "![chart](bench/chart.svg)",
    "",
    ...targetsTable(results),
    END
  ].join("\n")
  const text = fs.readFileSync(file, "utf8")
  const start = text.indexOf(START)
  const end = text.indexOf(END)
  const next = start !== -1 && end > start
    ? text.slice(0, start) + block + text.slice(end + END.length)
    : text.trimEnd() + "\n\n## Benchmarks\n\n`npm run bench` (about 7 minutes) runs the suite in `bench/`.\n\n" + block + "\n"
  fs.writeFileSync(file, next)
}
