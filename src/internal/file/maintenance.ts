import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import { writeStderr } from "../stderr.js"
import { GzipWorker, repair } from "./compression.js"
import type { Naming } from "./naming.js"
import { applyRetention, type Retention } from "./retention.js"

/** Retention passes during a backlog of compressions: one per this many files. */
const RETAIN_EVERY = 16

export interface MaintenanceOptions {
  readonly names: Naming
  readonly sinkName: string
  readonly compress: boolean
  readonly compressLevel: number
  readonly retention: Retention
  readonly shutdownTimeout: Duration.DurationInput
}

/**
 * The background fiber that has rotated files compressed (on a worker thread: `GzipWorker`) and
 * applies retention (see `RETAIN_EVERY`), off the writer's path: the writer only hands it names
 * (`enqueue`). At start it repairs what a crash left (temporary files, uncompressed rotated
 * files). When its scope closes it finishes the files handed to it within `shutdownTimeout`, then
 * stops (what is left is compressed at the next start). A failure is reported once on stderr and
 * never reaches the writer.
 */
export const startMaintenance = (
  options: MaintenanceOptions
): Effect.Effect<{ readonly enqueue: (file: string) => void }, never, Scope.Scope> =>
  Effect.gen(function*() {
    // each job is the wait for a file handed to the compression thread when it rotated (or,
    // without compression, nothing): the thread works through its files while this fiber waits
    const jobs = yield* Queue.unbounded<{ readonly file: string; readonly done: Effect.Effect<void, Error> } | null>()
    const gzip = options.compress ? new GzipWorker(options.compressLevel) : undefined
    const report = (what: string, error: unknown): void =>
      writeStderr(`logfiber: ${options.sinkName}: ${what}: ${error instanceof Error ? error.message : String(error)}\n`)

    const awaitCompression = (file: string, done: Effect.Effect<void, Error>): Effect.Effect<void> =>
      Effect.catchAll(done, (error) =>
        Effect.sync(() => {
          // retention may have removed it first: nothing to report
          if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
            report(`gzip of ${file} failed, the uncompressed file is kept`, error)
          }
        }))
    const retain = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.sync(() => {
        try {
          applyRetention(options.names, options.retention, now, (file) => gzip?.isPending(file) ?? false)
        } catch (error) {
          report("retention failed", error)
        }
      }))

    const { maxAgeMillis, maxFiles, maxTotalBytes } = options.retention
    const retains = maxFiles !== undefined || maxAgeMillis !== undefined || maxTotalBytes !== undefined
    // a pass scans and stats the directory: with a backlog of compressions, one pass every
    // RETAIN_EVERY files and one when it is done, not one per file (thousands of small rotations
    // made shutdown quadratic)
    const loop: Effect.Effect<void> = Effect.gen(function*() {
      for (let done = 1;; done++) {
        const job = yield* Queue.take(jobs)
        if (job === null) return retains ? yield* retain : undefined
        yield* awaitCompression(job.file, job.done)
        if (retains && (done % RETAIN_EVERY === 0 || (yield* Queue.size(jobs)) === 0)) yield* retain
      }
    })

    // crash leftovers: temporary files go, raw rotated files are compressed (oldest first)
    const leftovers = yield* Effect.sync(() => {
      try {
        return options.compress ? repair(options.names) : []
      } catch (error) {
        report("start-up repair failed", error)
        return []
      }
    })
    const fiber = yield* Effect.forkDaemon(loop)
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        yield* Queue.offer(jobs, null)
        const done = yield* Fiber.await(fiber).pipe(
          // finalizers run uninterruptibly: the wait must be interruptible for the timeout to cut it
          Effect.interruptible,
          Effect.timeoutOption(options.shutdownTimeout)
        )
        if (Option.isNone(done)) yield* Fiber.interrupt(fiber)
        if (gzip !== undefined) yield* gzip.close
        if (Option.isNone(done)) {
          writeStderr(
            `logfiber: ${options.sinkName}: compression not finished within ${
              Duration.format(Duration.decode(options.shutdownTimeout))
            }; the rotated files left uncompressed are compressed at the next start\n`
          )
        }
      })
    )
    const enqueue = (file: string): void =>
      void Queue.unsafeOffer(jobs, { file, done: gzip === undefined ? Effect.void : gzip.start(file) })
    for (const file of leftovers) enqueue(file)
    if (leftovers.length === 0 && retains) yield* retain
    return { enqueue }
  })
