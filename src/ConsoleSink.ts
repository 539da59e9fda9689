/**
 * Write records to standard output or standard error, one write per batch.
 *
 * @example
 * ```ts
 * import { AsyncLogger, ConsoleSink, Format } from "logfiber"
 * import { Layer } from "effect"
 * const LogLive = AsyncLogger.layer().pipe(
 *   Layer.provide(ConsoleSink.layer({ format: Format.logfmt, stream: "stderr" }))
 * )
 * ```
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import * as Format from "./Format.js"
import type { LogRecord } from "./LogRecord.js"
import * as LogSink from "./LogSink.js"
import { renderBatch } from "./internal/lines.js"

/** @since 0.1.0 */
export interface Options {
  /** Line format; default `Format.json`. */
  readonly format?: Format.Format | undefined
  /** `"stdout"` (default) or `"stderr"`. */
  readonly stream?: "stdout" | "stderr" | undefined
}

/**
 * The console sink. Batches go through the Node stream (so they interleave correctly with
 * other output); the synchronous path writes to the file descriptor directly.
 * @since 0.1.0
 */
export const make = (options: Options = {}): LogSink.LogSinkService => {
  const format = options.format ?? Format.json
  const streamName = options.stream ?? "stdout"
  const name = `console(${streamName})`
  const stream = () => (streamName === "stderr" ? process.stderr : process.stdout)
  return LogSink.make({
    name,
    write: (batch) =>
      Effect.async<void, LogSink.SinkError>((resume) => {
        try {
          stream().write(renderBatch(format, batch), (error) =>
            resume(
              error
                ? Effect.fail(new LogSink.SinkError({ sink: name, reason: error.message, cause: error }))
                : Effect.void
            ))
        } catch (error) {
          resume(Effect.fail(new LogSink.SinkError({ sink: name, reason: String(error), cause: error })))
        }
      }),
    writeSync: (batch: ReadonlyArray<LogRecord>) => {
      // a pipe may take fewer bytes than asked: write the rest, so no line is cut short
      const bytes = Buffer.from(renderBatch(format, batch))
      const fd = streamName === "stderr" ? 2 : 1
      let offset = 0
      while (offset < bytes.length) offset += fs.writeSync(fd, bytes, offset, bytes.length - offset)
    }
  })
}

/** The console sink as a Layer. @since 0.1.0 */
export const layer = (options: Options = {}): Layer.Layer<LogSink.LogSink> =>
  Layer.succeed(LogSink.LogSink, make(options))
