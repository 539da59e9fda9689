/**
 * Backpressure: when producers give way to the writer. Effect fibers are cooperative: without
 * this, N producer fibers each run their full operation budget before the writer's turn comes,
 * and a burst overflows the queue though the writer is idle and ready. A log call is synchronous
 * and cannot wait; what it can do is mark its own fiber, and `PressureScheduler` (the program's
 * scheduler, wrapped for the Layer's scope) makes that fiber yield and holds fiber turns until
 * the writer has drained. The whole policy, and why it is this one, is in docs/scheduling.md.
 */
import type * as Fiber from "effect/Fiber"
import type * as FiberId from "effect/FiberId"
import * as FiberRef from "effect/FiberRef"
import type * as Scheduler from "effect/Scheduler"

/** A fiber turn held while the queue is full: re-scheduled through the wrapper that held it. */
interface HeldTurn {
  readonly task: Scheduler.Task
  readonly priority: number
  readonly fiber: Fiber.RuntimeFiber<unknown, unknown>
  readonly scheduler: Scheduler.Scheduler
}

export class Backpressure {
  /** true from the moment the writer is woken until it runs: its turn is pending */
  writerWoken = false
  /**
   * Set when a record fills a batch: the next fiber to ask gives way once (in practice the one
   * that filled it), so the writer takes the batch now rather than after that fiber's whole
   * operation budget (~1,000 more records). In a long burst from one fiber the yield is mostly
   * absorbed: Effect's per-fiber runner can hold a second run task for that fiber, which resumes
   * it before the writer's turn. Yielding until the writer has run fixed that, but doubled the
   * writer turns that land inside a caller's log call (steady-state p99 2.1-2.5 -> 3.9-7.4 us,
   * bench/micro/callerTail.ts) for no throughput gain: not kept.
   */
  batchFilled = false
  /** The fiber whose record filled the queue: it gives way at its next operation (read once). */
  private fillerId: FiberId.FiberId | null = null
  private held: Array<HeldTurn> = []
  /** Set once the Layer's scope closes: the writer may be gone, so nothing is held any more. */
  private stopped = false

  /**
   * Set when a critical record goes into the reserve past `capacity` (a sink without writeSync):
   * that fiber gives way once, whether or not the writer was woken (it may not have run at all
   * yet), so that a burst from one fiber does not fill the reserve before the writer's turn.
   */
  reserveUsed = false

  /** `capacity`: the queue's bound for records below the critical level (the reserve is past it). */
  constructor(
    private readonly capacity: number,
    private readonly queue: { readonly size: number }
  ) {}

  /** The log call whose record filled the queue: with the writer's turn pending, its fiber waits for it. */
  queueFilled(fiberId: FiberId.FiberId): void {
    if (this.writerWoken) this.fillerId = fiberId
  }

  /**
   * Asked by the scheduler before every operation of a fiber: does it give way now? Each mark
   * is read once. Effect 3.22 asks again before each operation of the yield itself (about ten,
   * run after the fiber resumes), and a fiber told to yield again before they are done gains
   * five stack frames and does no work (bench/micro/yieldGrowth.ts): a condition that stays
   * true until the writer runs must never be the answer here.
   */
  givesWay(fiber: Fiber.RuntimeFiber<unknown, unknown>): boolean {
    if (this.fillerId !== null && fiber.id() === this.fillerId) {
      this.fillerId = null
      return true
    }
    if (this.batchFilled) {
      this.batchFilled = false
      return this.writerWoken
    }
    if (this.reserveUsed) {
      this.reserveUsed = false
      return true
    }
    return false
  }

  /** Whether a fiber turn that comes up now waits: the queue is full and the writer's turn pending. */
  holding(): boolean {
    return this.writerWoken && this.queue.size >= this.capacity && !this.stopped
  }

  hold(turn: HeldTurn): void {
    this.held.push(turn)
  }

  get heldTurns(): number {
    return this.held.length
  }

  /**
   * Called by the writer once it has taken records from the queue: the held turns are scheduled
   * again, in the order they were held. They run once the writer gives the thread back (it has
   * no operation budget, so after it has drained), and are held again if the queue is full then.
   */
  release(): void {
    if (this.held.length === 0) return
    const held = this.held
    this.held = []
    for (const turn of held) turn.scheduler.scheduleTask(turn.task, turn.priority, turn.fiber)
  }

  /** The Layer's scope is closing: release everything and hold nothing from now on. */
  stop(): void {
    this.stopped = true
    this.fillerId = null
    this.release()
  }
}

/**
 * The program's scheduler, wrapped for the logger's scope. `shouldYield` adds the fibers that
 * `Backpressure.givesWay` names; `scheduleTask` wraps each fiber turn in a check made when the
 * turn comes up (most turns are scheduled before the queue fills): while `holding()`, the turn
 * is held instead of run. Effect sees ordinary scheduled tasks, and a held fiber runs no
 * operation at all until the writer has drained.
 */
export class PressureScheduler implements Scheduler.Scheduler {
  constructor(
    readonly underlying: Scheduler.Scheduler,
    readonly backpressure: Backpressure
  ) {}

  shouldYield(fiber: Fiber.RuntimeFiber<unknown, unknown>): number | false {
    return this.backpressure.givesWay(fiber)
      ? fiber.getFiberRef(FiberRef.currentSchedulingPriority)
      : this.underlying.shouldYield(fiber)
  }

  scheduleTask(task: Scheduler.Task, priority: number, fiber?: Fiber.RuntimeFiber<unknown, unknown>): void {
    if (fiber === undefined) return this.underlying.scheduleTask(task, priority)
    const backpressure = this.backpressure
    this.underlying.scheduleTask(() => {
      if (backpressure.holding()) backpressure.hold({ task, priority, fiber, scheduler: this })
      else task()
    }, priority, fiber)
  }
}
