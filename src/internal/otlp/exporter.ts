/**
 * One batch, one OTLP/HTTP request, and what the answer means for the logger (the protocol's
 * retry rules, https://opentelemetry.io/docs/specs/otlp/#otlphttp-response):
 * - 2xx: written; a partial success fails with `rejected` (counted exactly, never retried).
 * - 429, 502, 503, 504, a timeout, a network error: a retryable `SinkError`, after waiting for
 *   `Retry-After` when the receiver sent one (on the `Clock`, so `TestClock` drives it).
 * - any other status: `retryable: false`, with the receiver's message.
 */
import type * as OtlpSerialization from "@effect/opentelemetry/OtlpSerialization"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { LogRecord } from "../../LogRecord.js"
import { SinkError } from "../../LogSink.js"
import { writeStderr } from "../stderr.js"
import type { Resolved } from "./config.js"
import { msToNanos, type Scope, toLogsData } from "./logsData.js"
import { errorMessage, partialSuccess, retryAfterMillis } from "./response.js"

/** Statuses the OTLP spec says to retry. */
const RETRYABLE = new Set([429, 502, 503, 504])

/** The instrumentation scope of every record. */
export const SCOPE: Scope = { name: "logfiber" }

export interface Exporter {
  readonly name: string
  readonly settings: Resolved
  /** The longest `Retry-After` honoured; a longer one is cut to this (the retry schedule follows). */
  readonly maxRetryAfter: Duration.Duration
  readonly client: HttpClient.HttpClient
  readonly serialization: OtlpSerialization.OtlpSerialization["Type"]
}

const describe = (error: unknown): string => {
  if (error !== null && typeof error === "object") {
    const e = error as { message?: unknown; cause?: unknown }
    const inner = e.cause instanceof Error ? ` (${e.cause.message})` : ""
    if (typeof e.message === "string" && e.message !== "") return e.message + inner
  }
  return String(error)
}

const fail = (exporter: Exporter, reason: string, fields: Partial<Pick<SinkError, "retryable" | "rejected" | "cause">> = {}) =>
  new SinkError({ sink: exporter.name, reason, ...fields })

/**
 * The answer's body, at most `MAX_BODY` bytes: only the small OTLP response (partial success,
 * error message) is read, and a receiver that streams an endless body must not fill the memory.
 */
const MAX_BODY = 64 * 1024
const cappedBody = (response: HttpClientResponse.HttpClientResponse) =>
  response.stream.pipe(
    Stream.runFoldWhile(
      { chunks: [] as Array<Uint8Array>, size: 0 },
      (acc) => acc.size < MAX_BODY,
      (acc, chunk) => (acc.chunks.push(chunk), { chunks: acc.chunks, size: acc.size + chunk.length })
    ),
    Effect.map(({ chunks, size }) => {
      const body = new Uint8Array(Math.min(size, MAX_BODY))
      let offset = 0
      for (const chunk of chunks) {
        const n = Math.min(chunk.length, body.length - offset)
        body.set(chunk.subarray(0, n), offset)
        offset += n
        if (offset === body.length) break
      }
      return body
    })
  )

/** Send one batch; fails with a `SinkError` that says whether to retry. */
export const exportBatch = (exporter: Exporter, batch: ReadonlyArray<LogRecord>): Effect.Effect<void, SinkError> =>
  Effect.gen(function*() {
    const { settings } = exporter
    const observed = msToNanos(yield* Clock.currentTimeMillis)
    const request = HttpClientRequest.post(settings.endpoint, {
      headers: settings.headers,
      body: exporter.serialization.logs(toLogsData(batch, settings.resource, SCOPE, observed))
    })
    const response = yield* exporter.client.execute(request).pipe(
      Effect.flatMap((response) => Effect.map(cappedBody(response), (body) => ({ response, body }))),
      Effect.timeoutFail({
        duration: settings.timeout,
        onTimeout: () => fail(exporter, `no answer within ${Duration.format(settings.timeout)}`)
      }),
      Effect.mapError((error) => error instanceof SinkError ? error : fail(exporter, describe(error), { cause: error }))
    )
    return yield* answer(exporter, response.response, response.body, batch.length)
  })

const answer = (
  exporter: Exporter,
  response: HttpClientResponse.HttpClientResponse,
  body: Uint8Array,
  size: number
): Effect.Effect<void, SinkError> => {
  const status = response.status
  const contentType = response.headers["content-type"]
  if (status >= 200 && status < 300) {
    const partial = partialSuccess(body, contentType)
    if (partial === undefined) return Effect.void
    if (partial.rejected === 0) {
      // accepted with a warning: nothing lost, but the user should see it
      return Effect.sync(() => writeStderr(`logfiber: ${exporter.name}: receiver warning: ${partial.message}\n`))
    }
    return Effect.fail(fail(exporter, `receiver rejected ${partial.rejected} of ${size} record(s): ${partial.message}`, {
      retryable: false,
      rejected: Math.min(partial.rejected, size)
    }))
  }
  const reason = `HTTP ${status}: ${errorMessage(body, contentType) || "(no message)"}`
  if (!RETRYABLE.has(status)) return Effect.fail(fail(exporter, reason, { retryable: false }))
  return Effect.flatMap(Clock.currentTimeMillis, (now) => {
    const wait = retryAfterMillis(response.headers["retry-after"], now)
    const failure = fail(exporter, wait === undefined ? reason : `${reason} (waited Retry-After ${wait} ms)`)
    if (wait === undefined) return Effect.fail(failure)
    const capped = Duration.min(Duration.millis(wait), exporter.maxRetryAfter)
    return Effect.zipRight(Effect.sleep(capped), Effect.fail(failure))
  })
}
