// What the trace-context lookup in capture (src/internal/capture.ts `currentSpan`) adds to a log
// call: 1M x Effect.logInfo(msg, fields) to a logger that only does the lookup, against a no-op
// logger, outside any span and inside one, interleaved; medians of 6 rounds.
// Usage: npx tsx bench/micro/traceCapture.ts
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import type * as FiberRefs from "effect/FiberRefs"
import * as Logger from "effect/Logger"
import * as Tracer from "effect/Tracer"
import { fields, MESSAGE } from "../lib.js"

const RECORDS = 1_000_000
const ROUNDS = Number(process.env.ROUNDS ?? 6)

// the same lookup as capture.ts
const SPAN_KEY = Tracer.ParentSpan.key
const currentSpan = (refs: FiberRefs.FiberRefs): Tracer.AnySpan | undefined => {
  const stack = refs.locals.get(FiberRef.currentContext)
  return stack === undefined ? undefined : stack[0][1].unsafeMap.get(SPAN_KEY)
}
let seen = 0
const noop = Logger.make(() => {})
const lookup = Logger.make((options) => {
  if (currentSpan(options.context)?.traceId !== undefined) seen++
})

const loop = Effect.gen(function*() {
  for (let i = 0; i < RECORDS; i++) yield* Effect.logInfo(MESSAGE, fields(i))
})

const variants = [
  { name: "outside a span, no-op logger", logger: noop, span: false },
  { name: "outside a span, span lookup", logger: lookup, span: false },
  { name: "inside a span, no-op logger", logger: noop, span: true },
  { name: "inside a span, span lookup", logger: lookup, span: true }
].map((v) => ({ ...v, ms: [] as Array<number> }))
for (let round = 0; round < ROUNDS; round++) {
  for (const variant of variants) {
    const program = Effect.provide(loop, Logger.replace(Logger.defaultLogger, variant.logger))
    const started = performance.now()
    await Effect.runPromise(variant.span ? Effect.withSpan(program, "bench") : program)
    variant.ms.push(performance.now() - started)
  }
}
const median = (values: Array<number>): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
for (const { ms, name } of variants) {
  console.log(`${name.padEnd(32)} ${(median(ms) * 1_000 / RECORDS).toFixed(3)} us/call (median of ${ROUNDS})`)
}
console.log(`(records seen in a span: ${seen})`)
