/**
 * UDP: one datagram per record (the protocol has no framing to put several in one), sent with
 * `node:dgram` (`@effect/platform` has no UDP socket). A batch is one call that resolves when
 * Node has handed every datagram to the kernel, or fails with the first error. A host name is
 * resolved once (and again after an error), not on every datagram.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as dgram from "node:dgram"
import * as dns from "node:dns"
import * as net from "node:net"
import { SinkError } from "../../LogSink.js"

export interface UdpSender {
  readonly send: (datagrams: ReadonlyArray<Uint8Array>) => Effect.Effect<void, SinkError>
}

interface Resolved {
  readonly socket: dgram.Socket
  readonly address: string
}

/** A sender to `host:port`; the socket is closed with the scope. */
export const make = (sink: string, host: string, port: number): Effect.Effect<UdpSender, never, Scope.Scope> =>
  Effect.gen(function*() {
    const target = `udp://${host}:${port}`
    const failure = (error: unknown) =>
      new SinkError({ sink, reason: `send to ${target}: ${error instanceof Error ? error.message : String(error)}`, cause: error })
    let current: Resolved | undefined
    const drop = () => {
      current?.socket.close()
      current = undefined
    }
    yield* Effect.addFinalizer(() => Effect.sync(drop))
    const open = (address: string, family: number): Resolved => {
      const socket = dgram.createSocket(family === 6 ? "udp6" : "udp4")
      socket.unref() // never keeps the program alive
      socket.on("error", () => {}) // errors reach the send callbacks; an unhandled event would crash
      return (current = { socket, address })
    }
    const resolved = Effect.suspend((): Effect.Effect<Resolved, SinkError> => {
      if (current !== undefined) return Effect.succeed(current)
      const family = net.isIP(host)
      if (family !== 0) return Effect.succeed(open(host, family))
      return Effect.async<Resolved, SinkError>((resume) =>
        dns.lookup(host, (error, address, family) =>
          resume(error ? Effect.fail(failure(error)) : Effect.succeed(open(address, family)))))
    })
    const sendAll = ({ socket, address }: Resolved, datagrams: ReadonlyArray<Uint8Array>) =>
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
          for (const datagram of datagrams) socket.send(datagram, port, address, done)
        } catch (error) {
          failed = true
          resume(Effect.fail(failure(error)))
        }
      })
    return {
      send: (datagrams) =>
        Effect.flatMap(resolved, (r) => sendAll(r, datagrams)).pipe(
          // a new socket and a fresh lookup on the next batch
          Effect.tapError(() => Effect.sync(drop))
        )
    }
  })
