/**
 * A reconnecting stream connection (TCP or unix) for sinks that write one buffer per batch.
 *
 * Built on `@effect/platform`'s `Socket` (`NodeSocket.fromDuplex` over a `node:net` connection
 * the sink opens itself): its `writer` resolves when Node has taken the bytes (the write
 * callback), which is what one-write-per-batch accounting needs, and `openTimeout` bounds a
 * connect. The sink keeps the raw socket to destroy it when it drops the connection. One connection lives in its own `Scope`; its `run` fiber
 * ends when the peer closes or errors, which marks the connection dead. A failed or timed-out
 * write closes the connection: the next write opens a new one and sends its whole buffer from a
 * frame boundary, so a record cut short on the old connection is never continued on the new one.
 */
import * as Socket from "@effect/platform/Socket"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as net from "node:net"
import { SinkError } from "../../LogSink.js"

/** Where to connect: a TCP host and port, or a unix stream socket path. */
export type Target =
  | { readonly _tag: "tcp"; readonly host: string; readonly port: number }
  | { readonly _tag: "unix"; readonly path: string }

export interface StreamOptions {
  /** The sink's name, for errors. */
  readonly sink: string
  readonly target: Target
  /** Bound on one connect attempt. */
  readonly connectTimeout: Duration.DurationInput
  /** Bound on one write (the peer stopped reading, the kernel buffer is full). */
  readonly writeTimeout: Duration.DurationInput
  /** Connect attempts after the first failed one, within one `write`. */
  readonly reconnect: Schedule.Schedule<unknown, SinkError>
  /** Bytes sent first on every new connection (journald's stream header). */
  readonly greeting?: Uint8Array | undefined
}

interface Connection {
  readonly scope: Scope.CloseableScope
  readonly run: Fiber.RuntimeFiber<void, Socket.SocketError>
  readonly write: (chunk: Uint8Array) => Effect.Effect<void, Socket.SocketError>
}

export interface StreamWriter {
  /** Write `chunk` with one socket write, connecting first when there is no live connection. */
  readonly write: (chunk: Uint8Array) => Effect.Effect<void, SinkError>
}

export const describeTarget = (target: Target): string =>
  target._tag === "tcp" ? `tcp://${target.host}:${target.port}` : `unix://${target.path}`

const reasonOf = (error: unknown): string => {
  const cause = Socket.isSocketError(error) && "cause" in error ? error.cause : error
  return cause instanceof Error ? cause.message : String(cause)
}

const alive = (connection: Connection | undefined): connection is Connection =>
  connection !== undefined && connection.run.unsafePoll() === null

/** One connection in its own scope: open (bounded by `connectTimeout`), its `run` fiber forked, its writer ready. */
const open = (options: StreamOptions, onError: (error: unknown) => SinkError): Effect.Effect<Connection, SinkError> =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    let raw: net.Socket | undefined
    // destroyed, not ended, when the connection is dropped: a peer that stopped reading would
    // keep an ended socket (and its unsent bytes) alive forever
    yield* Scope.addFinalizer(scope, Effect.sync(() => raw?.destroy()))
    const opening = Effect.gen(function*() {
      const socket = yield* NodeSocket.fromDuplex(
        Effect.async<net.Socket, Socket.SocketError>((resume) => {
          const conn = options.target._tag === "tcp"
            ? net.createConnection({ host: options.target.host, port: options.target.port })
            : net.createConnection({ path: options.target.path })
          raw = conn
          // kept for the socket's whole life: NodeSocket removes its own listener when `run`
          // ends, and an error event without a listener (EPIPE on a late write) would crash
          conn.on("error", () => {})
          conn.once("connect", () => resume(Effect.succeed(conn)))
          conn.once("error", (cause) => resume(Effect.fail(new Socket.SocketGenericError({ reason: "Open", cause }))))
        }),
        { openTimeout: options.connectTimeout }
      )
      const opened = yield* Deferred.make<void>()
      const run = yield* socket.runRaw(() => {}, { onOpen: Deferred.done(opened, Exit.void) }).pipe(Effect.forkIn(scope))
      // open, or the attempt failed (refused, timed out): whichever comes first
      yield* Effect.raceFirst(
        Deferred.await(opened),
        Fiber.join(run).pipe(Effect.zipRight(Effect.fail(new Socket.SocketGenericError({ reason: "Open", cause: "closed while opening" }))))
      )
      const write = yield* Scope.extend(socket.writer, scope)
      if (options.greeting !== undefined) yield* write(options.greeting)
      return { scope, run, write }
    })
    return yield* opening.pipe(
      Effect.mapError(onError),
      Effect.onError(() => Scope.close(scope, Exit.void))
    )
  })

/** A stream writer whose connection is closed with the enclosing scope. */
export const make = (options: StreamOptions): Effect.Effect<StreamWriter, never, Scope.Scope> =>
  Effect.gen(function*() {
    let current: Connection | undefined
    const where = describeTarget(options.target)
    const fail = (what: string) => (error: unknown) =>
      new SinkError({ sink: options.sink, reason: `${what} ${where}: ${reasonOf(error)}`, cause: error })

    const drop = Effect.suspend(() => {
      const connection = current
      current = undefined
      return connection === undefined ? Effect.void : Scope.close(connection.scope, Exit.void)
    })
    yield* Effect.addFinalizer(() => drop)

    const connectOnce = open(options, fail("cannot connect to"))

    const connected: Effect.Effect<Connection, SinkError> = Effect.suspend(() => {
      if (alive(current)) return Effect.succeed(current)
      return drop.pipe(
        Effect.zipRight(Effect.retry(connectOnce, options.reconnect)),
        Effect.tap((connection) => {
          current = connection
        })
      )
    })

    const writeOn = (connection: Connection, chunk: Uint8Array): Effect.Effect<void, SinkError> =>
      Effect.raceFirst(
        connection.write(chunk),
        // the write waits for an open socket: if the connection ends first, it never would
        Fiber.join(connection.run).pipe(Effect.zipRight(Effect.fail(new Socket.SocketCloseError({ reason: "Close", code: 1006 }))))
      ).pipe(
        Effect.timeoutFail({
          duration: options.writeTimeout,
          onTimeout: () => new Socket.SocketGenericError({ reason: "Write", cause: `no progress in ${Duration.format(options.writeTimeout)}` })
        }),
        Effect.mapError(fail("write to")),
        // failed, timed out or interrupted (the logger's own writeTimeout): whatever part of the
        // chunk went out, that stream is done, and the retry starts a new one
        Effect.onError(() => drop)
      )

    // one write at a time: a retry that the logger starts while an interrupted write is still
    // being stopped waits until that write has dropped its connection
    const lock = yield* Effect.makeSemaphore(1)
    return {
      write: (chunk) => lock.withPermits(1)(Effect.flatMap(connected, (connection) => writeOn(connection, chunk)))
    }
  })
