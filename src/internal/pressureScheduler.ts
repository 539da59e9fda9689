import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import type * as Scheduler from "effect/Scheduler"

/**
 * Wraps the program's scheduler so that a fiber yields at its next operation while the log
 * queue is under pressure (the writer has been woken and records are piling up). Effect fibers
 * are cooperative: without this, N producer fibers each run their full operation budget before
 * the writer's turn comes, and a burst overflows the queue though the writer is idle and ready.
 * The log call itself stays a queue insert; the fiber just gives way one operation earlier.
 */
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
