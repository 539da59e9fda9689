import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as Format from "../Format.js"
import type { LogRecord } from "../LogRecord.js"
import type { LogSinkService } from "../LogSink.js"
import { renderBatch } from "./lines.js"
import { type LogCall, snapshotFields, snapshotParts } from "./normalize.js"
import { Backpressure } from "./pressureScheduler.js"
import { RecordQueue } from "./recordQueue.js"
import { writeStderr } from "./stderr.js"

/** What the queue keeps of a log call: Effect's options without `context` (see `capture`). */
export type Captured = LogCall

/**
 * Keep only what normalization reads. Effect's options also hold `context`, a snapshot of the
 * calling fiber's FiberRefs (in a server: the request, its headers, its spans...); queued for a
 * batch window, it would outlive the young generation and turn cheap scavenges into old-space GC.
 * The message's plain objects are copied one level deep (`snapshotParts`): the record shows the
 * values at the call, and none of the caller's own objects wait in the queue.
 */
const capture = (options: Logger.Logger.Options<unknown>): Captured => {
  let message: unknown
  let fields: Record<string, unknown> | undefined
  try {
    fields = snapshotFields(options.message)
    message = fields !== undefined ? (options.message as ReadonlyArray<unknown>)[0] : snapshotParts(options.message)
  } catch {
    // a hostile value (a Proxy whose traps throw) must not fail the caller's log call: keep the
    // message as logged, and the writer's guarded normalization renders what it can
    fields = undefined
    message = options.message
  }
  return new CapturedCall(
    options.fiberId,
    options.logLevel,
    message,
    fields,
    options.cause,
    options.spans,
    options.annotations,
    options.date.getTime()
  )
}

/** A class, not an object literal: V8 tracks literal allocation sites and would pretenure this one. */
class CapturedCall implements LogCall {
  constructor(
    readonly fiberId: LogCall["fiberId"],
    readonly logLevel: LogCall["logLevel"],
    readonly message: unknown,
    readonly fields: Record<string, unknown> | undefined,
    readonly cause: LogCall["cause"],
    readonly spans: LogCall["spans"],
    readonly annotations: LogCall["annotations"],
    readonly time: number
  ) {}
}

export type LevelInput = LogLevel.Literal | LogLevel.LogLevel

export interface ResolvedOptions {
  readonly capacity: number
  readonly overflow: "dropping" | "sliding"
  readonly batchSize: number
  readonly batchWindow: Duration.DurationInput | Schedule.Schedule<unknown, unknown>
  readonly shutdownTimeout: Duration.DurationInput
  readonly minimumLevel: LogLevel.LogLevel
  readonly criticalLevel: LogLevel.LogLevel
  readonly replace: boolean
  readonly mode: "async" | "sync"
  readonly retry: Schedule.Schedule<unknown, unknown>
  readonly normalize: (options: Captured, seq: number) => LogRecord
}

export interface Stats {
  readonly offered: number
  readonly written: number
  readonly dropped: number
  readonly failed: number
  readonly pending: number
  readonly batches: number
  readonly retries: number
}

export const metrics = {
  offered: Metric.counter("logfiber_records_offered", { description: "Records offered to the logger" }),
  written: Metric.counter("logfiber_records_written", { description: "Records written by a sink" }),
  dropped: Metric.counter("logfiber_records_dropped", { description: "Records dropped on a full queue" }),
  failed: Metric.counter("logfiber_records_failed", { description: "Records a sink failed to write" }),
  batches: Metric.counter("logfiber_batches_written", { description: "Batches written by a sink" }),
  retries: Metric.counter("logfiber_sink_retries", { description: "Sink write retries" }),
  pending: Metric.gauge("logfiber_records_pending", { description: "Records queued or being written" })
} as const

interface FlushWaiter {
  readonly target: number
  readonly resume: () => void
}

const NO_RECORDS: ReadonlyArray<LogRecord> = []

const isSchedule = (u: unknown): u is Schedule.Schedule<unknown, unknown> => Schedule.isSchedule(u)

const failureReason = (cause: Cause.Cause<unknown>): string => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) {
    const error = failure.value
    return error instanceof Error ? error.message : String(error)
  }
  return Cause.pretty(cause).split("\n")[0] ?? "defect"
}

export interface AsyncLoggerRuntime {
  readonly logger: Logger.Logger<unknown, void>
  readonly stats: Effect.Effect<Stats>
  readonly flush: Effect.Effect<void>
  readonly backpressure: Backpressure
}

export const make = (
  options: ResolvedOptions,
  sink: LogSinkService
): Effect.Effect<AsyncLoggerRuntime, never, Scope.Scope> =>
  Effect.gen(function*() {
    const queue = new RecordQueue<Captured>(options.capacity)
    // true from the moment the writer is woken until it runs: producers should give way
    let writerWoken = false
    let closing = false
    // While the queue is full and the writer's turn is pending, fiber turns in the logger's scope
    // wait for the writer (see pressureScheduler.ts); never once closing, when the writer may be gone.
    const backpressure = new Backpressure(() => writerWoken && queue.size === queue.capacity && !closing)
    // a full queue is a full batch: the writer never waits for more records than fit
    const batchSize = Math.min(options.batchSize, options.capacity)
    const minOrdinal = options.minimumLevel.ordinal
    const criticalOrdinal = options.criticalLevel.ordinal
    const sliding = options.overflow === "sliding"
    const syncMode = options.mode === "sync"
    const normalizeRecord = options.normalize

    let offered = 0
    let written = 0
    let dropped = 0
    let failed = 0
    let batches = 0
    let retries = 0
    // the batch being written (pending, flush and the shutdown path); released once written
    let inFlightBatch: ReadonlyArray<LogRecord> = NO_RECORDS
    let closed = false
    let waiter: (() => void) | null = null
    let wantSize = 1
    const flushWaiters: Array<FlushWaiter> = []

    const wake = (): void => {
      const w = waiter
      if (w !== null) {
        waiter = null
        writerWoken = true
        w()
      }
    }

    const safeNormalize = (captured: Captured, seq: number): LogRecord => {
      try {
        return normalizeRecord(captured, seq)
      } catch (error) {
        return {
          seq,
          time: Date.now(),
          level: captured.logLevel.label,
          message: "[logfiber: record could not be normalized]",
          fields: { error: error instanceof Error ? error.message : String(error) },
          annotations: {},
          spans: {},
          fiber: "#?",
          cause: undefined
        }
      }
    }

    const toStderr = (records: ReadonlyArray<LogRecord>, why: string): void => {
      writeStderr(`logfiber: ${why}\n` + (records.length > 0 ? renderBatch(Format.json, records) : ""))
    }

    /** Write one record now, on the caller's fiber (critical records on a full queue, shutdown, sync mode). */
    const writeNow = (captured: Captured, seq: number): void => {
      const record = safeNormalize(captured, seq)
      // once closed, a fiber that outlived the Layer may still log: the sink may be closed by
      // now, so such records take the stderr path at the end
      if (!closed && sink.writeSync !== undefined) {
        try {
          sink.writeSync([record])
          written++
        } catch (error) {
          failed++
          toStderr([record], `sink ${sink.name} failed a synchronous write (${String(error)}); 1 record follows`)
        }
        return
      }
      if (!closed && syncMode) {
        // a sink without a synchronous write: run its write inline if it completes synchronously
        const exit = Effect.runSyncExit(sink.write([record]))
        if (exit._tag === "Success") {
          written++
          return
        }
        failed++
        toStderr([record], `sink ${sink.name} failed an inline write (${failureReason(exit.cause)}); 1 record follows`)
        return
      }
      written++
      writeStderr(renderBatch(Format.json, [record]))
    }

    const log = (options: Logger.Logger.Options<unknown>): void => {
      if (options.logLevel.ordinal < minOrdinal) return
      const seq = ++offered
      if (syncMode || closing) return writeNow(capture(options), seq)
      if (queue.size < queue.capacity) {
        queue.offer(capture(options), seq)
        const full = queue.size === queue.capacity
        if (waiter !== null && (full || queue.size >= wantSize)) {
          // the fiber whose record fills a batch gives way once, so the writer takes it now
          if (wantSize > 1) backpressure.yieldOnce = true
          wake()
        }
        // the fiber whose record fills the queue waits for the writer's turn (when it has one
        // coming: a writer busy in a slow sink write is not waited for, later records drop)
        if (full && writerWoken) backpressure.parkId = options.fiberId
        return
      }
      // full: a record about to be dropped is not even copied
      if (options.logLevel.ordinal >= criticalOrdinal) return writeNow(capture(options), seq)
      if (!sliding) {
        dropped++
        return
      }
      const evicted = queue.shift()!
      if (evicted.item.logLevel.ordinal >= criticalOrdinal) writeNow(evicted.item, evicted.seq)
      else dropped++
      queue.offer(capture(options), seq)
    }

    const logger = Logger.make<unknown, void>(log)

    // ---- metrics: deltas pushed from the writer, never from the hot path ----
    const reported = { offered: 0, written: 0, dropped: 0, failed: 0, batches: 0, retries: 0 }
    const current = () => ({ offered, written, dropped, failed, batches, retries })
    const syncMetrics = (): void => {
      const now = current()
      for (const key of ["offered", "written", "dropped", "failed", "batches", "retries"] as const) {
        const delta = now[key] - reported[key]
        if (delta > 0) {
          metrics[key].unsafeUpdate(delta, [])
          reported[key] = now[key]
        }
      }
      metrics.pending.unsafeUpdate(queue.size + inFlightBatch.length, [])
    }

    const stats: Effect.Effect<Stats> = Effect.sync(() => {
      syncMetrics()
      return { offered, written, dropped, failed, pending: queue.size + inFlightBatch.length, batches, retries }
    })

    // ---- flush bookkeeping ----
    const settled = (target: number): boolean => inFlightBatch.length === 0 && queue.oldestSeq() > target
    const resolveFlushWaiters = (): void => {
      if (flushWaiters.length === 0) return
      for (let i = flushWaiters.length - 1; i >= 0; i--) {
        const w = flushWaiters[i]!
        if (settled(w.target)) {
          flushWaiters.splice(i, 1)
          w.resume()
        }
      }
    }
    const urgent = (): boolean => closing || flushWaiters.length > 0

    // ---- the writer fiber ----
    const waitFor = (n: number): Effect.Effect<void> =>
      Effect.async<void>((resume) => {
        if (queue.size >= n || (n > 1 && urgent()) || (n === 1 && closing)) {
          resume(Effect.void)
          return
        }
        wantSize = n
        waiter = () => resume(Effect.void)
        return Effect.sync(() => {
          waiter = null
        })
      }).pipe(Effect.ensuring(Effect.sync(() => {
        writerWoken = false
        backpressure.yieldOnce = false
      })))

    const windowWait: Effect.Effect<void> = isSchedule(options.batchWindow)
      ? yield* Schedule.driver(options.batchWindow).pipe(
        Effect.map((driver) =>
          driver.next(undefined).pipe(Effect.asVoid, Effect.catchAll(() => driver.reset))
        )
      )
      : Effect.sleep(options.batchWindow)

    const writeNext: Effect.Effect<void> = Effect.suspend(() => {
      // Every closure of this scope reaches the batch through this one variable, cleared once the
      // batch is written. Held by the closures' context after the write, written batches outlived
      // scavenges and V8 went into long stretches of promoting ~700 KB per scavenge: GC pauses in
      // the 1M burst with a null sink went from ~600 to ~300 ms once the batch was released.
      let batch: Array<LogRecord> = []
      const n = queue.drainInto(batchSize, (captured, seq) => {
        batch.push(safeNormalize(captured, seq))
      })
      // room again: parked producers run once the writer gives the thread back
      backpressure.release()
      inFlightBatch = batch
      let attempts = 0
      const attempt = Effect.suspend(() => {
        if (attempts++ > 0) retries++
        return sink.write(batch)
      })
      return attempt.pipe(
        Effect.retry(options.retry),
        Effect.matchCause({
          onSuccess: () => {
            written += n
            batches++
          },
          onFailure: (cause) => {
            if (Cause.isInterruptedOnly(cause)) return
            failed += n
            toStderr(
              batch,
              `sink ${sink.name} failed after ${attempts} attempt(s): ${failureReason(cause)}; ${n} record(s) follow`
            )
          }
        }),
        Effect.ensuring(Effect.sync(() => {
          batch = []
          inFlightBatch = NO_RECORDS
          syncMetrics()
          resolveFlushWaiters()
        }))
      )
    })

    // The window timer is a fiber of its own, so that a full batch resumes the writer directly.
    // One runs at a time and a full batch leaves it running: forking and interrupting one per
    // batch cost 22-36 us (bench/micro/windowTimer.ts), 2,000 times per million records. A batch
    // begun while it runs is written when it fires, before a whole window has passed: the window
    // stays an upper bound.
    let windowTimer: Fiber.RuntimeFiber<void> | undefined
    // set when a window ends with records waiting: they are written now, without a new window
    let windowExpired = false
    const windowEnded = Effect.sync(() => {
      windowTimer = undefined
      if (queue.size > 0) {
        windowExpired = true
        wake()
      } else {
        // a writer waiting for a full batch under this window now wakes for the next record
        wantSize = 1
      }
    })
    const startWindow: Effect.Effect<void> = Effect.suspend(() =>
      windowTimer !== undefined
        ? Effect.void
        : Effect.map(Effect.forkDaemon(Effect.zipRight(windowWait, windowEnded)), (fiber) => {
          windowTimer = fiber
        })
    )
    const stopWindow: Effect.Effect<void> = Effect.suspend(() => {
      const fiber = windowTimer
      windowTimer = undefined
      return fiber === undefined ? Effect.void : Fiber.interrupt(fiber)
    })

    const writerLoop: Effect.Effect<void> = Effect.gen(function*() {
      while (true) {
        if (queue.size === 0) {
          resolveFlushWaiters()
          if (closing) return
          // while a window runs, the next records are covered by it: wake for a full batch only
          // (its end lowers the wait to one record), not for the first record
          yield* waitFor(windowTimer !== undefined ? batchSize : 1)
          continue
        }
        if (queue.size < batchSize && !urgent() && !windowExpired) {
          // Wait for a full batch or the window, whichever first.
          yield* startWindow
          yield* waitFor(batchSize)
        }
        windowExpired = false
        yield* writeNext
      }
    })

    // Supervision: a defect in the loop is reported and the loop restarts; interruption ends it.
    const supervisedWriter: Effect.Effect<void> = writerLoop.pipe(
      Effect.catchAllCause((cause) =>
        Cause.isInterruptedOnly(cause)
          ? Effect.failCause(cause)
          : Effect.zipRight(
            Effect.sync(() => toStderr([], `writer fiber died, restarting: ${Cause.pretty(cause)}`)),
            Effect.suspend(() => supervisedWriter)
          )
      )
    )

    // The writer drains everything queued before it gives the thread back: with the default
    // budget (2,048 operations) it would get one turn per round of N producer fibers and fall behind.
    const writerFiber = syncMode
      ? undefined
      : yield* Effect.forkDaemon(
        Effect.interruptible(Effect.withMaxOpsBeforeYield(supervisedWriter, Number.MAX_SAFE_INTEGER)).pipe(
          // a pending window timer must not keep the process alive after the logger is gone
          Effect.ensuring(stopWindow)
        )
      )

    const flushSink = sink.flush.pipe(
      Effect.catchAllCause((cause) => Effect.sync(() => toStderr([], `sink ${sink.name} flush failed: ${failureReason(cause)}`)))
    )

    const flush: Effect.Effect<void> = Effect.suspend(() => {
      const target = offered
      if (settled(target)) return flushSink
      return Effect.async<void>((resume) => {
        flushWaiters.push({ target, resume: () => resume(Effect.void) })
        wake()
      }).pipe(Effect.zipRight(flushSink))
    })

    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        closing = true
        wake()
        backpressure.release()
        // finalizers run uninterruptibly: the drain must be made interruptible for the timeout to cut it
        const drained = yield* Effect.gen(function*() {
          if (writerFiber !== undefined) yield* Fiber.await(writerFiber)
          yield* flushSink
        }).pipe(Effect.interruptible, Effect.timeoutOption(options.shutdownTimeout))
        if (Option.isNone(drained)) {
          if (writerFiber !== undefined) yield* Fiber.interruptFork(writerFiber)
          const leftover: Array<LogRecord> = [...inFlightBatch]
          queue.drainInto(queue.size, (captured, seq) => void leftover.push(safeNormalize(captured, seq)))
          failed += leftover.length
          inFlightBatch = NO_RECORDS
          toStderr(
            leftover,
            `shutdown timed out after ${Duration.format(Duration.decode(options.shutdownTimeout))}; ` +
              `${leftover.length} record(s) not written to ${sink.name} follow`
          )
        }
        for (const w of flushWaiters.splice(0)) w.resume()
        // the sink's own finalizer runs next: from here on, late records go to stderr
        closed = true
        syncMetrics()
      })
    )

    return { logger, stats, flush, backpressure }
  })
