/**
 * Send records to systemd-journald with the native protocol: every record is one journal
 * entry with `MESSAGE`, `PRIORITY`, `SYSLOG_IDENTIFIER`, `SYSLOG_PID`, `LOGFIBER_SEQ`,
 * `LOGFIBER_FIBER`, `LOGFIBER_LEVEL`, `LOGFIBER_TIME`, and every annotation and field as an
 * upper-cased journal field (`user.id` becomes `USER_ID`); multi-line and binary values use
 * the length-prefixed form, so `journalctl -o json` shows them whole.
 *
 * Route: the native protocol is unix datagrams, which Node cannot send by itself; the sink uses
 * the optional `unix-dgram` addon when it is installed (`route(...)` says which). Without it the
 * sink falls back to journald's stream socket, which keeps MESSAGE and PRIORITY only: the
 * fields are folded into the message as JSON. An entry over `maxEntryBytes` is cut with a
 * visible `…[truncated N bytes]` marker. See docs/syslog-journald.md.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { AsyncLogger, JournaldSink } from "logfiber"
 *
 * const LogLive = AsyncLogger.layer().pipe(Layer.provide(JournaldSink.layer({ identifier: "api" })))
 * // journalctl -t api -o json
 * Effect.runPromise(Effect.logInfo("user login", { userId: 42 }).pipe(Effect.provide(LogLive)))
 * ```
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as path from "node:path"
import * as entry from "./internal/journald/entry.js"
import * as native from "./internal/journald/native.js"
import * as journalStream from "./internal/journald/stream.js"
import * as stream from "./internal/syslog/stream.js"
import type { LogRecord } from "./LogRecord.js"
import * as LogSink from "./LogSink.js"

/** @since 0.1.0 */
export interface Options {
  /** `SYSLOG_IDENTIFIER` (what `journalctl -t` matches). Default: the script's base name, else `"node"`. */
  readonly identifier?: string | undefined
  /** A journald namespace (`systemd-journald@NS`): sockets under `/run/systemd/journal.NS/`. */
  readonly namespace?: string | undefined
  /** `"auto"` (default: native when the addon is installed, else stream), `"native"` or `"stream"`. */
  readonly transport?: "auto" | "native" | "stream" | undefined
  /** Native: largest entry in bytes, at least 1024; larger entries are cut with a marker. Default `131_072`. */
  readonly maxEntryBytes?: number | undefined
  /** Stream: bound on one connect attempt. Default `"1 second"`. */
  readonly connectTimeout?: Duration.DurationInput | undefined
  /** Stream: bound on one batch write. Default `"3 seconds"`. */
  readonly writeTimeout?: Duration.DurationInput | undefined
  /** Stream: connect retries within one write. Default: exponential from 100 ms, 2 retries. */
  readonly reconnect?: Schedule.Schedule<unknown, LogSink.SinkError> | undefined
}

/** Default values of the options. @since 0.1.0 */
export const defaults = { transport: "auto", maxEntryBytes: 131_072, connectTimeout: "1 second", writeTimeout: "3 seconds" } as const

/**
 * journald's sockets for a namespace (or the default one).
 *
 * @example
 * ```ts
 * JournaldSink.socketPaths("audit") // { native: "/run/systemd/journal.audit/socket", stream: "/run/systemd/journal.audit/stdout" }
 * ```
 * @since 0.1.0
 */
export const socketPaths = (namespace?: string): { readonly native: string; readonly stream: string } => {
  const dir = namespace === undefined || namespace === "" ? "/run/systemd/journal" : `/run/systemd/journal.${namespace}`
  return { native: `${dir}/socket`, stream: `${dir}/stdout` }
}

/**
 * Whether the native route is available: the optional `unix-dgram` addon is installed and loads.
 *
 * @example
 * ```ts
 * if (!JournaldSink.nativeAvailable()) console.warn("journald: stream fallback, fields folded into MESSAGE")
 * ```
 * @since 0.1.0
 */
export const nativeAvailable = (): boolean => native.load() !== undefined

/**
 * The route `options` select: `"native"` (datagrams, every field) or `"stream"` (MESSAGE and
 * PRIORITY, fields folded into the message).
 *
 * @example
 * ```ts
 * JournaldSink.route({}) // "native" where unix-dgram is installed
 * ```
 * @since 0.1.0
 */
export const route = (options: Options = {}): "native" | "stream" => {
  const transport = options.transport ?? defaults.transport
  return transport === "auto" ? (nativeAvailable() ? "native" : "stream") : transport
}

const invalid = (option: string, expected: string, value: unknown): Error =>
  new Error(`logfiber: JournaldSink option ${option} must be ${expected}; got ${JSON.stringify(value)}`)

const identifierDefault = (): string => {
  const script = process.argv[1]
  return script === undefined ? "node" : path.basename(script).replace(/\.[cm]?[jt]s$/, "") || "node"
}

/** How far the sink got into a batch, so a retry resumes after the entries already sent. */
interface Progress {
  readonly first: LogRecord | undefined
  readonly length: number
  sent: number
}

const makeNative = (options: Options, entryOptions: entry.EntryOptions) =>
  Effect.gen(function*() {
    const addon = native.load()
    if (addon === undefined) {
      throw invalid("transport", "\"auto\" or \"stream\" without the optional unix-dgram addon (npm install unix-dgram)", "native")
    }
    const max = options.maxEntryBytes ?? defaults.maxEntryBytes
    if (!Number.isInteger(max) || max < 1024) throw invalid("maxEntryBytes", "an integer of at least 1024", max)
    const socketPath = socketPaths(options.namespace).native
    const name = `journald(native:${socketPath})`
    const sender = yield* native.make(addon, name, socketPath)
    const sendEntry = (fields: ReadonlyArray<entry.Field>, limit: number): Effect.Effect<void, LogSink.SinkError> =>
      sender.send(entry.encode(entry.fit(fields, limit))).pipe(
        // the kernel's datagram limit can be below ours (a small wmem_default): halve and cut again
        Effect.catchIf((error) => error.tooLarge && limit > 2048, () => sendEntry(fields, Math.floor(limit / 2)))
      )
    // datagrams are all-or-nothing, so a retried batch resumes where the failed attempt stopped
    let progress: Progress | undefined
    // one write at a time, so a retry never runs beside an interrupted attempt that is stopping
    const lock = yield* Effect.makeSemaphore(1)
    const write = (batch: ReadonlyArray<LogRecord>) =>
      lock.withPermits(1)(Effect.suspend(() => {
        const current = progress?.first === batch[0] && progress?.length === batch.length && progress !== undefined
          ? progress
          : (progress = { first: batch[0], length: batch.length, sent: 0 })
        return Effect.forEach(
          batch.slice(current.sent),
          (record) => Effect.tap(sendEntry(entry.fields(entryOptions, record), max), () => void current.sent++),
          { discard: true }
        )
      }))
    return LogSink.make({ name, write })
  })

const makeStream = (options: Options, identifier: string) =>
  Effect.gen(function*() {
    const socketPath = socketPaths(options.namespace).stream
    const name = `journald(stream:${socketPath})`
    const writer = yield* stream.make({
      sink: name,
      target: { _tag: "unix", path: socketPath },
      connectTimeout: options.connectTimeout ?? defaults.connectTimeout,
      writeTimeout: options.writeTimeout ?? defaults.writeTimeout,
      reconnect: options.reconnect ?? Schedule.exponential("100 millis").pipe(Schedule.intersect(Schedule.recurs(2))),
      greeting: journalStream.header(identifier)
    })
    return LogSink.make({ name, write: (batch) => writer.write(journalStream.lines(batch)) })
  })

/**
 * Build the sink in the current scope. An invalid option is a programming error: the effect
 * dies with a message naming the option and the value. Nothing is sent until the first batch.
 *
 * @example
 * ```ts
 * const sink = yield* JournaldSink.make({ identifier: "worker", namespace: "batch" })
 * ```
 * @since 0.1.0
 */
export const make = (options: Options = {}): Effect.Effect<LogSink.LogSinkService, never, Scope.Scope> =>
  Effect.suspend(() => {
    const transport = options.transport ?? defaults.transport
    if (transport !== "auto" && transport !== "native" && transport !== "stream") {
      throw invalid("transport", "\"auto\", \"native\" or \"stream\"", transport)
    }
    if (options.namespace !== undefined && !/^[A-Za-z0-9_.-]*$/.test(options.namespace)) {
      throw invalid("namespace", "letters, digits, \"_\", \"-\" and \".\"", options.namespace)
    }
    const identifier = options.identifier ?? identifierDefault()
    return route(options) === "native"
      ? makeNative(options, { identifier, pid: String(process.pid) })
      : makeStream(options, identifier)
  })

/**
 * The sink as a Layer: provide it to `AsyncLogger.layer`.
 *
 * @example
 * ```ts
 * const LogLive = AsyncLogger.layer().pipe(Layer.provide(JournaldSink.layer({ identifier: "api" })))
 * ```
 * @since 0.1.0
 */
export const layer = (options: Options = {}): Layer.Layer<LogSink.LogSink> => Layer.scoped(LogSink.LogSink, make(options))
