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
}

/** The error's code and message, the code once (Node's own messages already start with it). */
const errorReason = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error)
  const code = (error as NodeJS.ErrnoException).code ?? error.name
  return error.message.startsWith(code) ? error.message : `${code}: ${error.message}`
}

/** The first ancestor directory of `file` that exists but is not a directory, if any. */
const blockingAncestor = (file: string): string | undefined => {
  const ancestors: Array<string> = []
  for (let dir = path.dirname(path.resolve(file)); ; dir = path.dirname(dir)) {
    ancestors.unshift(dir)
    if (path.dirname(dir) === dir) break
  }
  for (const dir of ancestors) {
    try {
      if (!fs.statSync(dir).isDirectory()) return dir
    } catch {
      return undefined // missing: mkdir creates it, or fails with its own reason
    }
  }
  return undefined
}

/** Create the file's parent directories; a parent that is a file is named as the cause (mkdir says EEXIST). */
const makeParents = (file: string): void => {
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true })
  } catch (error) {
    const blocker = blockingAncestor(file)
    if (blocker === undefined) throw error
    throw Object.assign(new Error(`ENOTDIR: ${blocker} is not a directory`), { code: "ENOTDIR", cause: error })
  }
}

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
    const fd = yield* Effect.acquireRelease(
      Effect.try({
        try: () => {
          makeParents(options.path)
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
        writeAll(fd, lines.render(format, batch))
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
