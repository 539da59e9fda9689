// What one more FiberRef held by a fiber costs each of its log calls. Effect copies the fiber's
// FiberRefs on every log call (fiberRuntime `log` -> `getFiberRefs`), so every locally set
// FiberRef (the scheduler `yieldOnPressure` installs is one) makes each call a little dearer.
// 1M x Effect.logInfo(msg, fields) to a no-op logger, with 0, 1 and 3 extra FiberRefs, interleaved.
// Usage: npx tsx bench/micro/fiberRefCost.ts
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import { fields, MESSAGE } from "../lib.js"

const RECORDS = 1_000_000
const ROUNDS = 6

const noopLogger = Logger.replace(Logger.defaultLogger, Logger.make(() => {}))
const withExtraRefs = (count: number): Layer.Layer<never> =>
  Layer.merge(
    noopLogger,
    Layer.scopedDiscard(Effect.forEach(
      Array.from({ length: count }, () => FiberRef.unsafeMake(0)),
      (ref) => Effect.locallyScoped(ref, 1),
      { discard: true }
    ))
  )

const loop = Effect.gen(function*() {
  for (let i = 0; i < RECORDS; i++) yield* Effect.logInfo(MESSAGE, fields(i))
})

const variants = [0, 1, 3].map((extra) => ({ extra, layer: withExtraRefs(extra), ms: [] as Array<number> }))
for (let round = 0; round < ROUNDS; round++) {
  for (const variant of variants) {
    const started = performance.now()
    await Effect.runPromise(Effect.provide(loop, variant.layer))
    variant.ms.push(performance.now() - started)
  }
}
const median = (values: Array<number>): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const base = median(variants[0]!.ms)
for (const { extra, ms } of variants) {
  const perCall = ((median(ms) - base) / RECORDS) * 1000
  console.log(
    `${extra} extra FiberRef(s): median ${median(ms).toFixed(0)} ms per ${RECORDS.toLocaleString("en-US")} log calls` +
      (extra === 0 ? "" : ` (+${perCall.toFixed(2)} us per call)`) + `; runs ${ms.map((m) => m.toFixed(0)).join(", ")}`
  )
}
