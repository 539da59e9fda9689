/**
 * One file per record, for large payloads (model responses, request bodies) that a person opens
 * one at a time. Names sort in time order and never collide across fibers, batches or processes:
 * `2026-11-30T09-15-02.123456Z-000000000042-k3f9x2ab.json.gz` is the record's UTC time (the last
 * three digits order records of the same millisecond), its `seq`, and a run id unique to the
 * sink instance. Each file is written under a temporary name and linked into place, so a reader
 * never sees a partial file; a batch is written with bounded concurrency (asynchronous fs, gzip
 * on libuv's pool). `groupBy` puts records in a subdirectory per annotation value (sanitized: no
 * value can leave `dir`) or per UTC date. `encryption` seals each file as one AES-256-GCM block.
 *
 * The body is bounded by `AsyncLogger`'s `maxRecordBytes` (64 KiB by default), applied once when
 * the record is built, before any sink sees it. For large payloads give this sink its own
 * `AsyncLogger` with a larger `maxRecordBytes` and `replace: false`, merged beside the logger of
 * the line sinks: each logger bounds its own records (second example).
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { AsyncLogger, DirectorySink } from "logfiber"
 *
 * const LogLive = AsyncLogger.layer({ maxRecordBytes: 4 * 1024 * 1024 }).pipe(
 *   Layer.provide(DirectorySink.layer({ dir: "logs/responses", groupBy: "sessionId", compress: "gzip" }))
 * )
 * Effect.logInfo("model response", { body }).pipe(Effect.annotateLogs("sessionId", id), Effect.provide(LogLive))
 *
 * // lines bounded at 64 KiB in app.log, whole responses (up to 4 MiB) in their own files
 * const Lines = AsyncLogger.layer().pipe(Layer.provide(FileSink.layer({ path: "logs/app.log" })))
 * const Responses = AsyncLogger.layer({ replace: false, maxRecordBytes: 4 * 1024 * 1024 }).pipe(
 *   Layer.provide(DirectorySink.layer({ dir: "logs/responses", compress: "gzip" }))
 * )
 * const Both = Layer.merge(Lines, Responses)
 * ```
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import * as path from "node:path"
import { promisify } from "node:util"
import * as zlib from "node:zlib"
import * as Encryption from "./Encryption.js"
import * as Format from "./Format.js"
import type { LogRecord } from "./LogRecord.js"
import * as LogSink from "./LogSink.js"
import { type Target, writeTarget, writeTargetSync } from "./internal/directory/files.js"
import { fileName, makeRunId, MicroClock, segment, utcDate } from "./internal/directory/naming.js"

/** @since 0.2.0 */
export interface Options {
  /** The directory (created if missing). */
  readonly dir: string
  /** A subdirectory per value of this annotation, or `"date"`: per UTC date (`2026-11-30`). */
  readonly groupBy?: string | undefined
  /** `"gzip"`: each file gzip-compressed (`.gz`), before encryption when both are on. */
  readonly compress?: "gzip" | undefined
  /** The body; default `DirectorySink.prettyJson` (the `Format.json` record, indented). */
  readonly format?: Format.Format | undefined
  /** File extension before `.gz`/`.enc`; default `json` for the JSON formats, else `log`. */
  readonly extension?: string | undefined
  /** Files of one batch written at the same time; default 16. */
  readonly concurrency?: number | undefined
  /** Mode of new files; default `0o640`. */
  readonly mode?: number | undefined
  /** Encrypt each file (one block per file); see `Encryption`. */
  readonly encryption?: Encryption.Options | undefined
}

/**
 * The default body: the record as `Format.json` writes it, pretty-printed with two spaces,
 * with a final newline.
 *
 * @example
 * ```ts
 * DirectorySink.prettyJson(LogRecord.make({ message: "hi" })) // "{\n  \"time\": ...
 * ```
 * @since 0.2.0
 */
export const prettyJson: Format.Format = (record) => JSON.stringify(JSON.parse(Format.json(record)), null, 2)

/** A record's file: its place, given once, and the state of its write. */
interface Entry {
  readonly dir: string
  readonly name: string
  done: boolean
  pending?: Promise<void> | undefined
}

const gzip = promisify(zlib.gzip)
const GZIP_LEVEL = 6

const errorReason = (error: unknown): string =>
  error instanceof Error ? `${(error as NodeJS.ErrnoException).code ?? error.name}: ${error.message}` : String(error)

/** Option checks; the message names the option and the value. */
const checkOptions = (options: Options): string | undefined => {
  if (typeof options.dir !== "string" || options.dir.length === 0) return `dir: expected a directory path, got ${JSON.stringify(options.dir)}`
  const c = options.concurrency
  if (c !== undefined && !(Number.isInteger(c) && c >= 1)) return `concurrency: expected an integer of at least 1, got ${c}`
  if (options.compress !== undefined && options.compress !== "gzip") return `compress: expected "gzip", got ${JSON.stringify(options.compress)}`
  if (options.groupBy !== undefined && (typeof options.groupBy !== "string" || options.groupBy.length === 0)) {
    return `groupBy: expected an annotation name or "date", got ${JSON.stringify(options.groupBy)}`
  }
  if (options.extension !== undefined && !/^[A-Za-z0-9]+(?:\.[A-Za-z0-9]+)*$/.test(options.extension)) {
    return `extension: expected letters and digits (json, txt), got ${JSON.stringify(options.extension)}`
  }
  return undefined
}

/**
 * Create the directory and return the sink (used by `layer`). Fails with `SinkError` naming the
 * option or the directory.
 *
 * @example
 * ```ts
 * const sink = yield* DirectorySink.make({ dir: "logs/responses" })
 * ```
 * @since 0.2.0
 */
export const make = (options: Options): Effect.Effect<LogSink.LogSinkService, LogSink.SinkError> =>
  Effect.gen(function*() {
    const root = path.resolve(options.dir)
    const name = `directory(${options.dir})`
    const fail = (reason: string, cause?: unknown) => new LogSink.SinkError({ sink: name, reason, cause })
    const problem = checkOptions(options)
    if (problem !== undefined) return yield* Effect.fail(fail(problem))
    const seal = options.encryption === undefined
      ? undefined
      : yield* Effect.mapError(Encryption.sealer(options.encryption, "encryption"), (e) => fail(e.message))
    yield* Effect.try({ try: () => fs.mkdirSync(root, { recursive: true }), catch: (cause) => fail(`cannot create: ${errorReason(cause)}`, cause) })
    const format = options.format ?? prettyJson
    const extension = (options.extension ?? (options.format === undefined || options.format === Format.json ? "json" : "log")) +
      (options.compress === "gzip" ? ".gz" : "") + (seal !== undefined ? ".enc" : "")
    const runId = makeRunId()
    const clock = new MicroClock()
    const names = new WeakMap<LogRecord, Entry>()
    const made = new Set<string>([root])
    const ensureDir = (dir: string) => fs.promises.mkdir(dir, { recursive: true }).then(() => void made.add(dir))

    const groupDir = (record: LogRecord): string => {
      if (options.groupBy === undefined) return root
      const value = options.groupBy === "date" ? utcDate(record.time) : segment(record.annotations[options.groupBy])
      const dir = path.join(root, value)
      // the segment cannot contain a separator or be "." / "..": checked again here all the same
      if (path.dirname(dir) !== root) throw new Error(`groupBy value escapes ${root}`)
      return dir
    }
    // names are given once per record, in batch order: a retried batch reuses them and skips
    // the files already written
    const nameOf = (record: LogRecord) => {
      let entry = names.get(record)
      if (entry === undefined) {
        entry = { dir: groupDir(record), name: fileName(record, clock.micros(record.time), runId, extension), done: false, pending: undefined }
        names.set(record, entry)
      }
      return entry
    }
    const text = (record: LogRecord): Buffer => Buffer.from(format(record) + "\n", "utf8")
    const finish = (plain: Buffer, gzipped: boolean): Uint8Array => seal === undefined ? plain : seal(plain, gzipped)

    const persist = async (record: LogRecord, entry: Entry): Promise<void> => {
      const plain = text(record)
      const body = options.compress === "gzip" ? finish(await gzip(plain, { level: GZIP_LEVEL }), true) : finish(plain, false)
      if (!made.has(entry.dir)) await ensureDir(entry.dir)
      await writeTarget({ dir: entry.dir, name: entry.name, body } satisfies Target, options.mode ?? 0o640, ensureDir)
    }
    // a retry after a timeout joins the write still in flight instead of writing a second copy
    const writeOne = (record: LogRecord): Promise<void> => {
      const entry = nameOf(record)
      if (entry.done) return Promise.resolve()
      entry.pending ??= persist(record, entry).then(
        () => void (entry.done = true),
        (error: unknown) => {
          entry.pending = undefined
          throw error
        }
      )
      return entry.pending
    }
    const writeSync = (batch: ReadonlyArray<LogRecord>): void => {
      for (const record of batch) {
        const entry = nameOf(record)
        if (entry.done) continue
        const plain = text(record)
        const body = options.compress === "gzip" ? finish(zlib.gzipSync(plain, { level: GZIP_LEVEL }), true) : finish(plain, false)
        writeTargetSync({ dir: entry.dir, name: entry.name, body }, options.mode ?? 0o640)
        entry.done = true
      }
    }
    return LogSink.make({
      name,
      write: (batch) =>
        Effect.forEach(
          batch,
          (record) => Effect.tryPromise({ try: () => writeOne(record), catch: (cause) => fail(`write failed: ${errorReason(cause)}`, cause) }),
          { concurrency: options.concurrency ?? 16, discard: true }
        ),
      writeSync
    })
  })

/**
 * The directory sink as a Layer; fails with `SinkError` (naming the option or the directory) if
 * an option is invalid or the directory cannot be created.
 *
 * @example
 * ```ts
 * DirectorySink.layer({ dir: "logs/responses", groupBy: "date", compress: "gzip" })
 * ```
 * @since 0.2.0
 */
export const layer = (options: Options): Layer.Layer<LogSink.LogSink, LogSink.SinkError> =>
  Layer.effect(LogSink.LogSink, make(options))
