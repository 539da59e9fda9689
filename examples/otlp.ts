/**
 * An HTTP service whose request logs go to an OpenTelemetry Collector, each carrying the trace
 * id of its request: the server span of `@effect/platform`'s HttpServer continues the caller's
 * trace (an incoming `traceparent` header), and every `Effect.log*` in the handler is correlated.
 *
 * Run a Collector (see docs/otlp.md), then:
 *   OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 OTEL_SERVICE_NAME=greeter npx tsx examples/otlp.ts
 *   curl -H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' localhost:3000/hello/ada
 * The Collector receives `greeting` with traceId 4bf92f35...; Ctrl-C drains the logger and exits.
 */
import { HttpMiddleware, HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { createServer } from "node:http"
import { AsyncLogger, OtlpSink } from "../src/index.js"

const port = Number(process.env.PORT ?? 3000)

const router = HttpRouter.empty.pipe(
  HttpRouter.get(
    "/hello/:name",
    Effect.gen(function*() {
      const { name } = yield* HttpRouter.params
      yield* Effect.logInfo("greeting", { name: name ?? "", length: name?.length ?? 0 })
      return HttpServerResponse.text(`hello ${name}\n`)
    })
  )
)

// every setting from the standard OTEL_* variables (endpoint, headers, protocol, service name)
const LogLive = AsyncLogger.layer({ batchSize: 512, batchWindow: "1 second" }).pipe(
  Layer.provide(OtlpSink.fromEnv)
)

const ServerLive = NodeHttpServer.layer(createServer, { port })

router.pipe(
  HttpServer.serve(HttpMiddleware.logger),
  HttpServer.withLogAddress,
  Layer.provide(ServerLive),
  Layer.provide(LogLive),
  Layer.launch,
  NodeRuntime.runMain
)
