// What a per-batch window timer cost: fork a fiber that sleeps, let it start, interrupt it (what
// the writer did for every batch before the timer was kept across full batches), minus a bare yield.
// Run: npx tsx bench/micro/windowTimer.ts
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
const N = 20000
const prog = Effect.gen(function*() {
  for (let k = 0; k < 3; k++) {
    const t = performance.now()
    for (let i = 0; i < N; i++) {
      const f = yield* Effect.forkDaemon(Effect.sleep(100))
      yield* Effect.yieldNow()
      yield* Fiber.interruptFork(f)
    }
    const t2 = performance.now()
    for (let i = 0; i < N; i++) yield* Effect.yieldNow()
    const t3 = performance.now()
    console.log("forkDaemon(sleep) + interruptFork", (((t2 - t) - (t3 - t2)) * 1000 / N).toFixed(1), "us per batch")
  }
})
await Effect.runPromise(prog)
