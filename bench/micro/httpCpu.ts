// The HTTP server's own CPU per request for one HTTP case, from a given bundle of
// bench/cases/httpServer.ts: for A/B runs of two builds, interleaved, on a noisy machine.
// Build: npx esbuild bench/cases/httpServer.ts --bundle --platform=node --format=esm \
//   --banner:js="import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" \
//   --outfile=/tmp/http-a.mjs
// Run:   npx tsx bench/micro/httpCpu.ts /tmp/http-a.mjs http-logfiber   (the server on CPU 0 with taskset)
import autocannon from "autocannon"
import { spawn } from "node:child_process"

const [bundle, id = "http-logfiber"] = process.argv.slice(2)
if (bundle === undefined) throw new Error("usage: httpCpu.ts <bundle.mjs> [http-none|http-effect-noop|http-logfiber|http-pino]")
const child = spawn("taskset", ["-c", "0", process.execPath, bundle, id], { stdio: ["ignore", "pipe", "inherit", "ipc"] })
let stdout = ""
let started = false
child.stdout?.on("data", (chunk: Buffer) => {
  stdout += chunk.toString()
  const ready = /READY (\d+)/.exec(stdout)
  if (ready === null || started) return
  started = true
  const url = `http://127.0.0.1:${ready[1]}/`
  void (async () => {
    await autocannon({ url, connections: 32, amount: 15_000 }) // warm-up
    child.send("measure")
    const start = performance.now()
    await autocannon({ url, connections: 32, amount: 40_000 })
    const requestsPerSec = 40_000 / ((performance.now() - start) / 1000)
    child.on("exit", () => {
      const line = stdout.split("\n").find((l) => l.startsWith("RESULT "))
      const result = line === undefined ? undefined : JSON.parse(line.slice("RESULT ".length)) as {
        extra: { cpuMicrosPerRequest: number }
      }
      console.log(
        `${bundle} ${id}: ${Math.round(requestsPerSec)} requests/s, server CPU ` +
          `${result?.extra.cpuMicrosPerRequest.toFixed(1) ?? "?"} us per request`
      )
    })
    child.send("stop")
  })()
})
