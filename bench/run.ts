/**
 * `npm run bench`: every case of bench/suite.ts in its own Node process, one after the other,
 * then the report: printed, and written to bench/RESULTS.md, bench/results.json and
 * bench/chart.svg (never to README.md). Ratios come from this one run.
 *
 * Adding a case (one entry, one body):
 *   1. In bench/suite.ts, append `{ id, label, file, group, logfiber, env?, note? }` to `cases`.
 *      The id is the case's only name: tables, results.json, bench/targets.ts and BENCH_ONLY use it.
 *      group "burst" = repeated and compared with pino/toFile; "other" = run once; "http" = an
 *      HTTP server case loaded by autocannon (protocol of bench/cases/httpServer.ts).
 *   2. In bench/cases/<file>.ts, run the case named by `caseId(...)` (argv[2]; the files keep a
 *      `bodies` table by id) and end with `report({ id, records, seconds, ... })` from bench/lib.ts
 *      (records = the count it really ran). A new file in bench/cases/ is bundled automatically.
 *   3. A target for it, if any: one entry in `targets` of bench/targets.ts.
 *   Check it alone: `BENCH_ONLY=<id> BENCH_RECORDS=100000 npm run bench`.
 *
 * Environment: BENCH_RECORDS (default 1,000,000), BENCH_REPEAT (runs per burst case, default 3,
 * the median reported), BENCH_HTTP_REQUESTS (default 40,000), BENCH_HTTP_ROUNDS (default 5),
 * BENCH_ONLY (comma-separated case ids, or a group name "burst", "other", "http", for
 * development), BENCH_NODE_FLAGS (extra Node/V8 flags for every case process, e.g.
 * `--no-allocation-site-pretenuring`, for diagnosis). A run with BENCH_ONLY or BENCH_NODE_FLAGS
 * prints its report and writes no files. A run with reduced settings writes the files, and the
 * report says so in bold (do not commit such results).
 * Case-specific: BENCH_YIELD_ON_PRESSURE=0 (logfiber cases with `yieldOnPressure: false`),
 * BENCH_BATCH_WINDOW (the HTTP server's `batchWindow`, ms), BENCH_SUSTAINED_SECONDS (10),
 * BENCH_SLOW_SECONDS (3).
 */
import autocannon from "autocannon"
import * as esbuild from "esbuild"
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import type { CaseResult } from "./lib.js"
import { renderChart } from "./report/chart.js"
import { renderMarkdown } from "./report/markdown.js"
import type { HttpResult, Machine, Results } from "./report/results.js"
import { type CaseSpec, cases, defaultSettings, type Settings } from "./suite.js"

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, "..")
const only = process.env.BENCH_ONLY?.split(",").map((id) => id.trim())
const wanted = (spec: CaseSpec): boolean => only === undefined || only.includes(spec.id) || only.includes(spec.group)
const CASE_TIMEOUT_MS = 180_000
const HTTP_WARMUP = 15_000

const setting = (name: string, fallback: number, min: number): number => {
  const raw = process.env[name]
  const value = raw === undefined ? fallback : Number(raw)
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}; got ${raw}`)
  return value
}

const settings: Settings = {
  records: setting("BENCH_RECORDS", defaultSettings.records, 500),
  repeat: setting("BENCH_REPEAT", defaultSettings.repeat, 1),
  httpRequests: setting("BENCH_HTTP_REQUESTS", defaultSettings.httpRequests, 1),
  httpRounds: setting("BENCH_HTTP_ROUNDS", defaultSettings.httpRounds, 1)
}

// Every case runs as one plain ESM bundle built by esbuild (its dependencies included, as an
// application would ship): no TypeScript loader in the measured process, whose worker thread
// alone added ~26 MiB of RSS to every case, and the same treatment for logfiber and its peers.
const buildDir = path.join(here, ".build")
const buildCases = async (): Promise<void> => {
  await esbuild.build({
    entryPoints: fs.readdirSync(path.join(here, "cases")).filter((f) => f.endsWith(".ts")).map((f) =>
      path.join(here, "cases", f)
    ),
    outdir: buildDir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    // CommonJS dependencies (pino, winston) call require() inside the ESM bundle
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning"
  })
}

const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? "").split(/\s+/).filter((flag) => flag.length > 0)
const nodeArgs = (spec: CaseSpec): Array<string> =>
  [...nodeFlags, path.join(buildDir, spec.file.replace(/\.ts$/, ".mjs")), spec.id]

const parseResult = (stdout: string): CaseResult | undefined => {
  const line = stdout.split("\n").reverse().find((l) => l.startsWith("RESULT "))
  return line === undefined ? undefined : JSON.parse(line.slice("RESULT ".length)) as CaseResult
}

/** Run one case to completion; its stderr is kept only to explain a failure. */
const runCase = (spec: CaseSpec): Promise<CaseResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs(spec), {
      cwd: root,
      env: { ...process.env, BENCH_RECORDS: String(settings.records), ...spec.env?.(settings) },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => void (stdout += d.toString()))
    child.stderr.on("data", (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-4000)))
    const timer = setTimeout(() => child.kill("SIGKILL"), CASE_TIMEOUT_MS)
    child.on("close", (code) => {
      clearTimeout(timer)
      const result = parseResult(stdout)
      if (code === 0 && result !== undefined) resolve(result)
      else reject(new Error(`case ${spec.id} exited with ${code}: ${stderr.slice(-1500)}`))
    })
  })

let pinned = false

/** With taskset and two or more CPUs, move this process to CPU 1 (the server gets CPU 0). */
const pinLoadGenerator = (): boolean => {
  if (os.cpus().length < 2) return false
  try {
    execFileSync("taskset", ["-p", "-c", "1", String(process.pid)], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}

/** Start the HTTP server case, load it with autocannon, stop it, collect both sides. */
const runHttp = (spec: CaseSpec, requests: number): Promise<HttpResult> =>
  new Promise((resolve, reject) => {
    // the server on CPU 0, this process (the load generator) on CPU 1: they do not compete
    const [command, args] = pinned
      ? ["taskset", ["-c", "0", process.execPath, ...nodeArgs(spec)]]
      : [process.execPath, nodeArgs(spec)]
    const child = spawn(command, args, {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe", "ipc"]
    })
    let stdout = ""
    let stderr = ""
    let loaded: Omit<HttpResult, "server"> | undefined
    const timer = setTimeout(() => child.kill("SIGKILL"), CASE_TIMEOUT_MS)
    child.stderr!.on("data", (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-4000)))
    child.stdout!.on("data", (d: Buffer) => {
      const before = stdout
      stdout += d.toString()
      const ready = /READY (\d+)/.exec(stdout)
      if (ready === null || /READY (\d+)/.test(before)) return
      void measure(`http://127.0.0.1:${ready[1]}/`)
    })
    // a warm-up load first (JIT), then the measured one
    const measure = async (url: string): Promise<void> => {
      await new Promise((done) => autocannon({ url, connections: 32, amount: HTTP_WARMUP }).on("done", done))
      child.send("measure")
      const instance = autocannon({ url, connections: 32, amount: requests, sampleInt: 100 })
      const start = performance.now()
      let last = start
      let responses = 0
      // our own clock: autocannon's duration is rounded up to its next sample tick
      instance.on("response", () => {
        responses++
        last = performance.now()
      })
      instance.on("done", (result: autocannon.Result) => {
        const seconds = (last - start) / 1000
        loaded = {
          id: spec.id,
          requests: responses,
          seconds,
          requestsPerSec: responses / seconds,
          latencyP99Ms: result.latency.p99,
          errors: result.errors + result.non2xx
        }
        child.send("stop")
      })
    }
    child.on("close", (code) => {
      clearTimeout(timer)
      const server = parseResult(stdout)
      if (code === 0 && server !== undefined && loaded !== undefined) resolve({ ...loaded, server })
      else reject(new Error(`case ${spec.id} exited with ${code}: ${stderr.slice(-1500)}`))
    })
  })

const machine = (): Machine => ({
  cpu: `${os.cpus()[0]?.model.trim() ?? "unknown"} x ${os.cpus().length}`,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  platform: `${os.type()} ${os.release()} ${os.arch()}`,
  date: new Date().toISOString(),
  commit: (() => {
    try {
      // git, not .git/HEAD: in a worktree .git is a file
      return execFileSync("git", ["rev-parse", "--short=10", "HEAD"], { cwd: root, encoding: "utf8" }).trim()
    } catch {
      return "unknown"
    }
  })()
})

const progress = (text: string): void => void process.stderr.write(text)

/** The burst cases, REPEAT times round-robin (a noisy stretch of the machine hits every case
 * alike), then the other cases once; each burst case reports its median run by records/s. */
const runCases = async (results: Results): Promise<void> => {
  const runs = new Map<CaseSpec, Array<CaseResult>>()
  const burst = cases.filter((spec) => spec.group === "burst" && wanted(spec))
  const others = cases.filter((spec) => spec.group === "other" && wanted(spec))
  for (let round = 0; round < settings.repeat; round++) {
    for (const spec of [...burst, ...(round === 0 ? others : [])]) {
      progress(`${spec.id}${spec.group === "burst" ? ` (run ${round + 1}/${settings.repeat})` : ""} ... `)
      const result = await runCase(spec)
      progress(`${Math.round(result.recordsPerSec).toLocaleString("en-US")} records/s, ${result.peakRssMiB.toFixed(0)} MiB\n`)
      runs.set(spec, [...(runs.get(spec) ?? []), result])
    }
  }
  for (const [spec, caseRuns] of runs) {
    const sorted = [...caseRuns].sort((a, b) => a.recordsPerSec - b.recordsPerSec)
    const median = sorted[Math.floor((sorted.length - 1) / 2)]!
    results.labels[spec.id] = spec.label
    if (spec.group === "burst") {
      results.rounds[spec.id] = caseRuns.map((r) => r.recordsPerSec)
      results.burst.push(median)
    } else results.others.push(median)
  }
}

/** The HTTP cases in interleaved rounds, so that a noisy neighbour hits every case alike. */
const runHttpCases = async (results: Results): Promise<void> => {
  const http = cases.filter((spec) => spec.group === "http" && wanted(spec))
  if (http.length === 0) return
  pinned = pinLoadGenerator()
  for (let round = 0; round < settings.httpRounds; round++) {
    for (const spec of http) {
      progress(`${spec.id} (round ${round + 1}/${settings.httpRounds}) ... `)
      const result = await runHttp(spec, settings.httpRequests)
      progress(`${Math.round(result.requestsPerSec).toLocaleString("en-US")} requests/s\n`)
      results.labels[spec.id] = spec.label
      results.http.push(result)
    }
  }
}

const main = async () => {
  const unknown = (only ?? []).filter((id) => !cases.some((spec) => spec.id === id || spec.group === id))
  if (unknown.length > 0) throw new Error(`BENCH_ONLY: no case or group ${unknown.join(", ")} in bench/suite.ts`)
  await buildCases()
  const started = performance.now()
  const results: Results = {
    machine: machine(),
    settings,
    nodeFlags,
    burst: [],
    others: [],
    http: [],
    rounds: {},
    labels: {}
  }
  await runCases(results)
  await runHttpCases(results)
  const seconds = (performance.now() - started) / 1000
  const markdown = renderMarkdown(results, seconds)
  process.stdout.write(markdown + "\n")
  if (only !== undefined || nodeFlags.length > 0) {
    progress(`partial run (BENCH_ONLY or BENCH_NODE_FLAGS): results files not written\n`)
    return
  }
  fs.writeFileSync(path.join(here, "RESULTS.md"), markdown + "\n")
  fs.writeFileSync(path.join(here, "results.json"), JSON.stringify({ ...results, seconds }, null, 2) + "\n")
  fs.writeFileSync(path.join(here, "chart.svg"), renderChart(results))
  progress(`wrote bench/RESULTS.md, bench/results.json, bench/chart.svg (${seconds.toFixed(0)} s)\n`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
