/**
 * UDP: one datagram per record (the protocol has no framing to put several in one), sent with
 * `node:dgram` (`@effect/platform` has no UDP socket). A batch is one call
 * that resolves when Node has handed every datagram to the kernel, or fails with the first error.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as dgram from "node:dgram"
import * as net from "node:net"
import { SinkError } from "../../LogSink.js"

export interface UdpSender {
  readonly send: (datagrams: ReadonlyArray<Uint8Array>) => Effect.Effect<void, SinkError>
}

/** A sender to `host:port`; the socket is closed with the scope. */
export const make = (sink: string, host: string, port: number): Effect.Effect<UdpSender, never, Scope.Scope> =>
  Effect.gen(function*() {
    const socket = dgram.createSocket(net.isIPv6(host) ? "udp6" : "udp4")
    socket.unref() // never keeps the program alive
    // errors reach the send callbacks; an unhandled error event would crash the process
    socket.on("error", () => {})
    yield* Effect.addFinalizer(() => Effect.sync(() => socket.close()))
    const target = `udp://${host}:${port}`
    const failure = (error: unknown) =>
      new SinkError({ sink, reason: `send to ${target}: ${error instanceof Error ? error.message : String(error)}`, cause: error })
    const send = (datagrams: ReadonlyArray<Uint8Array>): Effect.Effect<void, SinkError> =>
      Effect.async<void, SinkError>((resume) => {
        let waiting = datagrams.length
        let failed = false
        const done = (error: Error | null) => {
          if (failed) return
          if (error) {
            failed = true
            return resume(Effect.fail(failure(error)))
          }
          if (--waiting === 0) resume(Effect.void)
        }
        if (waiting === 0) return resume(Effect.void)
        try {
          for (const datagram of datagrams) socket.send(datagram, port, host, done)
        } catch (error) {
          failed = true
          resume(Effect.fail(failure(error)))
        }
      })
    return { send }
  })
