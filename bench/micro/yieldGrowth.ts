// Effect 3.22's run loop with a Scheduler that asks fibers to yield often; no logfiber involved.
//
// `FiberRuntime.runLoop` asks `scheduler.shouldYield(fiber)` before every operation. On a number
// it runs `flatMap(yieldNow({ priority }), () => op)` instead of `op`, and `yieldNow({ priority })`
// is `fiberRefLocally(currentSchedulingPriority, ...)`: an `acquireUseRelease`, so one yield pushes
// about five frames and takes about ten operations to unwind after the fiber resumes. The run loop
// asks `shouldYield` again before each of those (the count restarts at 0 on every resume). A
// scheduler that says "yield" again before the unwinding is done pushes five more frames: the
// fiber's stack grows by about five frames per yield, and its own work does not advance.
// That is what a pressure flag that stays set until another fiber (the log writer) runs does to
// every fiber that asks meanwhile.
//
// One fiber runs STEPS `Effect.sync` steps. For its first YIELDS yields the scheduler says "yield"
// once the fiber has run more than `k` operations since it resumed (k = 0: always), then it defers
// to Effect's default rule (2,048 operations). Printed at the last of those yields: the fiber's
// stack depth (a private field, read for this demonstration only) and the work done.
//   npx tsx bench/micro/yieldGrowth.ts          (YIELDS=20000 by default)
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as Scheduler from "effect/Scheduler"

const YIELDS = Number(process.env.YIELDS ?? 20_000)
const STEPS = 100_000

const stackDepth = (fiber: Fiber.RuntimeFiber<unknown, unknown>): number =>
  (fiber as unknown as { readonly _stack: ReadonlyArray<unknown> })._stack.length

class Yielding implements Scheduler.Scheduler {
  yields = 0
  depth = 0
  constructor(readonly k: number) {}
  shouldYield(fiber: Fiber.RuntimeFiber<unknown, unknown>): number | false {
    if (this.yields >= YIELDS) return Scheduler.defaultScheduler.shouldYield(fiber)
    if (fiber.currentOpCount <= this.k) return false
    if (++this.yields === YIELDS) this.depth = stackDepth(fiber)
    return 0
  }
  scheduleTask(task: Scheduler.Task, priority: number, fiber?: Fiber.RuntimeFiber<unknown, unknown>): void {
    Scheduler.defaultScheduler.scheduleTask(task, priority, fiber)
  }
}

const measure = async (k: number) => {
  const scheduler = new Yielding(k)
  let work = 0
  let workAtLastYield = 0
  const counting = Effect.gen(function*() {
    for (let i = 0; i < STEPS; i++) {
      yield* Effect.sync(() => {
        work++
        if (scheduler.yields < YIELDS) workAtLastYield = work
      })
    }
  })
  const start = performance.now()
  await Effect.runPromise(Effect.withScheduler(counting, scheduler))
  const ms = performance.now() - start
  console.log(
    `yield after ${String(k).padStart(2)} op(s): ${YIELDS} yields in ${ms.toFixed(0).padStart(5)} ms, ` +
      `stack ${String(scheduler.depth).padStart(6)} frames and ${workAtLastYield}/${STEPS} steps done at the last one`
  )
}

for (const k of [0, 1, 4, 8, 12, 16]) await measure(k)
