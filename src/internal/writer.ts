/**
 * The writer fiber: takes batches from the ring buffer and hands them to the sink.
 *
 * Protocol (the only places the writer waits, and what wakes it):
 *
 * | state              | waits for                                 | woken by                                  |
 * |--------------------|-------------------------------------------|-------------------------------------------|
 * | idle, no window    | 1 record (`wantSize = 1`)                 | the log call that queues it               |
 * | idle, window runs  | a full batch (`wantSize = batchSize`)     | the log call that fills it; window end    |
 * | filling            | a full batch, or the window's end         | the log call that fills it; window end    |
 * | writing            | `sink.write(batch)`, retried by `retry`   | (not waiting)                             |
 * | any wait           | -                                         | `flush` and shutdown wake it at once      |
 *
 * - A window opens when records start waiting (`startWindow`) and keeps running through full
 *   batches; when it ends with records queued they are written at once (`windowExpired`), else
 *   the next wait is for one record. One timer runs at a time: forking and interrupting one per
 *   batch cost 22-36 us (bench/micro/windowTimer.ts), 2,000 times per million records.
 * - The log call wakes the writer only when `queue.size >= wantSize`; `wake` also tells the
 *   backpressure policy that the writer is due, until the writer runs again. `batchSize` is at
 *   most the capacity, so the record that fills the queue always wakes a waiting writer; fiber
 *   turns held while the queue is full are released when the writer takes its next batch.
 * - Write: up to `batchSize` records are normalized once, written with the retry Schedule; after
 *   the last retry they go to stderr and count as `failed`. A `SinkError` with `retryable: false`
 *   ends the retries at once; one with `rejected: k` (a partial success) counts k as `failed` and
 *   the rest as `written`. The batch is released once written.
 * - `flush` waits until every record offered before it is settled, waking the writer so it does
 *   not wait for the window. Shutdown (`close`): new records take the fallback path, the writer
 *   drains the queue and returns, the sink is flushed, all within `shutdownTimeout`; what is left
 *   after it goes to stderr, counted as `failed`.
 */
import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as MetricLabel from "effect/MetricLabel"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as Schedule from "effect/Schedule"
import type { LogRecord } from "../LogRecord.js"
import { type LogSinkService, SinkError } from "../LogSink.js"
import { type Accounting, metrics } from "./accounting.js"
import type { Backpressure } from "./backpressure.js"
import type { Captured, WriterSignal } from "./capture.js"
import { type Fallback, failureReason, toStderr } from "./fallback.js"
import { settledByFanOut } from "./fanOut.js"
import type { AnySchedule } from "./options.js"
import type { RingBuffer } from "./ringBuffer.js"

const NO_RECORDS: ReadonlyArray<LogRecord> = []

/**
 * The sink's own `SinkError`, when the attempt failed with one (attempts fail with their whole
 * Cause, see `writeNext`).
 */
const sinkErrorOf = (cause: Cause.Cause<unknown>): SinkError | undefined => {
  const failure = Cause.failureOption(cause)
  return Option.isSome(failure) && failure.value instanceof SinkError ? failure.value : undefined
}

/** A retry would fail the same way when the sink says so (`retryable: false`) or took part of the batch. */
const isRetryable = (cause: Cause.Cause<unknown>): boolean => {
  const error = sinkErrorOf(cause)
  return error === undefined || (error.retryable !== false && error.rejected === undefined)
}

/** The records a partial success refused (`SinkError.rejected`, within 0..n), or undefined. */
const rejectedOf = (cause: Cause.Cause<unknown>, n: number): number | undefined => {
  const rejected = sinkErrorOf(cause)?.rejected
  if (rejected === undefined) return undefined
  return Number.isFinite(rejected) ? Math.min(Math.max(Math.floor(rejected), 0), n) : n
}

/** A write attempt that did not end within `writeTimeout`. */
class TimedOut extends Error {
  constructor(after: Duration.Duration) {
    super(`no answer within writeTimeout (${Duration.format(after)})`)
  }
}

/** What `AsyncLogger.flush` could do within `flushTimeout`. */
export interface FlushResult {
  /** Every record offered before the flush was settled (written, dropped or failed) and the sink flushed. */
  readonly complete: boolean
  /** Of those records, how many were still queued or being written when the flush returned. */
  readonly pending: number
}

interface FlushWaiter {
  readonly target: number
  readonly resume: () => void
}

export interface WriterParts {
  readonly queue: RingBuffer<Captured>
  readonly accounting: Accounting
  readonly backpressure: Backpressure
  readonly sink: LogSinkService
  readonly normalize: (captured: Captured, seq: number) => LogRecord
  readonly batchSize: number
  readonly retry: AnySchedule
  readonly shutdownTimeout: Duration.Duration
  /** One write attempt that has not ended after this fails (and is retried). */
  readonly writeTimeout: Duration.Duration
  /** Bound on `flush`. */
  readonly flushTimeout: Duration.Duration
  /** The runtime sink writes run on (the Layer's: its Clock, its services). */
  readonly runtime: Runtime.Runtime<never>
  /** One batch window: sleeps for the duration, or for the schedule's next step. */
  readonly windowWait: Effect.Effect<void>
}

/** One batch window as an effect: a fixed sleep, or the next step of a schedule (restarted when it ends). */
export const makeWindowWait = (window: Duration.Duration | AnySchedule): Effect.Effect<Effect.Effect<void>> =>
  Schedule.isSchedule(window)
    ? Effect.map(Schedule.driver(window), (driver) =>
      driver.next(undefined).pipe(Effect.asVoid, Effect.catchAll(() => driver.reset)))
    : Effect.succeed(Effect.sleep(window))

export class Writer implements WriterSignal {
  /** Resumes the writer's current wait; null while it is not waiting. */
  waiter: (() => void) | null = null
  /** How many queued records the current wait needs. */
  wantSize = 1
  /** Set when the Layer's scope starts closing. */
  closing = false
  /** The batch being written (pending, flush and the shutdown path); released once written. */
  inFlight: ReadonlyArray<LogRecord> = NO_RECORDS
  private windowTimer: Fiber.RuntimeFiber<void> | undefined = undefined
  /** Set when a window ends with records waiting: they are written now, without a new window. */
  private windowExpired = false
  private readonly flushWaiters: Array<FlushWaiter> = []

  /** One tag array, kept: Effect caches a metric's hook by the identity of its extra tags. */
  private readonly sinkTags: ReadonlyArray<MetricLabel.MetricLabel>

  constructor(private readonly parts: WriterParts) {
    this.sinkTags = [MetricLabel.make("sink", parts.sink.name)]
  }

  wake(): void {
    const w = this.waiter
    if (w !== null) {
      this.waiter = null
      this.parts.backpressure.writerWoken = true
      w()
    }
  }

  pending(): number {
    return this.parts.queue.size + this.inFlight.length
  }

  // ---- waiting ----

  private urgent(): boolean {
    return this.closing || this.flushWaiters.length > 0
  }

  private waitFor(n: number): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      if (this.parts.queue.size >= n || (n > 1 && this.urgent()) || (n === 1 && this.closing)) {
        resume(Effect.void)
        return
      }
      this.wantSize = n
      this.waiter = () => resume(Effect.void)
      return Effect.sync(() => {
        this.waiter = null
      })
    }).pipe(Effect.ensuring(Effect.sync(() => {
      this.parts.backpressure.writerWoken = false
    })))
  }

  private readonly windowEnded = Effect.sync(() => {
    this.windowTimer = undefined
    if (this.parts.queue.size > 0) {
      this.windowExpired = true
      this.wake()
    } else {
      // a writer waiting for a full batch under this window now wakes for the next record
      this.wantSize = 1
    }
  })

  private readonly startWindow: Effect.Effect<void> = Effect.suspend(() =>
    this.windowTimer !== undefined
      ? Effect.void
      : Effect.map(Effect.forkDaemon(Effect.zipRight(this.parts.windowWait, this.windowEnded)), (fiber) => {
        this.windowTimer = fiber
      })
  )

  readonly stopWindow: Effect.Effect<void> = Effect.suspend(() => {
    const fiber = this.windowTimer
    this.windowTimer = undefined
    return fiber === undefined ? Effect.void : Fiber.interrupt(fiber)
  })

  // ---- writing ----

  /** When the current write attempt started (the Layer's `Clock`, so `TestClock` in tests). */
  private writeStart = 0n
  private clock: Clock.Clock | undefined = undefined

  private now(): bigint {
    this.clock ??= Runtime.runSync(this.parts.runtime)(Effect.clock)
    return this.clock.unsafeCurrentTimeNanos()
  }

  /**
   * Observes one attempt's duration in `logfiber_sink_write_seconds{sink}`. A field, not a closure
   * per attempt: a closure that held the batch kept every written batch alive past scavenges
   * (peak RSS of the 1M burst 100 -> 142 MiB, of 500 fibers x 2,000 records +60 MiB).
   */
  private readonly observeWrite = (): Effect.Effect<void> =>
    Effect.sync(() => {
      metrics.sinkWriteSeconds.unsafeUpdate(Number(this.now() - this.writeStart) / 1e9, this.sinkTags)
    })

  private readonly writeNext: Effect.Effect<void> = Effect.suspend(() => {
    const { accounting, normalize, queue, sink } = this.parts
    // Every closure here reaches the batch through this one variable, cleared once the batch is
    // written. Held by the closures' context after the write, written batches outlived
    // scavenges and V8 went into long stretches of promoting ~700 KB per scavenge: GC pauses in
    // the 1M burst with a null sink went from ~600 to ~300 ms once the batch was released.
    let batch: Array<LogRecord> = []
    // between drains the queue only grows: its size now is its largest since the last drain
    accounting.observeQueue(queue.size)
    const n = queue.drainInto(this.parts.batchSize, (captured, seq) => {
      batch.push(normalize(captured, seq))
    })
    // room again: fiber turns held while the queue was full run once the writer gives the thread back
    this.parts.backpressure.release()
    this.inFlight = batch
    metrics.batchSize.unsafeUpdate(n, [])
    let attempts = 0
    // Every way one attempt can end other than success (a failure, a defect, a synchronous throw,
    // an interruption from inside the sink, no answer within writeTimeout) becomes one failure,
    // so it is retried and then counted. The writer fiber's own interruption (shutdown) skips
    // these handlers: the batch is then counted by `close`.
    const attempt = Effect.suspend(() => {
      if (attempts++ > 0) accounting.retries++
      // read before `attemptWrite`, which runs a synchronous sink's write right away
      this.writeStart = this.now()
      return this.attemptWrite(batch)
    }).pipe(Effect.onExit(this.observeWrite), Effect.catchAllCause((cause) => Effect.fail(cause)))
    return attempt.pipe(
      Effect.retry({ schedule: this.parts.retry, while: isRetryable }),
      Effect.matchCause({
        onSuccess: () => {
          accounting.written += n
          accounting.batches++
        },
        onFailure: (cause) => {
          const rejected = rejectedOf(Cause.flatten(cause), n)
          if (rejected !== undefined) {
            // a partial success: the sink cannot say which records, so none are echoed
            accounting.written += n - rejected
            accounting.failed += rejected
            accounting.batches++
            toStderr([], `sink ${sink.name} wrote ${n - rejected} of ${n} record(s): ${failureReason(Cause.flatten(cause))}`)
            return
          }
          if (this.takenByFanOut(batch)) return
          accounting.failed += n
          toStderr(
            batch,
            `sink ${sink.name} failed after ${attempts} attempt(s): ${failureReason(Cause.flatten(cause))}; ${n} record(s) follow`
          )
        }
      }),
      Effect.ensuring(Effect.sync(() => {
        batch = []
        this.inFlight = NO_RECORDS
        accounting.syncMetrics(this.pending())
        this.resolveFlushWaiters()
      }))
    )
  })

  /**
   * One `sink.write`, run synchronously on the writer's own runtime first: a sink that completes
   * synchronously (the file sink) costs no fiber fork and the writer keeps the thread. Only a
   * write that suspends is awaited, with `writeTimeout` (Effect's timeout forks, and forking on
   * every batch made the writer yield to producers mid-burst, which then overflowed the queue).
   */
  private attemptWrite(batch: ReadonlyArray<LogRecord>): Effect.Effect<void, unknown> {
    const exit = Runtime.runSyncExit(this.parts.runtime)(Effect.suspend(() => this.parts.sink.write(batch)))
    if (Exit.isSuccess(exit)) return Effect.void
    const defect = Cause.dieOption(exit.cause)
    if (Option.isNone(defect) || !Runtime.isAsyncFiberException(defect.value)) return Effect.failCause(exit.cause)
    const fiber = defect.value.fiber
    const timeout = this.parts.writeTimeout
    return Fiber.join(fiber).pipe(
      Effect.timeoutFail({ duration: timeout, onTimeout: () => new TimedOut(timeout) }),
      // a write we stopped waiting for (timeout, or the writer's own interruption) is stopped too
      Effect.onExit((exit) => Exit.isSuccess(exit) ? Effect.void : Fiber.interruptFork(fiber))
    )
  }

  private readonly loop: Effect.Effect<void> = Effect.gen(this, function*() {
    const { batchSize, queue } = this.parts
    while (true) {
      if (queue.size === 0) {
        this.resolveFlushWaiters()
        if (this.closing) return
        // while a window runs, the next records are covered by it: wake for a full batch only
        // (its end lowers the wait to one record), not for the first record
        yield* this.waitFor(this.windowTimer !== undefined ? batchSize : 1)
        continue
      }
      if (queue.size < batchSize && !this.urgent() && !this.windowExpired) {
        // Wait for a full batch or the window, whichever first.
        yield* this.startWindow
        yield* this.waitFor(batchSize)
      }
      this.windowExpired = false
      // woken by flush or shutdown, or the queue drained under the wait (critical-sync): nothing to write
      if (queue.size === 0) continue
      yield* this.writeNext
    }
  })

  /** Supervision: a defect in the loop is reported and the loop restarts; interruption ends it. */
  readonly run: Effect.Effect<void> = this.loop.pipe(
    Effect.catchAllCause((cause) =>
      Cause.isInterruptedOnly(cause)
        ? Effect.failCause(cause)
        : Effect.zipRight(
          Effect.sync(() => {
            let text: string
            try {
              text = Cause.pretty(cause)
            } catch {
              text = failureReason(cause)
            }
            toStderr([], `writer fiber died, restarting: ${text}`)
          }),
          Effect.suspend(() => this.run)
        )
    )
  )

  // ---- flush and shutdown ----

  private settled(target: number): boolean {
    return this.inFlight.length === 0 && this.parts.queue.oldestSeq() > target
  }

  private resolveFlushWaiters(): void {
    const waiters = this.flushWaiters
    if (waiters.length === 0) return
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i]!
      if (this.settled(w.target)) {
        waiters.splice(i, 1)
        w.resume()
      }
    }
  }

  readonly flushSink: Effect.Effect<void> = Effect.suspend(() =>
    this.parts.sink.flush.pipe(
      Effect.catchAllCause((cause) =>
        Effect.sync(() => toStderr([], `sink ${this.parts.sink.name} flush failed: ${failureReason(cause)}`))
      )
    )
  )

  /**
   * Wait until every record offered so far is settled, then flush the sink, within
   * `flushTimeout`. The result says whether that happened, and how many of those records were
   * still queued or being written when the time ran out.
   */
  readonly flush: Effect.Effect<FlushResult> = Effect.suspend(() => {
    const target = this.parts.accounting.offered
    const settle: Effect.Effect<void> = this.settled(target) ? Effect.void : Effect.async<void>((resume) => {
      const waiter = { target, resume: () => resume(Effect.void) }
      this.flushWaiters.push(waiter)
      this.wake()
      return Effect.sync(() => {
        const i = this.flushWaiters.indexOf(waiter)
        if (i >= 0) this.flushWaiters.splice(i, 1)
      })
    })
    return Effect.zipRight(settle, this.flushSink).pipe(
      Effect.timeoutOption(this.parts.flushTimeout),
      Effect.map((done): FlushResult => ({ complete: Option.isSome(done), pending: this.unsettled(target) }))
    )
  })

  /** Records offered up to `target` that are still queued or being written. */
  private unsettled(target: number): number {
    let n = 0
    for (const record of this.inFlight) if (record.seq <= target) n++
    return n + this.parts.queue.countUpTo(target)
  }

  /**
   * The process is exiting (`process.exit()`, an uncaught exception): no fiber runs again. The
   * batch in the sink's hands (an asynchronous write or a retry's wait) and the queue behind it go
   * out now, synchronously (`Fallback.drainNow`): written again rather than lost.
   */
  drainAtExit(fallback: Fallback): void {
    this.closing = true
    const inFlight = this.inFlight
    this.inFlight = NO_RECORDS
    // a batch a fan-out's sink took is queued for the others (written first by drainNow): not again
    fallback.drainNow(this.parts.queue, this.takenByFanOut(inFlight) ? NO_RECORDS : inFlight)
  }

  /**
   * A batch the writer gave up waiting for (its retries, shutdown, the process's exit) that a
   * fan-out's sink took anyway (the others being slower) counts as written; `true` when it did.
   */
  private takenByFanOut(batch: ReadonlyArray<LogRecord>): boolean {
    if (batch.length === 0 || !settledByFanOut(this.parts.sink, batch)) return false
    this.parts.accounting.written += batch.length
    this.parts.accounting.batches++
    return true
  }

  /**
   * The Layer's finalizer: drain and flush within `shutdownTimeout`; what is left goes to
   * stderr, counted as failed. `fiber` is the running writer (none in sync mode).
   */
  close(fiber: Fiber.RuntimeFiber<void> | undefined): Effect.Effect<void> {
    return Effect.gen(this, function*() {
      const { accounting, normalize, queue, shutdownTimeout, sink } = this.parts
      this.closing = true
      this.wake()
      this.parts.backpressure.stop()
      // finalizers run uninterruptibly: the drain must be made interruptible for the timeout to cut it
      const drained = yield* Effect.gen(this, function*() {
        if (fiber !== undefined) yield* Fiber.await(fiber)
        yield* this.flushSink
      }).pipe(Effect.interruptible, Effect.timeoutOption(shutdownTimeout))
      if (Option.isNone(drained)) {
        if (fiber !== undefined) yield* Fiber.interruptFork(fiber)
        // a batch a fan-out's sink already took (the writer waited for room on a slower one) is written
        const leftover: Array<LogRecord> = this.takenByFanOut(this.inFlight) ? [] : [...this.inFlight]
        queue.drainInto(queue.size, (captured, seq) => void leftover.push(normalize(captured, seq)))
        accounting.failed += leftover.length
        this.inFlight = NO_RECORDS
        toStderr(
          leftover,
          `shutdown timed out after ${Duration.format(shutdownTimeout)}; ` +
            `${leftover.length} record(s) not written to ${sink.name} follow`
        )
      }
      for (const w of this.flushWaiters.splice(0)) w.resume()
    })
  }
}
