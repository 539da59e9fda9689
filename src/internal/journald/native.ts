/**
 * journald's native transport: one unix datagram per entry to `/run/systemd/journal/socket`.
 * Node cannot send unix datagrams, so this uses the `unix-dgram` addon (an optional
 * dependency) when it is installed; `load` returns `undefined` when it is not.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { EventEmitter } from "node:events"
import { createRequire } from "node:module"
import * as os from "node:os"
import { SinkError } from "../../LogSink.js"

interface UnixDgramSocket extends EventEmitter {
  connect(path: string): void
  send(buffer: Buffer, callback: (error?: Error & { code?: unknown }) => void): void
  close(): void
}

interface UnixDgram {
  createSocket(type: "unix_dgram"): UnixDgramSocket
}

let loaded: UnixDgram | null | undefined

/** The addon, or `undefined` when it is not installed or did not build. */
export const load = (): UnixDgram | undefined => {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)("unix-dgram") as UnixDgram
    } catch {
      loaded = null
    }
  }
  return loaded ?? undefined
}

const errnoName = (code: unknown): string => {
  if (typeof code !== "number") return String(code)
  const found = Object.entries(os.constants.errno).find(([, value]) => value === -code)
  return found === undefined ? String(code) : found[0]
}

/** Sends datagrams to `path`; the socket is closed with the scope. */
export interface NativeSender {
  /** Send one datagram; waits while the socket buffer is full (journald is slow), up to a bound. */
  readonly send: (datagram: Buffer) => Effect.Effect<void, NativeSendError>
}

/** A failed send; `tooLarge` when the kernel refused the datagram's size. */
export class NativeSendError extends SinkError {
  get tooLarge(): boolean {
    return this.reason.includes("EMSGSIZE")
  }
}

const CONGESTION_WAIT_MS = 2_000

const EAGAIN = -os.constants.errno.EAGAIN

export const make = (addon: UnixDgram, sink: string, path: string): Effect.Effect<NativeSender, never, Scope.Scope> =>
  Effect.gen(function*() {
    const failure = (what: string, cause?: unknown) => new NativeSendError({ sink, reason: `${what} ${path}: ${errnoName(cause instanceof Error && "code" in cause ? cause.code : cause)}`, cause })
    // a connected socket: the kernel then reports a full journald queue as "writable later"
    // (the addon's congestion event) instead of failing, and the address is resolved once
    let socket: UnixDgramSocket | undefined
    const close = () => {
      socket?.close()
      socket = undefined
    }
    yield* Effect.addFinalizer(() => Effect.sync(close))
    const connected = Effect.suspend((): Effect.Effect<UnixDgramSocket, NativeSendError> => {
      if (socket !== undefined) return Effect.succeed(socket)
      const fresh = addon.createSocket("unix_dgram")
      let error: unknown
      fresh.on("error", (e) => (error = e)) // connect reports synchronously; send errors reach callbacks
      fresh.connect(path)
      if (error !== undefined) {
        fresh.close()
        return Effect.fail(failure("connect to", error))
      }
      socket = fresh
      return Effect.succeed(fresh)
    })
    const attempt = (datagram: Buffer) =>
      Effect.flatMap(connected, (s) =>
        Effect.async<"sent" | "congested", NativeSendError>((resume) => {
          s.send(datagram, (error) => {
            if (error === undefined || error === null) return resume(Effect.succeed("sent"))
            // 1: the addon's "congestion" (EAGAIN/ENOBUFS, a "writable" event follows)
            if (error.code === 1 || error.code === EAGAIN) return resume(Effect.succeed("congested"))
            // journald restarted, or its socket is gone: connect again on the next attempt
            close()
            resume(Effect.fail(failure("send to", error)))
          })
        }))
    const writable = Effect.async<void>((resume) => {
      const current = socket
      const done = () => {
        clearTimeout(timer)
        resume(Effect.void)
      }
      const timer = setTimeout(() => {
        current?.off("writable", done)
        resume(Effect.void)
      }, 20)
      current?.once("writable", done)
    })
    const send = (datagram: Buffer): Effect.Effect<void, NativeSendError> =>
      Effect.suspend(() => {
        const started = Date.now()
        const loop: Effect.Effect<void, NativeSendError> = Effect.flatMap(attempt(datagram), (result) => {
          if (result === "sent") return Effect.void
          if (Date.now() - started > CONGESTION_WAIT_MS) {
            return Effect.fail(new NativeSendError({ sink, reason: `send to ${path}: journald's queue stayed full for ${CONGESTION_WAIT_MS} ms` }))
          }
          return Effect.zipRight(writable, loop)
        })
        return loop
      })
    return { send }
  })
