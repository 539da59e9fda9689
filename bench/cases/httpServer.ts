/**
 * Application overhead: an `@effect/platform` HTTP server (Node adapter) on 127.0.0.1 that logs
 * one record per request. Usage: `node --import tsx bench/cases/httpServer.ts <id>` with id
 * (bench/suite.ts) `http-none` (no logging), `http-effect-noop` (Effect.logInfo, no-op logger),
 * `http-logfiber` (AsyncLogger + FileSink) or `http-pino` (pino.destination sync: false). Prints `READY <port>`; on the IPC message "stop" it closes the server (and the
 * logger's scope) and prints its RESULT line. The load comes from `bench/run.ts` (autocannon).
 */
import { HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import { once } from "node:events"
import { createServer } from "node:http"
import { pino } from "pino"
import { AsyncLogger, FileSink, Format } from "../../src/index.js"
import { caseId, countLines, fields, MESSAGE, report, secondsSince, tempFile } from "../lib.js"

const id = caseId("http-none")
const variants = ["none", "effect-noop", "logfiber", "pino"]
const variant = id.slice("http-".length)
if (!id.startsWith("http-") || !variants.includes(variant)) throw new Error(`httpServer.ts: unknown case ${id}`)
const file = tempFile()
let requests = 0

const destination = variant === "pino" ? pino.destination({ dest: file, sync: false }) : undefined
const pinoLogger = destination === undefined ? undefined : pino(destination)

const logOne: (url: string) => Effect.Effect<void> = variant === "logfiber" || variant === "effect-noop"
  ? (url) => Effect.logInfo(MESSAGE, { ...fields(requests), path: url })
  : variant === "pino"
  ? (url) => Effect.sync(() => pinoLogger!.info({ ...fields(requests), path: url }, MESSAGE))
  : () => Effect.void

const ok = HttpServerResponse.text("ok")
const handler = Effect.gen(function*() {
  const request = yield* HttpServerRequest.HttpServerRequest
  requests++
  yield* logOne(request.url)
  return ok
})

const ServerLive = HttpRouter.empty.pipe(
  HttpRouter.get("/", handler),
  HttpServer.serve(),
  Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" }))
)

// the logger is built first, so the server's request fibers inherit it
const AppLive: Layer.Layer<HttpServer.HttpServer> = variant === "logfiber"
  ? ServerLive.pipe(
    Layer.provideMerge(
      AsyncLogger.layer({
        capacity: 10_000,
        yieldOnPressure: process.env.BENCH_YIELD_ON_PRESSURE !== "0",
        ...(process.env.BENCH_BATCH_WINDOW === undefined ? {} : { batchWindow: Number(process.env.BENCH_BATCH_WINDOW) })
      })
    ),
    Layer.provide(FileSink.layer({ path: file, format: Format.json })),
    Layer.orDie
  )
  : variant === "effect-noop"
  // Effect's own cost of an Effect.logInfo call (fiber log, FiberRefs, tracer span event), no sink
  ? ServerLive.pipe(Layer.provideMerge(Logger.replace(Logger.defaultLogger, Logger.make(() => {}))), Layer.orDie)
  : Layer.orDie(ServerLive)

const run = async () => {
  let service: AsyncLogger.AsyncLoggerService | undefined
  const main = Effect.gen(function*() {
    if (variant === "logfiber") service = yield* AsyncLogger.AsyncLogger
    yield* HttpServer.addressWith((address) =>
      Effect.sync(() => process.stdout.write(`READY ${address._tag === "TcpAddress" ? address.port : 0}\n`))
    )
    return yield* Effect.never
  })
  const fiber = Effect.runFork(Effect.provide(main, AppLive as Layer.Layer<HttpServer.HttpServer | AsyncLogger.AsyncLogger>))
  // "measure" after the warm-up load: from then on the server's own CPU time is counted,
  // including the logger's drain at shutdown (the load generator's CPU is not in it)
  let cpuStart: NodeJS.CpuUsage | undefined
  let requestsAtStart = 0
  await new Promise<void>((stop) =>
    process.on("message", (message) => {
      if (message === "measure") {
        cpuStart = process.cpuUsage()
        requestsAtStart = requests
      } else if (message === "stop") stop()
    })
  )
  const measured = requests - requestsAtStart
  const start = process.hrtime.bigint()
  // closes the server, then the logger's scope (drain, last batch, file closed)
  await Effect.runPromise(Fiber.interrupt(fiber))
  if (destination !== undefined) {
    destination.end()
    await once(destination, "close")
  }
  const closeSeconds = secondsSince(start)
  const cpu = process.cpuUsage(cpuStart)
  const cpuMicrosPerRequest = cpuStart === undefined || measured === 0 ? undefined : (cpu.user + cpu.system) / measured
  const stats = service === undefined ? undefined : await Effect.runPromise(service.stats)
  const lines = variant === "none" ? 0 : countLines(file)
  report({
    id,
    records: requests,
    seconds: closeSeconds,
    lines,
    offered: stats?.offered ?? (variant === "none" ? 0 : requests),
    written: stats?.written ?? lines,
    dropped: stats?.dropped ?? 0,
    failed: stats?.failed ?? 0,
    fallback: stats?.fallback ?? 0,
    extra: { requests, cpuMicrosPerRequest }
  })
  process.exit(0)
}

run().catch((error) => {
  console.error(error)
  process.exit(1)
})
