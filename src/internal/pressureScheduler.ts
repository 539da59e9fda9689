import type * as Fiber from "effect/Fiber"
import type * as FiberId from "effect/FiberId"
import * as FiberRef from "effect/FiberRef"
import type * as Scheduler from "effect/Scheduler"

interface HeldTask {
  readonly task: Scheduler.Task
  readonly priority: number
  readonly fiber: Fiber.RuntimeFiber<unknown, unknown>
  readonly scheduler: Scheduler.Scheduler
}

/**
 * The logger's side of backpressure: the fiber that must give way at its next operation, and the
 * fiber turns held until the writer has drained. A log call is synchronous and cannot wait; what it
 * can do is mark its own fiber, whose next operation then yields through `PressureScheduler`.
 */
export class Backpressure {
  /** The fiber to hold at its next operation (set by its log call, read once). */
  parkId: FiberId.FiberId | null = null
  /** Set when a record fills a batch: the next fiber to ask yields once. */
  yieldOnce = false
  private held: Array<HeldTask> = []

  /** `full()`: the queue is full and the writer's turn is pending; fiber turns wait for it. */
  constructor(readonly full: () => boolean) {}

  hold(task: Scheduler.Task, priority: number, fiber: Fiber.RuntimeFiber<unknown, unknown>, scheduler: Scheduler.Scheduler) {
    this.held.push({ task, priority, fiber, scheduler })
  }

  get heldCount(): number {
    return this.held.length
  }

  /** Hand every held turn back to its scheduler, in the order they were held (and held again if
   * the queue is full when its turn comes). */
  release(): void {
    if (this.held.length === 0) return
    const held = this.held
    this.held = []
    for (const h of held) h.scheduler.scheduleTask(h.task, h.priority, h.fiber)
  }
}

/**
 * Wraps the program's scheduler for the logger's scope. While the log queue is full and the
 * writer's turn is pending, a fiber turn that comes up is held (the fiber does not run) until the
 * writer has drained (`Backpressure.release`): a wait bounded by one writer turn, that Effect sees
 * as an ordinary scheduled task. The fiber whose log call found the queue full gives way at its
 * next operation and its turn is held the same way. Every other answer is the underlying one's.
 *
 * Why not "yield while under pressure": Effect 3.22's run loop asks `shouldYield` before every
 * operation, and a yield (`yieldNow({ priority })`) is itself about ten operations whose frames are
 * popped only after the fiber resumes; a fiber told to yield again before those are popped gains
 * five frames and does no work (bench/micro/yieldGrowth.ts). Here each mark is read once.
 */
export class PressureScheduler implements Scheduler.Scheduler {
  constructor(
    readonly underlying: Scheduler.Scheduler,
    readonly backpressure: Backpressure
  ) {}

  shouldYield(fiber: Fiber.RuntimeFiber<unknown, unknown>): number | false {
    const bp = this.backpressure
    if (bp.parkId !== null && fiber.id() === bp.parkId) {
      bp.parkId = null
      return fiber.getFiberRef(FiberRef.currentSchedulingPriority)
    }
    if (bp.yieldOnce) {
      bp.yieldOnce = false
      return fiber.getFiberRef(FiberRef.currentSchedulingPriority)
    }
    return this.underlying.shouldYield(fiber)
  }

  scheduleTask(task: Scheduler.Task, priority: number, fiber?: Fiber.RuntimeFiber<unknown, unknown>): void {
    if (fiber === undefined) return this.underlying.scheduleTask(task, priority)
    const bp = this.backpressure
    // decided when the turn comes up, not now: most turns are scheduled before the queue fills
    this.underlying.scheduleTask(() => {
      if (bp.full()) bp.hold(task, priority, fiber, this)
      else task()
    }, priority, fiber)
  }
}
