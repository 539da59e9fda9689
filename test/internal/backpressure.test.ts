import { describe, expect, it } from "@effect/vitest"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import type * as Scheduler from "effect/Scheduler"
import { Backpressure, PressureScheduler } from "../../src/internal/backpressure.js"

/** Just enough of a RuntimeFiber for the policy: its id and its scheduling priority. */
const fakeFiber = (id: number) =>
  ({ id: () => fiberIds[id]!, getFiberRef: () => 0 }) as unknown as Fiber.RuntimeFiber<unknown, unknown>
const fiberIds = [FiberId.make(0, 0), FiberId.make(1, 0), FiberId.make(2, 0)]

/** An underlying scheduler that keeps its tasks for the test to run, and never asks a fiber to yield. */
class Recording implements Scheduler.Scheduler {
  readonly tasks: Array<Scheduler.Task> = []
  shouldYield(): number | false {
    return false
  }
  scheduleTask(task: Scheduler.Task): void {
    this.tasks.push(task)
  }
  runAll(): void {
    for (const task of this.tasks.splice(0)) task()
  }
}

const queueOf = (capacity: number) => ({ size: 0, capacity })

describe("Backpressure", () => {
  it("the fiber whose record fills the queue gives way once, and only while the writer's turn is pending", () => {
    const queue = queueOf(10)
    const policy = new Backpressure(queue.capacity, queue)
    const [a, b] = [fakeFiber(1), fakeFiber(2)]
    policy.queueFilled(a.id())
    expect(policy.givesWay(a)).toBe(false) // writer not woken: a busy writer is not waited for
    policy.writerWoken = true
    policy.queueFilled(a.id())
    expect(policy.givesWay(b)).toBe(false)
    expect(policy.givesWay(a)).toBe(true)
    // read once: Effect asks again before each operation of the yield itself
    expect(policy.givesWay(a)).toBe(false)
  })

  it("a filled batch makes exactly one fiber give way, and only while the writer is due", () => {
    const policy = new Backpressure(10, queueOf(10))
    policy.writerWoken = true
    policy.batchFilled = true
    expect(policy.givesWay(fakeFiber(1))).toBe(true)
    expect(policy.givesWay(fakeFiber(1))).toBe(false)
    policy.writerWoken = false
    policy.batchFilled = true
    expect(policy.givesWay(fakeFiber(1))).toBe(false)
    expect(policy.batchFilled).toBe(false)
  })

  it("a critical record put in the reserve makes its fiber give way once, woken writer or not", () => {
    const policy = new Backpressure(10, queueOf(20))
    policy.reserveUsed = true
    expect(policy.givesWay(fakeFiber(1))).toBe(true)
    expect(policy.givesWay(fakeFiber(1))).toBe(false)
  })

  it("full means `capacity` records, whatever the reserve past it holds", () => {
    const queue = { size: 10, capacity: 20 }
    const policy = new Backpressure(10, queue)
    policy.writerWoken = true
    expect(policy.holding()).toBe(true)
    queue.size = 9
    expect(policy.holding()).toBe(false)
  })

  it("turns are held only while the queue is full and the writer's turn is pending, and never after stop", () => {
    const queue = queueOf(10)
    const policy = new Backpressure(queue.capacity, queue)
    queue.size = 10
    expect(policy.holding()).toBe(false)
    policy.writerWoken = true
    expect(policy.holding()).toBe(true)
    queue.size = 9
    expect(policy.holding()).toBe(false)
    queue.size = 10
    policy.stop()
    expect(policy.holding()).toBe(false)
  })
})

describe("PressureScheduler", () => {
  it("a turn scheduled before the queue filled is held when it comes up, and released in order when the writer drains", () => {
    const queue = queueOf(4)
    const policy = new Backpressure(queue.capacity, queue)
    const underlying = new Recording()
    const scheduler = new PressureScheduler(underlying, policy)
    const ran: Array<number> = []
    scheduler.scheduleTask(() => ran.push(1), 0, fakeFiber(1))
    scheduler.scheduleTask(() => ran.push(2), 0, fakeFiber(2))
    // the queue fills and the writer is woken before those turns come up
    queue.size = 4
    policy.writerWoken = true
    underlying.runAll()
    expect(ran).toEqual([])
    expect(policy.heldTurns).toBe(2)
    // the writer runs and takes a batch
    policy.writerWoken = false
    queue.size = 0
    policy.release()
    expect(policy.heldTurns).toBe(0)
    underlying.runAll()
    expect(ran).toEqual([1, 2])
  })

  it("a released turn that comes up with the queue full again is held again, not run", () => {
    const queue = queueOf(4)
    const policy = new Backpressure(queue.capacity, queue)
    const underlying = new Recording()
    const scheduler = new PressureScheduler(underlying, policy)
    const ran: Array<number> = []
    queue.size = 4
    policy.writerWoken = true
    scheduler.scheduleTask(() => ran.push(1), 0, fakeFiber(1))
    underlying.runAll()
    policy.release()
    underlying.runAll()
    expect(ran).toEqual([])
    expect(policy.heldTurns).toBe(1)
  })

  it("asks the fiber named by the policy to yield at its scheduling priority, others as the underlying scheduler says", () => {
    const policy = new Backpressure(4, queueOf(4))
    const scheduler = new PressureScheduler(new Recording(), policy)
    policy.writerWoken = true
    policy.queueFilled(fiberIds[1]!)
    expect(scheduler.shouldYield(fakeFiber(2))).toBe(false)
    expect(scheduler.shouldYield(fakeFiber(1))).toBe(0)
    expect(scheduler.shouldYield(fakeFiber(1))).toBe(false)
  })
})
