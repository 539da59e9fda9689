/**
 * `LogSink.fanOut`: one sink that writes each batch to several, each in isolation. Every child
 * retries on its own schedule and keeps its own counts; a batch one child accepted is never
 * written to it again because another failed. The fan-out succeeds when at least one child
 * accepted the batch; it fails (and the logger counts the batch failed) only when all did.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import type * as Schedule from "effect/Schedule"
import type { LogRecord } from "../LogRecord.js"
import type { LogSinkService, SinkError, SinkStats } from "./sinkService.js"
import { labelOrdinal } from "./levels.js"
import { writeStderr } from "./stderr.js"

class Child {
  written = 0
  failed = 0
  retries = 0
  batches = 0
  constructor(readonly sink: LogSinkService) {}

  /** How many of the batch this sink takes (a `withMinimumLevel` sink skips the lower ones). */
  accepted(batch: ReadonlyArray<LogRecord>): number {
    const min = this.sink.minimumLevel
    if (min === undefined) return batch.length
    let n = 0
    for (const r of batch) if (labelOrdinal(r.level) >= min.ordinal) n++
    return n
  }

  stats(): SinkStats {
    return { sink: this.sink.name, written: this.written, failed: this.failed, retries: this.retries, batches: this.batches }
  }
}

/**
 * A fan-out's answer, for the logger, about a batch it stopped waiting for after its retries:
 * `true` when a child accepted it (the batch counts as written, the children lacking it as failed).
 */
export const settleGivenUpKey: unique symbol = Symbol.for("logfiber/fanOut/settleGivenUp")

/** Whether a batch the logger gave up on reached some sink of a fan-out (see `settleGivenUpKey`). */
export const settledByFanOut = (sink: LogSinkService, batch: ReadonlyArray<LogRecord>): boolean => {
  const settle = (sink as LogSinkService & { readonly [settleGivenUpKey]?: (batch: ReadonlyArray<LogRecord>) => boolean })[
    settleGivenUpKey
  ]
  return settle !== undefined && settle(batch)
}

const reasonOf = (cause: Cause.Cause<SinkError>): string => {
  const failure = Cause.failureOption(cause)
  return failure._tag === "Some" ? failure.value.reason : Cause.pretty(cause).split("\n")[0] ?? "defect"
}

/** Write to one child with its own retries; `true` when it accepted the batch. */
const writeChild = (
  child: Child,
  batch: ReadonlyArray<LogRecord>,
  retry: Schedule.Schedule<unknown, unknown>,
  failures: Array<string>
): Effect.Effect<boolean, SinkError> => {
  let attempts = 0
  return Effect.suspend(() => {
    if (attempts++ > 0) child.retries++
    return child.sink.write(batch)
  }).pipe(
    Effect.retry(retry),
    Effect.matchCauseEffect({
      onSuccess: () =>
        Effect.sync(() => {
          child.written += child.accepted(batch)
          child.batches++
          return true
        }),
      onFailure: (cause) =>
        // interrupted (shutdown timeout): the fan-out's write ends and the logger accounts for it
        Cause.isInterruptedOnly(cause) ? Effect.failCause(cause) : Effect.sync(() => {
          const n = child.accepted(batch)
          child.failed += n
          failures.push(`${child.sink.name} failed after ${attempts} attempt(s): ${reasonOf(cause)}`)
          return false
        })
    })
  )
}

/** The fan-out service over already built child sinks. */
export const make = (
  sinks: ReadonlyArray<LogSinkService>,
  retry: Schedule.Schedule<unknown, unknown>,
  // passed in, not imported: LogSink.ts imports this file
  sinkError: (fields: { sink: string; reason: string; retryable?: boolean }) => SinkError
): LogSinkService => {
  const children = sinks.map((s) => new Child(s))
  const name = `fanOut(${sinks.map((s) => s.name).join(", ")})`
  const everyFailed = (failures: ReadonlyArray<string>) =>
    sinkError({ sink: name, reason: `every sink failed: ${failures.join("; ")}`, retryable: false })

  // The logger retries a fan-out write that it stopped waiting for (writeTimeout) with the same
  // batch: the children that accepted it already are not asked again (no duplicates in them).
  const acceptedBy = new WeakMap<ReadonlyArray<LogRecord>, Set<Child>>()
  const write = (batch: ReadonlyArray<LogRecord>): Effect.Effect<void, SinkError> =>
    Effect.suspend(() => {
      const failures: Array<string> = []
      let done = acceptedBy.get(batch)
      if (done === undefined) acceptedBy.set(batch, done = new Set())
      const accepted = done
      return Effect.forEach(children, (child) =>
        accepted.has(child) ? Effect.succeed(true) : writeChild(child, batch, retry, failures).pipe(
          Effect.tap((ok) => ok ? Effect.sync(() => accepted.add(child)) : Effect.void)
        ), {
        concurrency: "unbounded"
      }).pipe(Effect.flatMap((accepted) => {
        if (!accepted.includes(true)) return Effect.fail(everyFailed(failures))
        // the others have the batch: say which sink lacks it, without writing the records again
        if (failures.length > 0) {
          return Effect.sync(() =>
            writeStderr(`logfiber: ${failures.join("; ")}; ${batch.length} record(s) not written to it (written to the other sinks)\n`)
          )
        }
        return Effect.void
      }))
    })

  const flush: Effect.Effect<void, SinkError> = Effect.forEach(children, (c) => Effect.either(c.sink.flush), {
    concurrency: "unbounded"
  }).pipe(Effect.flatMap((results) => {
    const failed = results.flatMap((r) => (r._tag === "Left" ? [r.left.message] : []))
    return failed.length === 0 ? Effect.void : Effect.fail(sinkError({ sink: name, reason: `flush: ${failed.join("; ")}` }))
  }))

  const writeSync = (batch: ReadonlyArray<LogRecord>): void => {
    const failures: Array<string> = []
    for (const child of children) {
      try {
        child.sink.writeSync!(batch)
        child.written += child.accepted(batch)
      } catch (error) {
        child.failed += child.accepted(batch)
        failures.push(`${child.sink.name}: ${error instanceof Error ? error.message : String(error)}`)
      }
    }
    if (failures.length === children.length) throw everyFailed(failures)
    if (failures.length > 0) {
      writeStderr(`logfiber: synchronous write failed in ${failures.join("; ")}; ${batch.length} record(s) written to the other sinks\n`)
    }
  }

  // the logger gave up on a batch whose writes it stopped waiting for: written if a child has it
  const settleGivenUp = (batch: ReadonlyArray<LogRecord>): boolean => {
    const accepted = acceptedBy.get(batch)
    if (accepted === undefined || accepted.size === 0) return false
    const lacking = children.filter((child) => !accepted.has(child))
    for (const child of lacking) child.failed += child.accepted(batch)
    writeStderr(
      `logfiber: ${lacking.map((c) => c.sink.name).join(", ")} did not answer in time; ${batch.length} record(s) not written to it (written to the other sinks)\n`
    )
    return true
  }

  const service: LogSinkService & { readonly [settleGivenUpKey]: typeof settleGivenUp } = {
    name,
    write,
    flush,
    writeSync: sinks.every((s) => s.writeSync !== undefined) ? writeSync : undefined,
    stats: Effect.sync(() => children.map((c) => c.stats())),
    [settleGivenUpKey]: settleGivenUp
  }
  return service
}
