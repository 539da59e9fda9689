/**
 * An HTTP service operated with logfiber: request logging with a request id, a timed database
 * call, per-component levels and a Prometheus endpoint on the same server.
 *
 *   npx tsx examples/http-server.ts          serve on http://127.0.0.1:3000 until Ctrl-C
 *   npx tsx examples/http-server.ts --exit   send a few requests to itself, print /metrics, exit
 *   PORT=8080 npx tsx examples/http-server.ts  another port (0: any free one)
 *
 * Try: curl -H 'x-request-id: abc' localhost:3000/users/42 ; curl localhost:3000/metrics ;
 *      curl localhost:3000/timings ; LOG_LEVELS=db=debug npx tsx examples/http-server.ts
 */
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Config, Console, Effect, Layer, Option, Random } from "effect"
import { createServer } from "node:http"
import { AsyncLogger, ConsoleSink, Format, Metrics, Monitor } from "../src/index.js"

const PORT = Number(process.env.PORT ?? 3000)

// ---- the "database": a query that takes 5-40 ms, timed and logged as component "db" ----
const findUser = (id: string) =>
  Effect.gen(function*() {
    yield* Effect.logDebug("select * from users where id = $1", { id })
    yield* Effect.sleep(`${yield* Random.nextIntBetween(5, 40)} millis`)
    if (id === "0") return yield* Effect.fail("no such user" as const)
    return { id, name: `user ${id}` }
  }).pipe(Monitor.timed("db.findUser"), AsyncLogger.component("db"))

// ---- routes ----
const router = HttpRouter.empty.pipe(
  HttpRouter.get(
    "/users/:id",
    Effect.gen(function*() {
      const { id } = yield* HttpRouter.params
      const user = yield* findUser(id ?? "")
      // a forked fiber keeps the request's annotations: its record carries the same requestId
      yield* Effect.fork(Effect.logInfo("audit: user read", { id }))
      return yield* HttpServerResponse.json(user)
    }).pipe(Effect.catchAll((error) =>
      Effect.zipRight(Effect.logWarning("user lookup failed", { error }), HttpServerResponse.text("not found\n", { status: 404 }))
    ))
  ),
  HttpRouter.get("/metrics", Metrics.httpApp("/metrics")),
  HttpRouter.get("/timings", Effect.flatMap(Monitor.snapshot, (timings) => HttpServerResponse.json(timings)))
)

// ---- request logging: a request id (the caller's x-request-id, or a new one) on every record ----
const requestLog = HttpMiddleware.make((app) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const requestId = Option.getOrElse(
      Option.fromNullable(request.headers["x-request-id"]),
      () => crypto.randomUUID()
    )
    const started = Date.now()
    return yield* app.pipe(
      Effect.tap((response) =>
        Effect.logInfo("request", { method: request.method, url: request.url, status: response.status, ms: Date.now() - started })
      ),
      Effect.map(HttpServerResponse.setHeader("x-request-id", requestId)),
      AsyncLogger.component("http"),
      Effect.annotateLogs({ requestId })
    )
  })
)

// ---- layers: the logger (levels per component, LOG_LEVELS overrides), the server ----
const LogLive = AsyncLogger.layerConfig(
  Config.map(AsyncLogger.optionsFromEnv, (env) => ({
    ...env,
    levels: env.levels ?? { db: "Warning", http: "Info" },
    rateLimit: { http: 1000 }
  }))
).pipe(Layer.provide(ConsoleSink.layer({ format: Format.logfmt })))

const ServerLive = router.pipe(
  HttpServer.serve(requestLog),
  HttpServer.withLogAddress,
  Layer.provideMerge(NodeHttpServer.layer(createServer, { port: PORT, host: "127.0.0.1" }))
)

/** With --exit: a few requests to ourselves, then the figures they left. */
const selfDemo = Effect.gen(function*() {
  const { address } = yield* HttpServer.HttpServer
  const base = `http://127.0.0.1:${address._tag === "TcpAddress" ? address.port : PORT}`
  for (const path of ["/users/1", "/users/2", "/users/0", "/users/3"]) {
    yield* Effect.promise(() => fetch(base + path, { headers: { "x-request-id": `demo${path.replaceAll("/", "-")}` } }))
  }
  const metrics = yield* Effect.promise(() => fetch(`${base}/metrics`).then((r) => r.text()))
  yield* AsyncLogger.flush
  yield* Console.log("--- /metrics (excerpt) ---")
  yield* Console.log(metrics.split("\n").filter((l) => /^logfiber_(records_offered|operation_duration_seconds_count)/.test(l)).join("\n"))
  const [timing] = yield* Monitor.snapshot
  yield* Console.log(`--- Monitor.snapshot ---\n${JSON.stringify(timing)}`)
})

const main = process.argv.includes("--exit") ? selfDemo : Effect.never

main.pipe(Effect.provide(ServerLive), Effect.provide(LogLive), NodeRuntime.runMain)
