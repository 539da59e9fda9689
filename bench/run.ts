/**
 * `npm run bench`: every case in its own Node process, one after the other, then the table
 * (printed and written to bench/RESULTS.md), bench/results.json, bench/chart.svg and the
 * README's "Benchmarks" block (between its markers). Ratios come from this one run.
 *
 * Environment: BENCH_RECORDS (default 1,000,000), BENCH_REPEAT (runs per burst case, default 3,
 * the median reported), BENCH_HTTP_REQUESTS (default 40,000),
 * BENCH_HTTP_ROUNDS (default 5), BENCH_ONLY (comma-separated case ids, for development;
 * a partial run does not write the results files), BENCH_NODE_FLAGS (extra Node/V8 flags for
 * every case process, e.g. `--no-allocation-site-pretenuring`, for diagnosis: such a run does
 * not write the results files either).
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
import { manyFiberSpecs } from "./report/manyFibers.js"
import { renderMarkdown, type HttpResult, type Results, updateReadme } from "./report/markdown.js"

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, "..")
const only = process.env.BENCH_ONLY?.split(",")
const wanted = (id: string): boolean => only === undefined || only.includes(id)
const CASE_TIMEOUT_MS = 180_000
const HTTP_WARMUP = 15_000
/** Runs of each 1M-record burst case; the median one is reported. */
const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? 3))

interface Spec {
  readonly id: string
  readonly label: string
  readonly file: string
  readonly variant: string
  readonly env?: Record<string, string>
}

const burst: ReadonlyArray<Spec> = [
  { id: "logfiber", label: "logfiber: Effect.logInfo(msg, fields)", file: "logfiber.ts", variant: "fields" },
  { id: "logfiber-annotate", label: "logfiber: Effect.annotateLogs(fields)", file: "logfiber.ts", variant: "annotate" },
  { id: "effect-toFile", label: "Effect PlatformLogger.toFile(jsonLogger)", file: "effect.ts", variant: "platform" },
  { id: "effect-sync", label: "Effect jsonLogger + writeSync per record", file: "effect.ts", variant: "sync" },
  { id: "pino", label: "pino 10, destination({ sync: false })", file: "node.ts", variant: "pino" },
  { id: "winston", label: "winston 3, File transport", file: "node.ts", variant: "winston" },
  { id: "raw", label: "raw: JSON.stringify + writeSync per 1,000", file: "node.ts", variant: "raw" }
]

const others: ReadonlyArray<Spec> = [
  {
    id: "quarter",
    label: "logfiber: 250,000 records (RSS vs burst size)",
    file: "logfiber.ts",
    variant: "fields-quarter",
    env: { BENCH_RECORDS: String(Math.floor(Number(process.env.BENCH_RECORDS ?? 1_000_000) / 4)) }
  },
  { id: "concurrent", label: "logfiber: 500 fibers x 2,000", file: "logfiber.ts", variant: "concurrent" },
  { id: "sustained", label: "logfiber: 50,000 records/s for 10 s", file: "logfiber.ts", variant: "sustained" },
  { id: "slow-sink", label: "logfiber: sink write takes 1.5 s", file: "slowSink.ts", variant: "" },
  ...manyFiberSpecs
]

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
const nodeArgs = (file: string, variant: string): Array<string> =>
  [...nodeFlags, path.join(buildDir, file.replace(/\.ts$/, ".mjs")), ...(variant === "" ? [] : [variant])]

const parseResult = (stdout: string): CaseResult | undefined => {
  const line = stdout.split("\n").reverse().find((l) => l.startsWith("RESULT "))
  return line === undefined ? undefined : JSON.parse(line.slice("RESULT ".length)) as CaseResult
}

/** Run one case to completion; its stderr is kept only to explain a failure. */
const runCase = (spec: Spec): Promise<CaseResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs(spec.file, spec.variant), {
      cwd: root,
      env: { ...process.env, ...spec.env },
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
const runHttp = (variant: string, requests: number): Promise<HttpResult> =>
  new Promise((resolve, reject) => {
    // the server on CPU 0, this process (the load generator) on CPU 1: they do not compete
    const [command, args] = pinned
      ? ["taskset", ["-c", "0", process.execPath, ...nodeArgs("httpServer.ts", variant)]]
      : [process.execPath, nodeArgs("httpServer.ts", variant)]
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
          variant,
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
      else reject(new Error(`http case ${variant} exited with ${code}: ${stderr.slice(-1500)}`))
    })
  })

const machine = () => ({
  cpu: `${os.cpus()[0]?.model.trim() ?? "unknown"} x ${os.cpus().length}`,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  platform: `${os.type()} ${os.release()} ${os.arch()}`,
  date: new Date().toISOString(),
  commit: (() => {
    try {
      const head = fs.readFileSync(path.join(root, ".git", "HEAD"), "utf8").trim()
      const ref = head.startsWith("ref: ") ? head.slice(5) : undefined
      return (ref === undefined ? head : fs.readFileSync(path.join(root, ".git", ref), "utf8").trim()).slice(0, 10)
    } catch {
      return "unknown"
    }
  })()
})

const progress = (text: string): void => void process.stderr.write(text)

const main = async () => {
  await buildCases()
  const started = performance.now()
  const results: Results = { machine: machine(), burst: [], others: [], http: [], labels: {} }
  // The 1M-record burst cases run REPEAT times, round-robin (a noisy stretch of the machine hits
  // every case alike), and each case reports its median run by records/s.
  const runs = new Map<Spec, Array<CaseResult>>()
  for (let round = 0; round < REPEAT; round++) {
    for (const spec of [...burst, ...(round === 0 ? others : [])]) {
      if (!wanted(spec.id)) continue
      progress(`${spec.id}${burst.includes(spec) ? ` (run ${round + 1}/${REPEAT})` : ""} ... `)
      const result = await runCase(spec)
      progress(`${Math.round(result.recordsPerSec).toLocaleString("en-US")} records/s, ${result.peakRssMiB.toFixed(0)} MiB\n`)
      runs.set(spec, [...(runs.get(spec) ?? []), result])
    }
  }
  const runsOf = (id: string) => [...runs].find(([spec]) => spec.id === id)?.[1] ?? []
  const [lfRuns, pinoRuns, toFileRuns] = [runsOf("logfiber"), runsOf("pino"), runsOf("effect-toFile")]
  if (lfRuns.length === pinoRuns.length && lfRuns.length === toFileRuns.length) {
    results.rounds = lfRuns.map((lf, i) => ({
      pino: lf.recordsPerSec / pinoRuns[i]!.recordsPerSec,
      toFile: lf.recordsPerSec / toFileRuns[i]!.recordsPerSec
    }))
  }
  for (const [spec, caseRuns] of runs) {
    const sorted = [...caseRuns].sort((a, b) => a.recordsPerSec - b.recordsPerSec)
    const median = sorted[Math.floor((sorted.length - 1) / 2)]!
    results.labels[median.case] = spec.label
    ;(burst.includes(spec) ? results.burst : results.others).push(median)
  }
  if (wanted("http")) {
    const requests = Number(process.env.BENCH_HTTP_REQUESTS ?? 40_000)
    const rounds = Number(process.env.BENCH_HTTP_ROUNDS ?? 5)
    pinned = pinLoadGenerator()
    // interleaved rounds, so that a noisy neighbour hits every variant alike
    for (let round = 0; round < rounds; round++) {
      for (const variant of ["none", "effect-noop", "logfiber", "pino"]) {
        progress(`http ${variant} (round ${round + 1}) ... `)
        const result = await runHttp(variant, requests)
        progress(`${Math.round(result.requestsPerSec).toLocaleString("en-US")} requests/s\n`)
        results.http.push(result)
      }
    }
  }
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
  updateReadme(path.join(root, "README.md"), results)
  progress(`wrote bench/RESULTS.md, bench/results.json, bench/chart.svg, README.md (${seconds.toFixed(0)} s)\n`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
