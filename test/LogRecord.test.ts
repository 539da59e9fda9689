import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Tracer from "effect/Tracer"
import { AsyncLogger, Format, LogRecord, TestSink } from "../src/index.js"
import { parseLine } from "../src/internal/reader/record.js"

const LogLive = AsyncLogger.layer().pipe(Layer.provideMerge(TestSink.layer))

/** The records logged by `effect`, after a flush. */
const logged = <E>(effect: Effect.Effect<void, E>) =>
  Effect.gen(function*() {
    yield* effect
    yield* AsyncLogger.flush
    return yield* TestSink.records
  }).pipe(Effect.provide(LogLive))

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
const SPAN = "00f067aa0ba902b7"

describe("LogRecord trace context", () => {
  it.effect("a record logged in Effect.withSpan carries that span's trace id, span id and sampled flag", () =>
    Effect.gen(function*() {
      let expected: Tracer.Span | undefined
      const records = yield* logged(Effect.gen(function*() {
        expected = yield* Effect.currentSpan
        yield* Effect.logInfo("inside")
      }).pipe(Effect.withSpan("handler")))
      expect(records.length).toBe(1)
      expect(records[0]).toMatchObject({ traceId: expected!.traceId, spanId: expected!.spanId, traceSampled: true })
      expect(records[0]!.traceId).toMatch(/^[0-9a-f]{32}$/)
      expect(records[0]!.spanId).toMatch(/^[0-9a-f]{16}$/)
    }))

  it.effect("nested spans and Effect.fn: the innermost span at the call; the trace id is shared", () =>
    Effect.gen(function*() {
      const ids: Array<string> = []
      const inner = Effect.fn("inner")(function*() {
        ids.push((yield* Effect.currentSpan).spanId)
        yield* Effect.logInfo("in inner")
      })
      const records = yield* logged(Effect.gen(function*() {
        ids.push((yield* Effect.currentSpan).spanId)
        yield* Effect.logInfo("in outer")
        yield* inner()
        yield* Effect.logInfo("in outer again")
      }).pipe(Effect.withSpan("outer")))
      expect(records.map((r) => r.spanId)).toEqual([ids[0], ids[1], ids[0]])
      expect(new Set(records.map((r) => r.traceId)).size).toBe(1)
    }))

  it.effect("an external parent span (e.g. from an incoming traceparent) gives its ids and its sampled flag", () =>
    Effect.gen(function*() {
      const parent = Tracer.externalSpan({ traceId: TRACE, spanId: SPAN, sampled: false })
      const records = yield* logged(Effect.logInfo("remote").pipe(Effect.withParentSpan(parent)))
      expect(records[0]).toMatchObject({ traceId: TRACE, spanId: SPAN, traceSampled: false })
    }))

  it.effect("a record logged outside any span has no trace context", () =>
    Effect.gen(function*() {
      const records = yield* logged(Effect.logInfo("outside"))
      expect([records[0]!.traceId, records[0]!.spanId, records[0]!.traceSampled]).toEqual([undefined, undefined, undefined])
      for (const format of [Format.json, Format.pino, Format.logfmt, Format.prettyWith({ colors: false })]) {
        expect(format(records[0]!)).not.toMatch(/trace|span_id|span=/)
      }
    }))
})

describe("trace context in every format", () => {
  const traced = LogRecord.make({ message: "hi", fields: { trace_id: "mine" }, traceId: TRACE, spanId: SPAN, traceSampled: true })

  it("json: trace_id, span_id and trace_flags beside the message", () => {
    const line = JSON.parse(Format.json(traced))
    expect(line).toMatchObject({ trace_id: TRACE, span_id: SPAN, trace_flags: "01", fields: { trace_id: "mine" } })
    expect(JSON.parse(Format.json({ ...traced, traceSampled: false })).trace_flags).toBe("00")
  })

  it("pino: the keys of @opentelemetry/instrumentation-pino; a field of the same name gets the _ prefix", () => {
    const line = JSON.parse(Format.pino(traced))
    expect(line).toMatchObject({ trace_id: TRACE, span_id: SPAN, trace_flags: "01", _trace_id: "mine", msg: "hi" })
    // without a span, a field named trace_id keeps its name
    expect(JSON.parse(Format.pino(LogRecord.make({ message: "hi", fields: { trace_id: "mine" } })))).toMatchObject({ trace_id: "mine" })
  })

  it("logfmt and pretty: trace= and span=", () => {
    expect(Format.logfmt(traced)).toContain(` msg=hi trace=${TRACE} span=${SPAN} trace_id=mine`)
    expect(Format.prettyWith({ colors: false })(traced)).toContain(`hi trace=${TRACE} span=${SPAN} trace_id=mine`)
  })

  it("ids from an external span are escaped like any other value", () => {
    const hostile = { ...traced, traceId: "a\"b\nc", spanId: "x y" }
    expect(JSON.parse(Format.json(hostile)).trace_id).toBe("a\"b\nc")
    expect(JSON.parse(Format.pino(hostile)).span_id).toBe("x y")
    expect(Format.logfmt(hostile)).toContain(`trace="a\\"b\\nc" span="x y"`)
    expect(Format.prettyWith({ colors: false })(hostile).includes("\n")).toBe(false)
  })

  it("the reader (logfiber cat) reads the trace context back from json and pino lines", () => {
    for (const format of [Format.json, Format.pino]) {
      const record = parseLine(format(traced))!.record
      expect(record).toMatchObject({ traceId: TRACE, spanId: SPAN, traceSampled: true })
      expect(Format.logfmt(record)).toContain(`trace=${TRACE} span=${SPAN}`)
      expect(record.fields).not.toHaveProperty("span_id")
    }
  })
})
