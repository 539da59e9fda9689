/**
 * Every Effect metric of the program (logfiber's own counters and histograms, `Monitor.timed`
 * timings and the program's own `Metric`s) in the Prometheus text exposition format, served by a
 * scoped HTTP server or mounted in the program's own router.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { NodeRuntime } from "@effect/platform-node"
 * import { AsyncLogger, ConsoleSink, Metrics } from "logfiber"
 *
 * const MainLive = Layer.mergeAll(
 *   AsyncLogger.layer().pipe(Layer.provide(ConsoleSink.layer())),
 *   Metrics.layerPrometheus({ port: 9464 }) // http://0.0.0.0:9464/metrics
 * )
 * Effect.never.pipe(Effect.provide(MainLive), NodeRuntime.runMain)
 * ```
 *
 * @since 0.1.0
 */
import * as HttpServer from "@effect/platform/HttpServer"
import type { ServeError } from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as http from "node:http"
import { liveMetricSyncs } from "./internal/accounting.js"
import * as internal from "./internal/prometheus.js"

/**
 * The content type of the exposition format served: Prometheus' text format, version 0.0.4.
 *
 * @example
 * ```ts
 * HttpServerResponse.text(yield* Metrics.render, { contentType: Metrics.contentType })
 * ```
 * @since 0.1.0
 */
export const contentType = "text/plain; version=0.0.4; charset=utf-8"

/**
 * The whole metric registry as exposition text: a `# HELP` and a `# TYPE` line per family, then
 * its samples. Counters get the `_total` suffix, histograms `_bucket{le=...}` (cumulative, with
 * `+Inf`), `_sum` and `_count`, summaries `{quantile=...}`, `_sum` and `_count`; a frequency is a
 * counter with one series per value in its `key` label. Names and label names are sanitized to
 * Prometheus' character set; label values and help texts are escaped.
 *
 * @example
 * ```ts
 * const text = yield* Metrics.render // "# HELP logfiber_records_offered_total Records offered ..."
 * ```
 * @since 0.1.0
 */
export const render: Effect.Effect<string> = Effect.suspend(() => {
  // bring every live logger's figures up to date first: a scrape then equals `AsyncLogger.stats`
  for (const sync of liveMetricSyncs) sync()
  return Effect.map(Metric.snapshot, internal.render)
})

/**
 * An `HttpApp` answering `GET <path>` with `render`, and 404 for any other path: mount it in a
 * router of your own, or serve it with `layerPrometheus`.
 *
 * @example
 * ```ts
 * const router = HttpRouter.empty.pipe(HttpRouter.get("/metrics", Metrics.httpApp()))
 * ```
 * @since 0.1.0
 */
export const httpApp = (
  path = "/metrics"
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const pathname = request.url.split("?", 1)[0]
    if (pathname !== path) return Effect.succeed(HttpServerResponse.text("not found\n", { status: 404 }))
    if (request.method !== "GET" && request.method !== "HEAD") {
      return Effect.succeed(HttpServerResponse.text("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } }))
    }
    return Effect.map(render, (text) => HttpServerResponse.text(text, { contentType }))
  })

/**
 * Options of `layerPrometheus`: the port (required), the interface and the path.
 *
 * @example
 * ```ts
 * const options: Metrics.PrometheusOptions = { port: 9464, host: "127.0.0.1", path: "/metrics" }
 * ```
 * @since 0.1.0
 */
export interface PrometheusOptions {
  /** TCP port to listen on; `0` picks a free one (read it from `PrometheusEndpoint`). */
  readonly port: number
  /** Interface to bind. Default `"0.0.0.0"`. */
  readonly host?: string | undefined
  /** Path of the endpoint. Default `"/metrics"`. */
  readonly path?: string | undefined
}

/**
 * Where the endpoint of `layerPrometheus` listens, once bound: `url` is ready to scrape (a
 * wildcard host is shown as `127.0.0.1`).
 *
 * @example
 * ```ts
 * const { port, url } = yield* Metrics.PrometheusEndpoint
 * ```
 * @since 0.1.0
 */
export class PrometheusEndpoint extends Context.Tag("logfiber/Metrics/PrometheusEndpoint")<
  PrometheusEndpoint,
  { readonly host: string; readonly port: number; readonly url: string }
>() {}

/**
 * Node's `server.close()` waits for every open connection, and stops the timer that enforces
 * `headersTimeout`: one client holding a half-sent request kept the Layer's release (and the
 * program's shutdown) waiting forever. Closing the server here closes its connections too.
 */
const serverClosingConnections = (): http.Server => {
  const server = http.createServer()
  const close = server.close.bind(server)
  server.close = (callback?: (error?: Error) => void) => {
    close(callback)
    server.closeAllConnections()
    return server
  }
  return server
}

const checkOptions = (options: PrometheusOptions): { host: string; port: number; path: string } => {
  const { port } = options
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`logfiber: option port must be an integer from 0 to 65535; got ${String(port)}`)
  }
  const path = options.path ?? "/metrics"
  if (!path.startsWith("/")) throw new Error(`logfiber: option path must start with "/"; got ${JSON.stringify(path)}`)
  return { host: options.host ?? "0.0.0.0", port, path }
}

/**
 * A scoped HTTP server (`@effect/platform`'s `HttpServer` on Node) serving `render` at `path`.
 * It listens while the Layer's scope is open; a port already in use fails the Layer with
 * `ServeError`, an invalid option dies with a message naming it.
 *
 * @example
 * ```ts
 * const MetricsLive = Metrics.layerPrometheus({ port: 9464, host: "127.0.0.1" })
 * const program = Effect.gen(function*() {
 *   const { url } = yield* Metrics.PrometheusEndpoint // "http://127.0.0.1:9464/metrics"
 * })
 * ```
 * @since 0.1.0
 */
export const layerPrometheus = (options: PrometheusOptions): Layer.Layer<PrometheusEndpoint, ServeError> =>
  Layer.unwrapEffect(Effect.try({
    try: () => {
      const { host, path, port } = checkOptions(options)
      const endpoint = Layer.effect(
        PrometheusEndpoint,
        HttpServer.addressWith((address) =>
          Effect.sync(() => {
            const bound = address._tag === "TcpAddress" ? address.port : port
            const shown = host === "0.0.0.0" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host
            return { host, port: bound, url: `http://${shown}:${bound}${path}` }
          })
        )
      )
      return Layer.merge(HttpServer.serve(httpApp(path)), endpoint).pipe(
        Layer.provide(NodeHttpServer.layerServer(serverClosingConnections, { port, host }))
      )
    },
    catch: (error) => error
  }).pipe(Effect.orDie))
