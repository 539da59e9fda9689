/**
 * The cases of `npm run bench`, one entry each. The `id` is the case's only name: `bench/run.ts`
 * passes it to the case file as `argv[2]`, the case file dispatches on it and reports it back
 * (`report({ id, ... })`), results.json, the tables, `bench/targets.ts` and `BENCH_ONLY` use it.
 * How to add a case: see the top of `bench/run.ts`.
 */
import type { CaseResult } from "./lib.js"
import { int, micros } from "./report/format.js"

/**
 * How a case is run and where it is reported:
 *   burst  repeated BENCH_REPEAT times, round-robin; median run shown in the burst table, with
 *          its ratio to pino and to `PlatformLogger.toFile` (and in the chart);
 *   other  run once; one row in the "Other cases" table;
 *   http   an HTTP server case (`bench/cases/httpServer.ts` protocol: READY <port>, IPC
 *          "measure"/"stop"), loaded by autocannon in BENCH_HTTP_ROUNDS interleaved rounds.
 */
export type Group = "burst" | "other" | "http"

/** The run's settings (from the environment), as a case's `env` may need them. */
export interface Settings {
  /** BENCH_RECORDS: records per burst case (default 1,000,000). */
  readonly records: number
  /** BENCH_REPEAT: runs of each burst case (default 3); the median is reported. */
  readonly repeat: number
  /** BENCH_HTTP_REQUESTS: measured requests per HTTP run (default 40,000). */
  readonly httpRequests: number
  /** BENCH_HTTP_ROUNDS: interleaved rounds of the HTTP cases (default 5). */
  readonly httpRounds: number
}

export const defaultSettings: Settings = { records: 1_000_000, repeat: 3, httpRequests: 40_000, httpRounds: 5 }

export interface CaseSpec {
  /** The case's one name (lowercase, dashes). */
  readonly id: string
  /** The row label in the tables and the chart. */
  readonly label: string
  /** The file under `bench/cases/` that runs it (dispatching on the id). */
  readonly file: string
  readonly group: Group
  /** A logfiber case: its accounting must be exact (checked by a target), highlighted in the chart. */
  readonly logfiber: boolean
  /** Extra environment for the case's process. */
  readonly env?: (settings: Settings) => Record<string, string>
  /** A sentence under the tables, from the case's result (its `extra` figures). */
  readonly note?: (result: CaseResult) => string
}

const slowSinkNote = (slow: CaseResult): string => {
  const extra = slow.extra ?? {}
  const rps = extra.requestsPerSec as Record<string, number>
  const caller = extra.caller as Record<string, { p50: number; p99: number } | undefined>
  return `Slow sink (every write sleeps 1.5 s, capacity ${int(extra.capacity as number)}): an application loop ` +
    `(a little CPU work + one log call per request) ran ${int(rps.slow!)} requests/s against ${int(rps.fast!)} ` +
    `requests/s with a normal FileSink (${int(rps.none!)} without any log call); caller p50/p99 ` +
    `${micros(caller.slow?.p50)}/${micros(caller.slow?.p99)} us against ${micros(caller.fast?.p50)}/${micros(caller.fast?.p99)} us. ` +
    `Drops only past capacity: ${extra.dropsOnlyPastCapacity === true ? "yes" : "NO"} ` +
    `(${int(slow.dropped)} dropped of ${int(slow.offered)} offered; ${int(slow.failed)} still queued at the 2 s shutdown timeout counted as failed).`
}

/** Every case, in the order they run and are shown. */
export const cases: ReadonlyArray<CaseSpec> = [
  // burst: the same records from one tight producer loop, against the peers
  { id: "logfiber", label: "logfiber: Effect.logInfo(msg, fields)", file: "logfiber.ts", group: "burst", logfiber: true },
  { id: "logfiber-annotate", label: "logfiber: Effect.annotateLogs(fields)", file: "logfiber.ts", group: "burst", logfiber: true },
  {
    id: "logfiber-components",
    label: "logfiber: the same, component levels and sampling configured (all kept)",
    file: "logfiber.ts",
    group: "burst",
    logfiber: true
  },
  {
    id: "logfiber-rotate",
    label: "logfiber: the same, FileSink rotate { maxBytes: 10 MiB, compress: gzip }",
    file: "logfiber.ts",
    group: "burst",
    logfiber: true
  },
  { id: "effect-toFile", label: "Effect PlatformLogger.toFile(jsonLogger)", file: "effect.ts", group: "burst", logfiber: false },
  { id: "effect-sync", label: "Effect jsonLogger + writeSync per record", file: "effect.ts", group: "burst", logfiber: false },
  { id: "pino", label: "pino 10, destination({ sync: false })", file: "node.ts", group: "burst", logfiber: false },
  { id: "winston", label: "winston 3, File transport", file: "node.ts", group: "burst", logfiber: false },
  { id: "raw", label: "raw: JSON.stringify + writeSync per 1,000", file: "node.ts", group: "burst", logfiber: false },
  // other logfiber cases, run once
  {
    id: "logfiber-quarter",
    label: "logfiber: a quarter of the burst (RSS vs burst size)",
    file: "logfiber.ts",
    group: "other",
    logfiber: true,
    env: (s) => ({ BENCH_RECORDS: String(Math.floor(s.records / 4)) })
  },
  { id: "logfiber-concurrent", label: "logfiber: 500 fibers, the burst split among them", file: "logfiber.ts", group: "other", logfiber: true },
  { id: "logfiber-sustained", label: "logfiber: 50,000 records/s for 10 s", file: "logfiber.ts", group: "other", logfiber: true },
  { id: "slow-sink", label: "logfiber: sink write takes 1.5 s", file: "slowSink.ts", group: "other", logfiber: true, note: slowSinkNote },
  { id: "directory-1k", label: "logfiber: DirectorySink, gzip, 1 KiB payload (one file per record)", file: "directory.ts", group: "other", logfiber: true },
  { id: "directory-64k", label: "logfiber: DirectorySink, gzip, 64 KiB payload (one file per record)", file: "directory.ts", group: "other", logfiber: true },
  { id: "file-plain", label: "logfiber: FileSink, no encryption", file: "directory.ts", group: "other", logfiber: true },
  {
    id: "file-encrypted",
    label: "logfiber: FileSink, AES-256-GCM per batch",
    file: "directory.ts",
    group: "other",
    logfiber: true,
    note: (r) => `FileSink with encryption (one AES-256-GCM block per batch): ${int(r.recordsPerSec)} records/s.`
  },
  // 500 fibers x 2,000 records (every 1,000th an Error) at capacity 1,000, against the same loop with no logger
  { id: "many-none", label: "500 fibers x 2,000: no logger (the same loop)", file: "manyFibers.ts", group: "other", logfiber: false },
  {
    id: "many-logfiber",
    label: "500 fibers x 2,000: logfiber, capacity 1,000, null sink",
    file: "manyFibers.ts",
    group: "other",
    logfiber: true
  },
  {
    id: "many-logfiber-file",
    label: "500 fibers x 2,000: logfiber, capacity 1,000, FileSink",
    file: "manyFibers.ts",
    group: "other",
    logfiber: true
  },
  {
    id: "many-effect",
    label: "500 fibers x 2,000: Effect's logfmt format, PlatformLogger.toFile",
    file: "manyFibers.ts",
    group: "other",
    logfiber: false
  },
  { id: "many-pino", label: "500 fibers x 2,000: pino, 500 async callers", file: "manyFibers.ts", group: "other", logfiber: false },
  // the HTTP server, one case per variant; the first is the baseline of the HTTP table
  { id: "http-none", label: "no logging", file: "httpServer.ts", group: "http", logfiber: false },
  {
    id: "http-effect-noop",
    label: "Effect.logInfo, no-op logger (Effect's own cost, nothing written)",
    file: "httpServer.ts",
    group: "http",
    logfiber: false
  },
  { id: "http-logfiber", label: "logfiber", file: "httpServer.ts", group: "http", logfiber: true },
  { id: "http-pino", label: "pino", file: "httpServer.ts", group: "http", logfiber: false }
]

export const caseById = (id: string): CaseSpec | undefined => cases.find((c) => c.id === id)
