/**
 * `LogSink.fanOut`: one sink that writes each batch to several, each in isolation. Every child
 * has its own short queue of batches and its own fiber, which writes them in order, one at a
 * time, with the child's retries and `writeTimeout`, and keeps the child's counts; a child with
 * nothing behind is written inline. A fan-out write is done once one child has accepted the batch
 * and every healthy child has room (`MAX_BEHIND` batches): a slow sink pushes back on the logger
 * as it would alone. A failing child (two failed attempts in a row, an attempt with no answer in
 * time, or a batch given up) does not: it falls behind, and the batches it has no room for are
 * counted failed for it alone. So a sink that is down or hangs (a syslog server, a collector)
 * costs the others at most its first retry delay or `writeTimeout`. The batch fails, and the
 * logger counts it failed, only when every child failed it.
 */
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import type * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type { LogRecord } from "../LogRecord.js"
import { thrownText } from "./errorText.js"
import { labelOrdinal } from "./levels.js"
import type { LogSinkService, SinkError, SinkStats } from "./sinkService.js"
import { writeStderr } from "./stderr.js"

/** Batches a child may have queued: then a healthy one holds the writer, a failing one is given no more. */
export const MAX_BEHIND = 16

/**
 * Fibers waiting until `holds()`: `wait` resolves at once when it holds, else at the first
 * `check` that finds it so. (Three such waits here: a batch decided, a sink with room, a sink idle.)
 */
class Condition {
  private waiters: Array<() => void> = []

  constructor(private readonly holds: () => boolean) {}

  check(): void {
    if (this.waiters.length === 0 || !this.holds()) return
    const waiters = this.waiters
    this.waiters = []
    for (const wake of waiters) wake()
  }

  readonly wait: Effect.Effect<void> = Effect.async<void>((resume) => {
    if (this.holds()) return resume(Effect.void)
    const wake = () => resume(Effect.void)
    this.waiters.push(wake)
    return Effect.sync(() => {
      this.waiters = this.waiters.filter((w) => w !== wake)
    })
  })
}

/** At most one report of sinks lacking batches per this many milliseconds. */
const REPORT_EVERY_MILLIS = 1_000

/**
 * Reports on stderr that sinks lack batches the others have: the first at once, then at most one
 * a second with what happened since (a sink that is down fails every batch: one line each would
 * flood stderr). The exact counts are in the per-sink stats.
 */
class LackReporter {
  private last = -Infinity
  private batches = 0
  private records = 0
  private latest = ""

  report(text: string, records: number): void {
    this.batches++
    this.records += records
    this.latest = text
    if (Date.now() - this.last >= REPORT_EVERY_MILLIS) this.flush()
  }

  /** What is held back, in one line (also when the fan-out closes). */
  flush(): void {
    if (this.batches === 0) return
    this.last = Date.now()
    const also = this.batches > 1 ? ` (${this.batches} batches, ${this.records} records, since the last report)` : ""
    writeStderr(`logfiber: ${this.latest} not written to it (written to the other sinks)${also}\n`)
    this.batches = 0
    this.records = 0
  }
}

/** What became of one batch in the children: settled by each child's fiber. */
class Outcome {
  accepted = false
  settled = 0
  readonly failures: Array<string> = []
  /** Records of the batch the failing children lack (each child counts its own). */
  private lacked = 0
  /** Resolves once a child accepted the batch, or every child failed it. */
  private readonly isDecided = new Condition(() => this.accepted || this.settled === this.children)
  readonly decided = this.isDecided.wait

  /** `children`: those that take some record of the batch (a `withMinimumLevel` sink may take none). */
  constructor(
    readonly batch: ReadonlyArray<LogRecord>,
    readonly children: number,
    private readonly reporter: LackReporter
  ) {
    // no sink wants any of it (each filters it out): handled as configured
    if (children === 0) this.accepted = true
  }

  /** One child is done with the batch: `failure` when it gave up on its `lacked` records. */
  settle(failure: string | undefined, lacked = 0): void {
    this.settled++
    if (failure === undefined) this.accepted = true
    else {
      this.failures.push(failure)
      this.lacked += lacked
    }
    this.isDecided.check()
    // every child has had it and some lack it: say which, without the records (the others have them)
    if (this.settled === this.children && this.accepted && this.failures.length > 0) {
      this.reporter.report(`${this.failures.join("; ")}; ${this.lacked} record(s)`, this.lacked)
    }
  }
}

interface Job {
  readonly batch: ReadonlyArray<LogRecord>
  /** The records of the batch this child takes (`Child.accepted`), counted once. */
  readonly records: number
  readonly outcome: Outcome
  /** The first attempt, when `write` began it inline (it suspended, or failed) */
  readonly first?: Effect.Effect<void, unknown> | undefined
}

class Child {
  written = 0
  failed = 0
  retries = 0
  batches = 0
  readonly jobs: Array<Job> = []
  /** The job being written (taken from `jobs`), if any. */
  current: Job | undefined = undefined
  /** Not failing (see `failing`): a healthy child that falls behind pushes back. */
  healthy = true
  private failedAttempts = 0
  private wakeWorker: (() => void) | undefined = undefined
  private readonly hasRoomNow = new Condition(() => !this.healthy || this.jobs.length < MAX_BEHIND)
  private readonly isIdle = new Condition(() => this.idle)
  /** Resolves when the child can take another batch without holding the writer: see `offer`. */
  readonly room = this.hasRoomNow.wait
  /** Resolves when nothing is queued for this child or being written by it. */
  readonly drained = this.isIdle.wait

  constructor(readonly sink: LogSinkService) {}

  /** How many of the batch this sink takes (a `withMinimumLevel` sink skips the lower ones). */
  accepted(batch: ReadonlyArray<LogRecord>): number {
    const min = this.sink.minimumLevel
    if (min === undefined) return batch.length
    let n = 0
    for (const r of batch) if (labelOrdinal(r.level) >= min.ordinal) n++
    return n
  }

  /** It took a batch of `records` records. */
  wrote(records: number): void {
    this.written += records
    this.batches++
  }

  stats(): SinkStats {
    return { sink: this.sink.name, written: this.written, failed: this.failed, retries: this.retries, batches: this.batches }
  }

  /**
   * Queue a batch for this child's fiber. A failing child `MAX_BEHIND` batches behind fails it at
   * once; a healthy one takes it, and the fan-out's write waits for room (`room`).
   */
  offer(job: Job): void {
    // a healthy child past twice the bound: the logger stopped waiting for room (its writeTimeout)
    if (this.jobs.length >= MAX_BEHIND && (!this.healthy || this.jobs.length >= 2 * MAX_BEHIND)) {
      this.failed += job.records
      job.outcome.settle(`${this.sink.name} is ${this.jobs.length} batches behind`, job.records)
      return
    }
    this.jobs.push(job)
    const wake = this.wakeWorker
    this.wakeWorker = undefined
    wake?.()
  }

  readonly next: Effect.Effect<Job> = Effect.async<Job>((resume) => {
    // the job is `current` from the moment it leaves `jobs`: until the worker runs, the child is
    // not idle (else the next batch would be written inline, before or beside this one)
    const job = this.jobs.shift()
    if (job !== undefined) {
      this.current = job
      this.notifyRoom()
      return resume(Effect.succeed(job))
    }
    this.notifyIdle()
    this.wakeWorker = () => {
      const next = this.jobs.shift()!
      this.current = next
      this.notifyRoom()
      resume(Effect.succeed(next))
    }
  })

  /** A write succeeded: the child pushes back again when it falls behind. */
  succeeded(): void {
    this.healthy = true
    this.failedAttempts = 0
  }

  /**
   * An attempt failed. Two in a row (a sink that is down fails its retry too), an attempt with no
   * answer in time, or a batch given up make the child failing: it no longer holds the writer
   * back, until a write succeeds. One failed attempt is not enough: a flaky sink that a retry
   * mends keeps its records.
   */
  attemptFailed(timedOut: boolean): void {
    if (timedOut || ++this.failedAttempts >= 2) this.failing()
  }

  failing(): void {
    this.healthy = false
    this.notifyRoom()
  }

  notifyRoom(): void {
    this.hasRoomNow.check()
  }

  get idle(): boolean {
    return this.current === undefined && this.jobs.length === 0
  }

  notifyIdle(): void {
    this.isIdle.check()
  }
}

/** Why one attempt failed: a `SinkError`'s reason, a timeout, a defect. */
interface Failure {
  readonly reason: string
  readonly timedOut?: boolean
}

const failureReason = (error: unknown): string => {
  try {
    const reason = (error as { readonly reason?: unknown } | null)?.reason
    return typeof reason === "string" ? reason : thrownText(error)
  } catch {
    return "[unrenderable failure]"
  }
}

/** One batch to one child, with its retries and timeout; the reason when it gave up on it. */
const writeChild = (
  child: Child,
  job: Job,
  retry: Schedule.Schedule<unknown, unknown>,
  timeout: Duration.Duration
): Effect.Effect<string | undefined> => {
  const { batch, records } = job
  let attempts = 0
  return Effect.suspend((): Effect.Effect<void, Failure> => {
    if (attempts++ > 0) child.retries++
    // in a fiber of its own, joined: a write that ignores interruption cannot hold this fiber
    // past `timeout`, nor the scope's close past the logger's shutdownTimeout
    const attempt = attempts === 1 && job.first !== undefined
      ? job.first
      : Effect.flatMap(Effect.forkDaemon(Effect.suspend(() => child.sink.write(batch))), joinOrStop)
    return attempt.pipe(
      Effect.mapError((error): Failure => ({ reason: failureReason(error) })),
      Effect.timeoutFail({
        duration: timeout,
        onTimeout: (): Failure => ({ reason: `no answer within ${Duration.format(timeout)}`, timedOut: true })
      }),
      Effect.catchAllDefect((defect) => Effect.fail<Failure>({ reason: `defect: ${thrownText(defect)}` })),
      Effect.tapError((failure) => Effect.sync(() => child.attemptFailed(failure.timedOut === true)))
    )
  }).pipe(
    Effect.retry(retry),
    Effect.matchCause({
      onSuccess: () => {
        child.succeeded()
        child.wrote(records)
        return undefined
      },
      onFailure: (cause) => {
        // interrupted: the scope is closing, and its finalizer counts this batch
        if (Cause.isInterruptedOnly(cause)) return undefined
        child.failing()
        child.failed += records
        const failure = Cause.failureOption(cause)
        const reason = failure._tag === "Some" ? failure.value.reason : "interrupted"
        return `${child.sink.name} failed after ${attempts} attempt(s): ${reason}`
      }
    })
  )
}

/** The fan-out's answer about a batch the logger gave up on (see `settledByFanOut`). */
export const settleGivenUpKey: unique symbol = Symbol.for("logfiber/fanOut/settleGivenUp")

/**
 * Whether a batch the logger gave up on (its `writeTimeout`, then its retries) reached some sink
 * of a fan-out: it may still have been accepted by one since, in the background.
 */
export const settledByFanOut = (sink: LogSinkService, batch: ReadonlyArray<LogRecord>): boolean => {
  const settle = (sink as LogSinkService & { readonly [settleGivenUpKey]?: (batch: ReadonlyArray<LogRecord>) => boolean })[
    settleGivenUpKey
  ]
  return settle !== undefined && settle(batch)
}

/** Whether the sink is a fan-out (or wraps one): its `writeSync([])` writes what its sinks still have queued. */
export const isFanOut = (sink: LogSinkService): boolean => settleGivenUpKey in sink

/** The fiber of a write that `Runtime.runSyncExit` could not finish synchronously, if it is one. */
const isSuspended = (exit: Exit.Exit<unknown, unknown>): Fiber.RuntimeFiber<unknown, unknown> | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  const defect = Cause.dieOption(exit.cause)
  return Option.isSome(defect) && Runtime.isAsyncFiberException(defect.value) ? defect.value.fiber : undefined
}

/** Wait for a write that went on in its own fiber; stopping the wait (a timeout) stops it too. */
const joinOrStop = (fiber: Fiber.RuntimeFiber<unknown, unknown>): Effect.Effect<void, unknown> =>
  Fiber.join(fiber).pipe(Effect.asVoid, Effect.onExit((exit) => (Exit.isSuccess(exit) ? Effect.void : Fiber.interruptFork(fiber))))

export interface FanOutSettings {
  readonly retry: Schedule.Schedule<unknown, unknown>
  readonly writeTimeout: Duration.DurationInput
}

/**
 * The fan-out service over already built child sinks, with one fiber per child in the current
 * scope: when the scope closes, what a child still had queued is counted failed for it.
 */
export const make = (
  sinks: ReadonlyArray<LogSinkService>,
  settings: FanOutSettings,
  // passed in, not imported: LogSink.ts imports this file
  sinkError: (fields: { sink: string; reason: string; retryable?: boolean }) => SinkError
): Effect.Effect<LogSinkService, never, Scope.Scope> =>
  Effect.gen(function*() {
    const children = sinks.map((s) => new Child(s))
    const name = `fanOut(${sinks.map((s) => s.name).join(", ")})`
    const timeout = Duration.decode(settings.writeTimeout)

    const work = (child: Child): Effect.Effect<never> =>
      Effect.forever(Effect.gen(function*() {
        const job = yield* child.next // current from here (see `next`)
        const failure = yield* writeChild(child, job, settings.retry, timeout)
        child.current = undefined
        job.outcome.settle(failure, job.records)
        child.notifyIdle()
      }))
    const reporter = new LackReporter()
    // last, after every child's leftovers are counted: what the reporter held back
    yield* Effect.addFinalizer(() => Effect.sync(() => reporter.flush()))
    for (const child of children) {
      yield* Effect.forkScoped(work(child))
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => {
          // the scope closes (after the logger drained and flushed, or gave up on it)
          const left = [...(child.current === undefined ? [] : [child.current]), ...child.jobs.splice(0)]
          child.current = undefined
          for (const job of left) {
            child.failed += job.records
            job.outcome.settle(`${child.sink.name} closed before writing it`, job.records)
          }
        })
      )
    }

    const runSyncExit = Runtime.runSyncExit(yield* Effect.runtime<never>())
    const writeInline = (child: Child, job: Job): void => {
      const exit = runSyncExit(Effect.suspend(() => child.sink.write(job.batch)))
      if (Exit.isSuccess(exit)) {
        child.succeeded()
        child.wrote(job.records)
        return job.outcome.settle(undefined)
      }
      // it suspended (its fiber goes on: the child's fiber waits for it) or failed: retried there
      const suspended = isSuspended(exit)
      const first: Effect.Effect<void, unknown> = suspended !== undefined ? joinOrStop(suspended) : Effect.failCause(exit.cause)
      child.offer({ ...job, first })
    }

    // The logger retries a write it stopped waiting for (writeTimeout) with the same batch: it
    // waits again for the same outcome instead of handing the batch to the children twice.
    const outcomes = new WeakMap<ReadonlyArray<LogRecord>, Outcome>()
    const write = (batch: ReadonlyArray<LogRecord>): Effect.Effect<void, SinkError> =>
      Effect.suspend(() => {
        let outcome = outcomes.get(batch)
        if (outcome === undefined) {
          // a sink that takes none of the batch (withMinimumLevel) is not asked: an empty write
          // would count as accepting it, and would mark a hanging sink healthy again
          const shares = children.map((child) => child.accepted(batch))
          outcome = new Outcome(batch, shares.filter((records) => records > 0).length, reporter)
          outcomes.set(batch, outcome)
          for (const [i, child] of children.entries()) {
            const job: Job = { batch, records: shares[i]!, outcome }
            if (job.records === 0) continue
            // a child with nothing behind writes now, on this fiber: a synchronous sink (a file)
            // keeps the logger's writer synchronous, as without a fan-out
            child.idle ? writeInline(child, job) : child.offer(job)
          }
        }
        const decided = outcome
        return Effect.flatMap(decided.decided, () =>
          decided.accepted
            // a healthy child that fell behind holds the writer until it has room: a slow sink
            // pushes back on the logger as it would alone; a failing one does not
            ? Effect.forEach(children, (child) => child.room, { discard: true })
            : Effect.fail(sinkError({ sink: name, reason: `every sink failed: ${decided.failures.join("; ")}`, retryable: false })))
      })

    const flush: Effect.Effect<void, SinkError> = Effect.zipRight(
      Effect.forEach(children, (c) => c.drained, { concurrency: "unbounded", discard: true }),
      Effect.forEach(children, (c) => Effect.either(c.sink.flush), { concurrency: "unbounded" }).pipe(
        Effect.flatMap((results) => {
          const failed = results.flatMap((r) => (r._tag === "Left" ? [r.left.message] : []))
          return failed.length === 0 ? Effect.void : Effect.fail(sinkError({ sink: name, reason: `flush: ${failed.join("; ")}` }))
        })
      )
    )

    const writeSync = (batch: ReadonlyArray<LogRecord>): void => {
      const failures: Array<string> = []
      // a batch already handed to the children (the logger's in-flight batch at exit, waiting for
      // room): each child has it written, queued (written just below) or being written
      const known = outcomes.has(batch)
      for (const child of children) {
        // what this child still has queued goes first, in order (critical-sync, the exit hook)
        const queued = child.jobs.splice(0)
        // the writer may be waiting for room on this child; flush for it to be idle
        child.notifyRoom()
        child.notifyIdle()
        for (const job of queued) {
          try {
            child.sink.writeSync!(job.batch)
            child.wrote(job.records)
            job.outcome.settle(undefined)
          } catch (error) {
            child.failed += job.records
            job.outcome.settle(`${child.sink.name}: ${failureReason(error)}`, job.records)
          }
        }
        if (known || batch.length === 0) continue
        try {
          child.sink.writeSync!(batch)
          child.wrote(child.accepted(batch))
        } catch (error) {
          child.failed += child.accepted(batch)
          failures.push(`${child.sink.name}: ${error instanceof Error ? error.message : String(error)}`)
        }
      }
      if (failures.length > 0 && failures.length === children.length) {
        throw sinkError({ sink: name, reason: `every sink failed: ${failures.join("; ")}`, retryable: false })
      }
      if (failures.length > 0) {
        writeStderr(`logfiber: synchronous write failed in ${failures.join("; ")}; ${batch.length} record(s) written to the other sinks\n`)
      }
    }

    const service: LogSinkService & { readonly [settleGivenUpKey]: (batch: ReadonlyArray<LogRecord>) => boolean } = {
      name,
      write,
      flush,
      writeSync: sinks.every((s) => s.writeSync !== undefined) ? writeSync : undefined,
      stats: Effect.sync(() => children.map((c) => c.stats())),
      [settleGivenUpKey]: (batch) => outcomes.get(batch)?.accepted === true
    }
    return service
  })
