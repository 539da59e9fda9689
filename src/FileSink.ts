/**
 * Append records to a file: one open handle for the sink's lifetime, one `write` system call
 * per batch (lines encoded into one reused buffer), parent directories created, new files created with mode `0o640`.
 *
 * Writes are synchronous system calls made by the writer fiber, never by the caller: for a
 * local disk this is the fastest path (the kernel's page cache absorbs it) and it keeps the
 * writer in step with the producers; the caller only ever pays for the queue insert.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { AsyncLogger, FileSink, Format } from "logfiber"
 *
 * const LogLive = AsyncLogger.layer().pipe(
 *   Layer.provide(FileSink.layer({ path: "logs/app.log", format: Format.json }))
 * )
 * ```
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Encryption from "./Encryption.js"
import * as Format from "./Format.js"
import type { LogRecord } from "./LogRecord.js"
import * as LogSink from "./LogSink.js"
import { LineBuffer } from "./internal/lines.js"

/** @since 0.1.0 */
export interface Options {
  /** File to append to; parent directories are created. */
  readonly path: string
  /** Line format; default `Format.json`. */
  readonly format?: Format.Format | undefined
  /** Mode for a newly created file; default `0o640`. */
  readonly mode?: number | undefined
  /** `fdatasync` on every flush (durability over speed); default `false`. */
  readonly fsync?: boolean | undefined
  /** Encrypt each batch as one AES-256-GCM block (see `Encryption`); read back with `logfiber cat --key-env`. */
  readonly encryption?: Encryption.Options | undefined
}

const errorReason = (error: unknown): string =>
  error instanceof Error ? `${(error as NodeJS.ErrnoException).code ?? error.name}: ${error.message}` : String(error)

/** Write the whole buffer: a regular file may still accept fewer bytes than asked. */
const writeAll = (fd: number, buffer: Buffer): void => {
  let offset = 0
  while (offset < buffer.length) offset += fs.writeSync(fd, buffer, offset, buffer.length - offset)
}

/**
 * Open the file in the current scope and return the sink; the handle is closed when the
 * scope closes (after `AsyncLogger` has drained into it).
 *
 * @since 0.1.0
 */
export const make = (options: Options) =>
  Effect.gen(function*() {
    const format = options.format ?? Format.json
    const name = `file(${options.path})`
    const seal = options.encryption === undefined ? undefined : yield* Effect.mapError(
      Encryption.sealer(options.encryption),
      (e) => new LogSink.SinkError({ sink: name, reason: e.message })
    )
    const fd = yield* Effect.acquireRelease(
      Effect.try({
        try: () => {
          fs.mkdirSync(path.dirname(path.resolve(options.path)), { recursive: true })
          const created = !fs.existsSync(options.path)
          const fd = fs.openSync(options.path, "a", options.mode ?? 0o640)
          if (created) fs.fchmodSync(fd, options.mode ?? 0o640)
          return fd
        },
        catch: (cause) => new LogSink.SinkError({ sink: name, reason: `cannot open: ${errorReason(cause)}`, cause })
      }),
      (fd) =>
        Effect.sync(() => {
          open = false
          fs.closeSync(fd)
        }).pipe(Effect.ignore)
    )
    let open = true
    // one buffer for the sink's lifetime: each batch is encoded into it, then written
    const lines = new LineBuffer()
    const writeSync = (batch: ReadonlyArray<LogRecord>): void => {
      // never write through a closed descriptor: its number may already belong to another file
      if (!open) throw new Error(`${name} is closed`)
      try {
        const bytes = lines.render(format, batch)
        writeAll(fd, seal === undefined ? bytes : seal(bytes, false))
      } finally {
        lines.reset()
      }
    }
    return LogSink.make({
      name,
      write: (batch) =>
        Effect.try({
          try: () => writeSync(batch),
          catch: (cause) => new LogSink.SinkError({ sink: name, reason: `write failed: ${errorReason(cause)}`, cause })
        }),
      flush: options.fsync === true
        ? Effect.try({
          try: () => fs.fdatasyncSync(fd),
          catch: (cause) => new LogSink.SinkError({ sink: name, reason: `fsync failed: ${errorReason(cause)}`, cause })
        })
        : Effect.void,
      writeSync
    })
  })

/**
 * The file sink as a Layer; fails with `SinkError` (naming the path) if the file cannot be opened.
 * @since 0.1.0
 */
export const layer = (options: Options): Layer.Layer<LogSink.LogSink, LogSink.SinkError> =>
  Layer.scoped(LogSink.LogSink, make(options))
