/**
 * Append records to a file: one open handle for the sink's lifetime, one `write` system call
 * per batch (lines encoded into one reused buffer), parent directories created, new files created with mode `0o640`.
 *
 * Writes are synchronous system calls made by the writer fiber, never by the caller: for a
 * local disk this is the fastest path (the kernel's page cache absorbs it) and it keeps the
 * writer in step with the producers; the caller only ever pays for the queue insert.
 *
 * With `rotate`, the file rotates between batches by size and by hour or day of the records'
 * timestamps; rotated files are compressed and aged out by a background fiber. The file is
 * opened with `O_APPEND` and the path re-checked before each batch, so logrotate (move-and-create
 * or `copytruncate`) loses no line. A batch that fails (disk full) is cut back out of the file
 * before it is retried: no duplicated or torn line, and the stats match the file.
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
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { gzipSync } from "node:zlib"
import * as Encryption from "./Encryption.js"
import * as Format from "./Format.js"
import type { LogRecord } from "./LogRecord.js"
import * as LogSink from "./LogSink.js"
import { startMaintenance } from "./internal/file/maintenance.js"
import { naming } from "./internal/file/naming.js"
import type { Interval } from "./internal/file/period.js"
import { RotatingFile } from "./internal/file/rotatingFile.js"
import { WriteRing } from "./internal/file/writeRing.js"
import { writeStderr } from "./internal/stderr.js"

/**
 * When and how the file rotates, and which rotated files are kept. Every limit is optional.
 * Rotated files are named `app.<period>.<n>.log` (`.gz` once compressed) beside `app.log`:
 * see docs/files.md for the scheme.
 *
 * @example
 * ```ts
 * const rotate: FileSink.Rotate = { maxBytes: 50 * 1024 * 1024, interval: "daily", maxFiles: 14, compress: "gzip" }
 * ```
 * @since 0.2.0
 */
export interface Rotate {
  /** Start a new file before a batch that would take the active file past this many bytes. */
  readonly maxBytes?: number | undefined
  /** One file per hour or per day of the records' timestamps. */
  readonly interval?: Interval | undefined
  /** IANA time zone for `interval` and the date in names; default `"UTC"`. */
  readonly timeZone?: string | undefined
  /** Rotated files kept (the active file not counted); the oldest go first. */
  readonly maxFiles?: number | undefined
  /** Rotated files last written longer ago than this are removed. */
  readonly maxAge?: Duration.DurationInput | undefined
  /** The active and rotated files together stay within this many bytes (oldest rotated removed). */
  readonly maxTotalBytes?: number | undefined
  /** Compress rotated files in the background. */
  readonly compress?: "gzip" | undefined
  /**
   * gzip level, 1 (fastest) to 9 (smallest); default 1. On JSON log lines level 6 took 3 x
   * the CPU of level 1 for files about 2 % smaller, and the compressor shares the machine
   * with the program.
   */
  readonly compressLevel?: number | undefined
}

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
  /** Rotation, retention and compression; none by default. */
  readonly rotate?: Rotate | undefined
  /** Reopen the path when the process receives this signal (for logrotate's `postrotate`). */
  readonly reopenOnSignal?: "SIGHUP" | "SIGUSR1" | "SIGUSR2" | undefined
  /** How long closing the sink waits for compressions in flight; default `"5 seconds"`. */
  readonly shutdownTimeout?: Duration.DurationInput | undefined
  /**
   * Encrypt each batch as one AES-256-GCM block (see `Encryption`); read back with
   * `logfiber cat --key-env`. With `rotate.compress`, each batch is gzipped before it is sealed
   * and rotated files are not compressed again.
   */
  readonly encryption?: Encryption.Options | undefined
}

/** The error's code and message, the code once (Node's own messages already start with it). */
const errorReason = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error)
  const code = (error as NodeJS.ErrnoException).code ?? error.name
  return error.message.startsWith(code) ? error.message : `${code}: ${error.message}`
}

/** Open file sinks of this process: `reopen` reaches every one of them. */
const live = new Set<RotatingFile>()

const invalid = (setting: string, value: unknown, expected: string): string =>
  `invalid option ${setting}: ${String(value)} (expected ${expected})`

/** The first invalid rotation setting, described; `undefined` when all are valid. */
const checkRotate = (rotate: Rotate): string | undefined => {
  const count = (name: string, value: number | undefined, min: number): string | undefined =>
    value !== undefined && !(Number.isSafeInteger(value) && value >= min)
      ? invalid(`rotate.${name}`, value, `an integer >= ${min}`)
      : undefined
  const problem = count("maxBytes", rotate.maxBytes, 1) ?? count("maxFiles", rotate.maxFiles, 0) ??
    count("maxTotalBytes", rotate.maxTotalBytes, 1) ?? count("compressLevel", rotate.compressLevel, 1)
  if (problem !== undefined) return problem
  if (rotate.compressLevel !== undefined && rotate.compressLevel > 9) {
    return invalid("rotate.compressLevel", rotate.compressLevel, "an integer from 1 to 9")
  }
  if (rotate.interval !== undefined && rotate.interval !== "hourly" && rotate.interval !== "daily") {
    return invalid("rotate.interval", rotate.interval, `"hourly" or "daily"`)
  }
  if (rotate.maxAge !== undefined && Option.isNone(Duration.decodeUnknown(rotate.maxAge))) {
    return invalid("rotate.maxAge", rotate.maxAge, `a duration such as "7 days"`)
  }
  if (rotate.timeZone !== undefined) {
    try {
      new Intl.DateTimeFormat("en-CA", { timeZone: rotate.timeZone })
    } catch {
      return invalid("rotate.timeZone", rotate.timeZone, `an IANA time zone such as "Europe/Paris"`)
    }
  }
  return undefined
}

/**
 * Open the file in the current scope and return the sink; the handle is closed when the
 * scope closes (after `AsyncLogger` has drained into it), and compressions in flight are
 * awaited within `shutdownTimeout`.
 *
 * @since 0.1.0
 */
export const make = (options: Options) =>
  Effect.gen(function*() {
    const format = options.format ?? Format.json
    const name = `file(${options.path})`
    const rotate = options.rotate ?? {}
    const problem = checkRotate(rotate)
    if (problem !== undefined) return yield* new LogSink.SinkError({ sink: name, reason: problem })
    const seal = options.encryption === undefined ? undefined : yield* Effect.mapError(
      Encryption.sealer(options.encryption),
      (e) => new LogSink.SinkError({ sink: name, reason: e.message })
    )
    const level = rotate.compressLevel ?? 1
    const sealBatch = seal === undefined
      ? undefined
      : rotate.compress === "gzip"
      ? (bytes: Uint8Array) => seal(gzipSync(bytes, { level }), true)
      : (bytes: Uint8Array) => seal(bytes, false)
    const names = naming(options.path)
    const maintenance = yield* startMaintenance({
      names,
      sinkName: name,
      // encrypted files are compressed batch by batch before sealing: ciphertext does not compress
      compress: rotate.compress === "gzip" && seal === undefined,
      compressLevel: level,
      retention: {
        maxFiles: rotate.maxFiles,
        maxTotalBytes: rotate.maxTotalBytes,
        maxAgeMillis: rotate.maxAge === undefined ? undefined : Duration.toMillis(Duration.decode(rotate.maxAge))
      },
      shutdownTimeout: options.shutdownTimeout ?? "5 seconds"
    })
    // one buffer for the sink's lifetime: each batch is encoded into it, then written
    const ring = new WriteRing()
    const file = yield* Effect.acquireRelease(
      Effect.try({
        try: () =>
          new RotatingFile(
            names,
            options.mode ?? 0o640,
            { maxBytes: rotate.maxBytes, interval: rotate.interval, timeZone: rotate.timeZone },
            maintenance.enqueue,
            ring,
            (message) => writeStderr(`logfiber: ${name}: ${message}\n`),
            sealBatch
          ),
        catch: (cause) => new LogSink.SinkError({ sink: name, reason: `cannot open: ${errorReason(cause)}`, cause })
      }),
      (file) =>
        Effect.sync(() => {
          live.delete(file)
          file.close()
        })
    )
    live.add(file)
    if (options.reopenOnSignal !== undefined) {
      const signal = options.reopenOnSignal
      const onSignal = () => file.requestReopen()
      yield* Effect.acquireRelease(
        Effect.sync(() => process.on(signal, onSignal)),
        () => Effect.sync(() => process.off(signal, onSignal))
      )
    }
    const writeSync = (batch: ReadonlyArray<LogRecord>): void => {
      const { bytes, span } = ring.render(format, batch)
      file.write(batch, bytes, span)
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
          try: () => file.sync(),
          catch: (cause) => new LogSink.SinkError({ sink: name, reason: `fsync failed: ${errorReason(cause)}`, cause })
        })
        : Effect.void,
      writeSync
    })
  })

/**
 * The file sink as a Layer; fails with `SinkError` (naming the path) if the file cannot be
 * opened or an option is invalid (naming the option and its value).
 *
 * @example
 * ```ts
 * const LogLive = AsyncLogger.layer().pipe(Layer.provide(FileSink.layer({
 *   path: "logs/app.log",
 *   rotate: { maxBytes: 10 * 1024 * 1024, maxFiles: 20, compress: "gzip" }
 * })))
 * ```
 * @since 0.1.0
 */
export const layer = (options: Options): Layer.Layer<LogSink.LogSink, LogSink.SinkError> =>
  Layer.scoped(LogSink.LogSink, make(options))

/**
 * Make every file sink open in this process close its file and open the path again before
 * its next batch: the Effect counterpart of `reopenOnSignal`, for a program that learns of an
 * external rotation another way. (Move-and-create is noticed without it: each batch checks that
 * the path still names the open file.)
 *
 * @example
 * ```ts
 * yield* FileSink.reopen
 * ```
 * @since 0.2.0
 */
export const reopen: Effect.Effect<void> = Effect.sync(() => {
  for (const file of live) file.requestReopen()
})
