/**
 * Send records to a syslog relay (rsyslog, syslog-ng) over UDP, TCP or a unix stream socket,
 * as RFC 5424 messages (default) or RFC 3164 for old relays. The sink builds its own frames
 * from each `LogRecord` (no `Format`): PRI from the facility and the level, an RFC 3339
 * timestamp with microseconds and the local offset, and STRUCTURED-DATA with the sequence
 * number, the fiber, the annotations, the fields and the spans.
 *
 * TCP and unix: octet-counted frames (RFC 6587), one socket write per batch, reconnect with
 * a backoff `Schedule`; a failed write fails the batch with `SinkError` so the logger's `retry`
 * sends it again, whole, on a new connection. UDP: one datagram per record, cut to
 * `maxDatagramBytes` with a visible marker. See docs/syslog-journald.md.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { AsyncLogger, SyslogSink } from "logfiber"
 *
 * const LogLive = AsyncLogger.layer().pipe(
 *   Layer.provide(SyslogSink.layer({ transport: "tcp", host: "127.0.0.1", port: 514, facility: "local0", appName: "api" }))
 * )
 * Effect.runPromise(Effect.logInfo("user login", { user: "ada" }).pipe(Effect.provide(LogLive)))
 * ```
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as os from "node:os"
import * as path from "node:path"
import { facilityCode } from "./internal/syslog/priority.js"
import type { Facility } from "./internal/syslog/priority.js"
import * as frame from "./internal/syslog/frame.js"
import * as stream from "./internal/syslog/stream.js"
import { DEFAULT_SD_ID, sdName } from "./internal/syslog/structuredData.js"
import * as udp from "./internal/syslog/udp.js"
import type { LogRecord } from "./LogRecord.js"
import * as LogSink from "./LogSink.js"

/**
 * A facility by name (`"kern"`, `"user"`, `"daemon"`, `"auth"`, `"local0"` .. `"local7"`, ...)
 * or by number (0..23), as in RFC 5424 table 1.
 *
 * @example
 * ```ts
 * const facility: SyslogSink.Facility = "local3" // or 19
 * ```
 * @since 0.1.0
 */
export type { Facility }

/** @since 0.1.0 */
export interface Options {
  /** `"udp"` (default), `"tcp"` or `"unix"` (a stream socket at `path`). */
  readonly transport?: "udp" | "tcp" | "unix" | undefined
  /** Relay host for UDP and TCP. Default `"127.0.0.1"`. */
  readonly host?: string | undefined
  /** Relay port for UDP and TCP. Default `514`. */
  readonly port?: number | undefined
  /** Unix stream socket path (rsyslog `imptcp` with `path=`); required for `"unix"`. */
  readonly path?: string | undefined
  /** Facility by name (`"local0"`, `"daemon"`, ...) or number (0..23). Default `"user"`. */
  readonly facility?: Facility | undefined
  /** APP-NAME (RFC 3164: the TAG). Default: the script's base name, else `"node"`. */
  readonly appName?: string | undefined
  /** HOSTNAME. Default `os.hostname()`. */
  readonly hostname?: string | undefined
  /** `"rfc5424"` (default) or `"rfc3164"`. */
  readonly protocol?: "rfc5424" | "rfc3164" | undefined
  /** MSGID: a constant or one per record (at most 32 printable characters). Default `-`. */
  readonly msgId?: string | ((record: LogRecord) => string | undefined) | undefined
  /** SD-ID of logfiber's structured-data element. Default `"logfiber@32473"`. */
  readonly sdId?: string | undefined
  /** UDP: largest datagram in bytes, 480 to 65,507; longer records are cut with a marker. Default `2048`. */
  readonly maxDatagramBytes?: number | undefined
  /**
   * TCP/unix: bound on one connect attempt. Default `"1 second"`. The defaults keep one write
   * (3 connect attempts and the write) within the logger's `writeTimeout` (5 seconds).
   */
  readonly connectTimeout?: Duration.DurationInput | undefined
  /** TCP/unix: bound on one batch write. Default `"3 seconds"`. */
  readonly writeTimeout?: Duration.DurationInput | undefined
  /** TCP/unix: connect retries within one write. Default: exponential from 100 ms, 2 retries. */
  readonly reconnect?: Schedule.Schedule<unknown, LogSink.SinkError> | undefined
}

/** Default values of the options. @since 0.1.0 */
export const defaults = {
  transport: "udp",
  host: "127.0.0.1",
  port: 514,
  facility: "user",
  protocol: "rfc5424",
  maxDatagramBytes: 2048,
  connectTimeout: "1 second",
  writeTimeout: "3 seconds"
} as const

const invalid = (option: string, expected: string, value: unknown): Error =>
  new Error(`logfiber: SyslogSink option ${option} must be ${expected}; got ${JSON.stringify(value)}`)

const appNameDefault = (): string => {
  const script = process.argv[1]
  return script === undefined ? "node" : path.basename(script).replace(/\.[cm]?[jt]s$/, "") || "node"
}

const frameOptions = (options: Options): frame.FrameOptions => {
  const facility = facilityCode(options.facility ?? defaults.facility)
  if (facility === undefined) throw invalid("facility", "a facility name such as \"local0\" or a number 0..23", options.facility)
  const protocol = options.protocol ?? defaults.protocol
  if (protocol !== "rfc5424" && protocol !== "rfc3164") throw invalid("protocol", "\"rfc5424\" or \"rfc3164\"", protocol)
  const msgId = options.msgId
  return {
    protocol,
    facility,
    hostname: frame.headerToken(options.hostname ?? os.hostname(), 255),
    appName: frame.headerToken(options.appName ?? appNameDefault(), 48),
    procId: String(process.pid),
    msgId: typeof msgId === "function" ? msgId : () => msgId,
    sdId: sdName(options.sdId ?? DEFAULT_SD_ID)
  }
}

const portOf = (options: Options): number => {
  const port = options.port ?? defaults.port
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid("port", "an integer 1..65535", port)
  return port
}

const streamTarget = (options: Options, transport: "tcp" | "unix"): stream.Target => {
  if (transport === "tcp") return { _tag: "tcp", host: options.host ?? defaults.host, port: portOf(options) }
  if (options.path === undefined || options.path === "") throw invalid("path", "a unix socket path for transport \"unix\"", options.path)
  return { _tag: "unix", path: options.path }
}

const makeStreamSink = (options: Options, transport: "tcp" | "unix", framing: frame.FrameOptions) =>
  Effect.gen(function*() {
    const target = streamTarget(options, transport)
    const name = `syslog(${stream.describeTarget(target)})`
    const writer = yield* stream.make({
      sink: name,
      target,
      connectTimeout: options.connectTimeout ?? defaults.connectTimeout,
      writeTimeout: options.writeTimeout ?? defaults.writeTimeout,
      reconnect: options.reconnect ?? Schedule.exponential("100 millis").pipe(Schedule.intersect(Schedule.recurs(2)))
    })
    return LogSink.make({ name, write: (batch) => writer.write(frame.octetCounted(framing, batch)) })
  })

const makeUdpSink = (options: Options, framing: frame.FrameOptions) =>
  Effect.gen(function*() {
    const max = options.maxDatagramBytes ?? defaults.maxDatagramBytes
    if (!Number.isInteger(max) || max < frame.MIN_DATAGRAM_BYTES || max > frame.MAX_DATAGRAM_BYTES) {
      throw invalid("maxDatagramBytes", `an integer from ${frame.MIN_DATAGRAM_BYTES} to ${frame.MAX_DATAGRAM_BYTES}`, max)
    }
    const host = options.host ?? defaults.host
    const port = portOf(options)
    const name = `syslog(udp://${host}:${port})`
    const sender = yield* udp.make(name, host, port)
    return LogSink.make({ name, write: (batch) => sender.send(batch.map((record) => frame.datagram(framing, record, max))) })
  })

/**
 * Build the sink in the current scope (the connection or socket is closed with it). An invalid
 * option is a programming error: the effect dies with a message naming the option and the value.
 * Nothing connects until the first batch, so a relay that is down does not delay startup.
 *
 * @example
 * ```ts
 * const sink = yield* SyslogSink.make({ transport: "unix", path: "/run/rsyslog/logfiber.sock" })
 * ```
 * @since 0.1.0
 */
export const make = (options: Options = {}): Effect.Effect<LogSink.LogSinkService, never, Scope.Scope> =>
  Effect.suspend(() => {
    const framing = frameOptions(options)
    const transport = options.transport ?? defaults.transport
    if (transport === "udp") return makeUdpSink(options, framing)
    if (transport === "tcp" || transport === "unix") return makeStreamSink(options, transport, framing)
    throw invalid("transport", "\"udp\", \"tcp\" or \"unix\"", transport)
  })

/**
 * The sink as a Layer: provide it to `AsyncLogger.layer`.
 *
 * @example
 * ```ts
 * const LogLive = AsyncLogger.layer().pipe(
 *   Layer.provide(SyslogSink.layer({ transport: "udp", host: "10.0.0.5", facility: "local3", protocol: "rfc3164" }))
 * )
 * ```
 * @since 0.1.0
 */
export const layer = (options: Options = {}): Layer.Layer<LogSink.LogSink> => Layer.scoped(LogSink.LogSink, make(options))
