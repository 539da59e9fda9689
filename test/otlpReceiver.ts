/**
 * An OTLP/HTTP logs receiver for the tests, on loopback: it decodes every request with the
 * official OpenTelemetry protobuf definitions (the protobufjs module `@opentelemetry/otlp-transformer`
 * generates from opentelemetry-proto), for both encodings, and answers as the test scripts it.
 */
import * as Effect from "effect/Effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { createRequire } from "node:module"

/** The part of a protobufjs generated message type the tests use. */
interface MessageType {
  decode(bytes: Uint8Array): object
  encode(message: object): { finish(): Uint8Array }
  fromObject(object: object): object
  toObject(message: object, options: object): Record<string, unknown>
}

const root = createRequire(import.meta.url)("@opentelemetry/otlp-transformer/build/src/generated/root.js") as {
  opentelemetry: {
    proto: {
      collector: { logs: { v1: { ExportLogsServiceRequest: MessageType; ExportLogsServiceResponse: MessageType } } }
    }
  }
}
export const ExportLogsServiceRequest = root.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest
export const ExportLogsServiceResponse = root.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse

/** An attribute value, as protobufjs renders the decoded `AnyValue` (int64 as strings). */
export interface AnyValue {
  stringValue?: string
  boolValue?: boolean
  intValue?: string
  doubleValue?: number
  arrayValue?: { values?: Array<AnyValue> }
  kvlistValue?: { values?: Array<{ key: string; value: AnyValue }> }
}
export interface KeyValue {
  key: string
  value: AnyValue
}
export interface DecodedRecord {
  timeUnixNano: string
  observedTimeUnixNano: string
  severityNumber: number
  severityText: string
  body: AnyValue
  attributes?: Array<KeyValue>
  flags?: number
  /** lowercase hex; absent (or empty) when the record has no trace */
  traceId?: string
  spanId?: string
}
export interface DecodedRequest {
  readonly contentType: string
  readonly headers: http.IncomingHttpHeaders
  readonly resource: Array<KeyValue>
  readonly scope: { name?: string }
  readonly records: Array<DecodedRecord>
}

export interface Answer {
  /** The status; 0: never answer (the client's timeout must end the request). */
  readonly status: number
  readonly headers?: Record<string, string>
  readonly body?: Uint8Array | string
  /** Answer with a body that never ends (1 MiB chunks for as long as the client reads). */
  readonly endless?: boolean
}

const toObjectOptions = { longs: String, enums: Number, bytes: Array, defaults: false, arrays: true }

const hex = (bytes: unknown): string | undefined =>
  Array.isArray(bytes) && bytes.length > 0 ? Buffer.from(bytes as Array<number>).toString("hex") : undefined

/**
 * Decode a request body with the official message type. JSON goes through `fromObject`, after
 * the one OTLP/JSON rule protobufjs does not know: trace and span ids are hex, not base64.
 */
export const decode = (body: Buffer, contentType: string): Record<string, unknown> => {
  let message: object
  if (contentType.startsWith("application/x-protobuf")) {
    message = ExportLogsServiceRequest.decode(body)
  } else if (contentType.startsWith("application/json")) {
    const json = JSON.parse(body.toString("utf8")) as { resourceLogs?: Array<{ scopeLogs?: Array<{ logRecords?: Array<Record<string, unknown>> }> }> }
    for (const rl of json.resourceLogs ?? []) {
      for (const sl of rl.scopeLogs ?? []) {
        for (const r of sl.logRecords ?? []) {
          for (const key of ["traceId", "spanId"]) {
            if (typeof r[key] === "string") r[key] = [...Buffer.from(r[key] as string, "hex")]
          }
        }
      }
    }
    // (not `verify`: it refuses int64 as decimal strings, which OTLP/JSON specifies)
    message = ExportLogsServiceRequest.fromObject(json)
  } else {
    throw new Error(`unexpected content-type ${contentType}`)
  }
  return ExportLogsServiceRequest.toObject(message, toObjectOptions)
}

const flatten = (contentType: string, headers: http.IncomingHttpHeaders, decoded: Record<string, unknown>): DecodedRequest => {
  const resourceLogs = decoded.resourceLogs as Array<{
    resource: { attributes: Array<KeyValue> }
    scopeLogs: Array<{ scope: { name?: string }; logRecords: Array<DecodedRecord & { traceId?: unknown; spanId?: unknown }> }>
  }>
  if (resourceLogs.length !== 1 || resourceLogs[0]!.scopeLogs.length !== 1) throw new Error("expected one resource and one scope")
  const scopeLogs = resourceLogs[0]!.scopeLogs[0]!
  const records = scopeLogs.logRecords.map((r) => {
    const traceId = hex(r.traceId)
    const spanId = hex(r.spanId)
    const { traceId: _t, spanId: _s, ...rest } = r
    return { ...rest, ...(traceId !== undefined ? { traceId } : {}), ...(spanId !== undefined ? { spanId } : {}) }
  })
  return { contentType, headers, resource: resourceLogs[0]!.resource.attributes, scope: scopeLogs.scope, records }
}

export interface Receiver {
  readonly url: string
  readonly port: number
  /** Requests answered 2xx, decoded, in arrival order. */
  readonly accepted: Array<DecodedRequest>
  /** Every request that reached the receiver, with the status it got. */
  readonly requests: Array<{ readonly status: number; readonly records: number }>
  /** Answers to give, in order, before the default 200. */
  readonly script: Array<Answer>
  /** Stop listening and drop open connections (the receiver "goes away"). */
  readonly stop: () => Promise<void>
  /** Listen again on the same port. */
  readonly start: () => Promise<void>
}

/** Start a receiver on 127.0.0.1 (a free port); stopped when the scope closes. */
export const receiver = (script: Array<Answer> = []) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const accepted: Array<DecodedRequest> = []
      const requests: Array<{ status: number; records: number }> = []
      const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
        const chunks: Array<Buffer> = []
        req.on("data", (c: Buffer) => chunks.push(c))
        req.on("end", () => {
          const contentType = req.headers["content-type"] ?? ""
          let decoded: DecodedRequest
          try {
            if (req.method !== "POST" || req.url !== "/v1/logs") throw new Error(`unexpected ${req.method} ${req.url}`)
            decoded = flatten(contentType, req.headers, decode(Buffer.concat(chunks), contentType))
          } catch (error) {
            requests.push({ status: 400, records: 0 })
            res.writeHead(400, { "content-type": "text/plain" }).end(`receiver: ${String(error)}`)
            return
          }
          const answer = script.shift() ?? { status: 200 }
          requests.push({ status: answer.status, records: decoded.records.length })
          if (answer.status === 0) return
          if (answer.status >= 200 && answer.status < 300) accepted.push(decoded)
          res.writeHead(answer.status, answer.headers ?? { "content-type": contentType })
          if (answer.endless === true) {
            const chunk = Buffer.alloc(1 << 20, 0x78)
            let open = true
            res.on("close", () => void (open = false))
            res.on("error", () => void (open = false))
            const pump = () => {
              while (open && res.write(chunk)) { /* until the socket pushes back */ }
            }
            res.on("drain", pump)
            pump()
            return
          }
          res.end(answer.body ?? "")
        })
      }
      let server = http.createServer(handler)
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
      const port = (server.address() as AddressInfo).port
      const stop = () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        })
      const start = async () => {
        server = http.createServer(handler)
        await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve))
      }
      const r: Receiver = {
        url: `http://127.0.0.1:${port}`,
        port,
        accepted,
        requests,
        script,
        stop: () => stop(),
        start
      }
      return r
    }),
    (r) => Effect.promise(() => r.stop().catch(() => undefined))
  )

/** Records of all accepted requests. */
export const acceptedRecords = (r: Receiver): Array<DecodedRecord> => r.accepted.flatMap((req) => req.records)

/** A partial success answer (`ExportLogsServiceResponse`), encoded with the official definitions. */
export const partialSuccessBody = (rejected: number, message: string): Uint8Array =>
  ExportLogsServiceResponse.encode(
    ExportLogsServiceResponse.fromObject({ partialSuccess: { rejectedLogRecords: rejected, errorMessage: message } })
  ).finish()

/** Wait in real time (network I/O does not follow the TestClock) until `condition` holds. */
export const waitUntil = (condition: () => boolean, what: string, timeoutMs = 10_000): Effect.Effect<void> =>
  Effect.promise(async () => {
    const start = Date.now()
    while (!condition()) {
      if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for: ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
  })

/** An attribute's value by key. */
export const attribute = (attributes: Array<KeyValue> | undefined, key: string): AnyValue | undefined =>
  attributes?.find((a) => a.key === key)?.value
