/**
 * The Markdown report (bench/RESULTS.md): machine and settings, the burst table with ratios
 * against pino and `PlatformLogger.toFile`, the other cases, the HTTP table, and every target
 * of bench/targets.ts met or not. Headings state this run's real record and request counts.
 */
import type { CaseResult } from "../lib.js"
import { meets, showThreshold, targets } from "../targets.js"
import { cases, defaultSettings } from "../suite.js"
import { fixed, int, micros, signedPercent } from "./format.js"
import { accountingExact, find, httpBest, httpCpu, httpMedian, httpRuns, type Results } from "./results.js"

const label = (results: Results, id: string): string => results.labels[id] ?? id

const callerCells = (r: CaseResult): string =>
  r.caller === undefined ? "n/a | n/a | n/a" : `${micros(r.caller.p50)} | ${micros(r.caller.p99)} | ${micros(r.caller.p999)}`

/** "1,000,000 records" when every burst case ran the same count, else the range. */
export const burstRecords = (results: Results): string => {
  const counts = [...new Set(results.burst.map((r) => r.records))].sort((a, b) => a - b)
  return counts.length <= 1
    ? `${int(counts[0] ?? results.settings.records)} records`
    : `${int(counts[0]!)} to ${int(counts[counts.length - 1]!)} records`
}

export const burstTable = (results: Results): Array<string> => {
  const pino = find(results, "pino")
  const toFile = find(results, "effect-toFile")
  const lines = [
    "| Case | records/s | x pino | x toFile | end to end (s) | caller p50 (us) | p99 (us) | p99.9 (us) | peak RSS (MiB) | lines on disk | dropped |",
    "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
  ]
  for (const r of results.burst) {
    const xPino = pino === undefined ? NaN : r.recordsPerSec / pino.recordsPerSec
    const xToFile = toFile === undefined ? NaN : r.recordsPerSec / toFile.recordsPerSec
    lines.push(
      `| ${label(results, r.id)} | ${int(r.recordsPerSec)} | ${fixed(xPino)} | ${fixed(xToFile)} | ${fixed(r.seconds)} | ` +
        `${callerCells(r)} | ${fixed(r.peakRssMiB, 0)} | ${int(r.lines)} | ${int(r.dropped)} |`
    )
  }
  return lines
}

const othersTable = (results: Results): Array<string> => {
  const lines = [
    "| Case | records | records/s | caller p50 (us) | p99 (us) | p99.9 (us) | peak RSS (MiB) | written | dropped | failed | fallback | exact |",
    "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|"
  ]
  for (const r of results.others) {
    lines.push(
      `| ${label(results, r.id)} | ${int(r.offered)} | ${int(r.recordsPerSec)} | ${callerCells(r)} | ` +
        `${fixed(r.peakRssMiB, 0)} | ${int(r.written)} | ${int(r.dropped)} | ${int(r.failed)} | ${int(r.fallback)} | ${accountingExact(r) ? "yes" : "NO"} |`
    )
  }
  return lines
}

/** Each case's own sentence (CaseSpec.note), for the cases that ran. */
const notes = (results: Results): Array<string> =>
  cases.flatMap((spec) => {
    const result = spec.note === undefined ? undefined : find(results, spec.id)
    return result === undefined ? [] : ["", spec.note!(result)]
  })

const httpTable = (results: Results): Array<string> => {
  const ids = cases.filter((c) => c.group === "http" && httpRuns(results, c.id).length > 0).map((c) => c.id)
  if (ids.length === 0) return []
  // the first HTTP case of bench/suite.ts (no logging) is the baseline
  const baseline = cases.find((c) => c.group === "http")!.id
  const [medianBase, cpuBase] = [httpMedian(results, baseline), httpCpu(results, baseline)]
  const rows = ids.map((id) => {
    const runs = httpRuns(results, id)
    const lines = runs.reduce((s, h) => s + h.server.lines, 0)
    const vs = (x: string) => id === baseline ? "-" : x
    return `| ${label(results, id)} | ${int(httpBest(results, id))} | ${int(httpMedian(results, id))} | ` +
      `${runs.map((h) => int(h.requestsPerSec)).join(", ")} | ` +
      `${vs(signedPercent(httpMedian(results, id) / medianBase - 1))} | ${fixed(httpCpu(results, id), 1)} | ` +
      `${vs(signedPercent(httpCpu(results, id) / cpuBase - 1))} | ` +
      `${lines === 0 ? "-" : int(lines)} | ${lines === 0 ? "-" : int(runs.reduce((s, h) => s + h.server.dropped, 0))} |`
  })
  const s = results.settings
  return [
    "",
    `## HTTP server: ${int(s.httpRequests)} requests per run, ${s.httpRounds} interleaved round${s.httpRounds === 1 ? "" : "s"}`,
    "",
    "| HTTP server (@effect/platform, autocannon, 32 connections) | requests/s (best) | (median) | runs | median vs no logging | server CPU per request (us, median) | CPU vs no logging | lines written | dropped |",
    "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ...rows
  ]
}

/** Every target whose cases ran, with its figure, threshold and this run's value. */
export const targetsTable = (results: Results): Array<string> => [
  "| Target | Figure compared | Threshold | This run | Met |",
  "|---|---|--:|---|:-:|",
  ...targets.flatMap((t) => {
    const measured = t.compute(results)
    return measured === undefined ? [] : [
      `| ${t.description} | ${t.figure} | ${showThreshold(t.threshold)} | ${measured.shown} | ` +
      `${meets(t.threshold, measured.value) ? "yes" : "**no**"} |`
    ]
  })
]

/** Settings that differ from the defaults (a reduced or diagnostic run), in words. */
const departures = (results: Results): Array<string> => {
  const s = results.settings
  const out = (Object.keys(defaultSettings) as Array<keyof typeof defaultSettings>)
    .filter((k) => s[k] !== defaultSettings[k])
    .map((k) => `${k} ${int(s[k])} (default ${int(defaultSettings[k])})`)
  return results.nodeFlags.length === 0 ? out : [...out, `Node flags ${results.nodeFlags.join(" ")}`]
}

export const renderMarkdown = (results: Results, seconds: number): string => {
  const m = results.machine
  const changed = departures(results)
  return [
    "# Benchmark results",
    "",
    `Generated by \`npm run bench\` on ${m.date} (commit ${m.commit}, whole suite ${seconds.toFixed(0)} s).`,
    `Machine: ${m.cpu}, ${m.memoryGiB} GiB, ${m.platform}; Node ${m.node}. Every case runs in its own process;`,
    `ratios are from this one run of the suite, in which each burst case ran ${results.settings.repeat} time(s)`,
    "(round-robin) and its median run (by records/s) is shown. Caller cost = sampled `process.hrtime.bigint()` around every 16th call.",
    "End to end = until the last byte is handed to the OS and the file is closed.",
    ...(changed.length === 0 ? [] : ["", `**Not the default settings: ${changed.join(", ")}. Not comparable with the targets.**`]),
    "",
    `## Burst: ${burstRecords(results)}, one tight producer loop`,
    "",
    ...burstTable(results),
    "",
    "## Other cases",
    "",
    ...othersTable(results),
    ...notes(results),
    ...httpTable(results),
    "",
    "## Targets",
    "",
    ...targetsTable(results)
  ].join("\n")
}
