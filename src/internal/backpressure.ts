/**
 * Backpressure: when producers should give way to the writer. Effect fibers are cooperative:
 * without this, N producer fibers each run their full operation budget before the writer's turn
 * comes, and a burst overflows the queue though the writer is idle and ready. The policy lives
 * in `Backpressure`; `PressureScheduler` applies it by making a fiber yield one operation early.
 * The log call itself stays a queue insert.
 */
import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import type * as Scheduler from "effect/Scheduler"

export class Backpressure {
  /** true from the moment the writer is woken until it runs: producers should give way */
  writerWoken = false
  /**
   * Set when a record fills a batch: that fiber gives way once, at its next operation, so the
   * writer takes the batch now rather than after that fiber's whole operation budget (~1,000
   * more records). In a long burst from one fiber the yield is mostly absorbed: Effect's
   * per-fiber runner can hold a second run task for that fiber, which resumes it before the
   * writer's turn. Yielding until the writer has run fixed that, but doubled the writer turns
   * that land inside a caller's log call (steady-state p99 2.1-2.5 -> 3.9-7.4 us,
   * bench/micro/callerTail.ts) for no throughput gain: not kept.
   */
  batchFilled = false
  /**
   * Half the queue: below it the writer gets its turn in the normal course of scheduling. A
   * lower mark (one batch) made every runnable fiber yield once per batch: with 500 producer
   * fibers that was a yield per record, and a 10 x slower, 4 x larger burst.
   */
  private readonly mark: number

  /**
   * Set when a critical record goes into the reserve past `capacity` (a sink without writeSync):
   * that fiber gives way once, whether or not the writer was woken (it may not have run at all
   * yet), so that a burst from one fiber does not fill the reserve before the writer's turn.
   */
  reserveUsed = false

  constructor(capacity: number, private readonly queued: () => number) {
    this.mark = Math.max(1, Math.floor(capacity / 2))
  }

  /** Asked by the scheduler before every fiber operation; clears `batchFilled` once read. */
  underPressure(): boolean {
    if (this.batchFilled) {
      this.batchFilled = false
      return this.writerWoken
    }
    if (this.reserveUsed) {
      this.reserveUsed = false
      return true
    }
    return this.writerWoken && this.queued() >= this.mark
  }
}

/** Wraps the program's scheduler: a fiber yields at its next operation while `underPressure()`. */
export class PressureScheduler implements Scheduler.Scheduler {
  constructor(
    readonly underlying: Scheduler.Scheduler,
    readonly underPressure: () => boolean
  ) {}

  shouldYield(fiber: Fiber.RuntimeFiber<unknown, unknown>): number | false {
    const base = this.underlying.shouldYield(fiber)
    if (base !== false || !this.underPressure()) return base
    return fiber.getFiberRef(FiberRef.currentSchedulingPriority)
  }

  scheduleTask(task: Scheduler.Task, priority: number, fiber?: Fiber.RuntimeFiber<unknown, unknown>): void {
    this.underlying.scheduleTask(task, priority, fiber)
  }
}
