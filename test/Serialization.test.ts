import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import * as HashMap from "effect/HashMap"
import * as Layer from "effect/Layer"
import * as List from "effect/List"
import * as LogLevel from "effect/LogLevel"
import * as fc from "fast-check"
import * as path from "node:path"
import { AsyncLogger, FileSink, Format, TestSink } from "../src/index.js"
import { type LogCall, makeNormalize } from "../src/internal/normalize.js"
import { quoteJson, stringifyObject, toSafe } from "../src/internal/safeJson.js"
import { readLines, tempDir } from "./helpers.js"

const formats = {
  json: Format.json,
  logfmt: Format.logfmt,
  pretty: Format.prettyWith({ colors: false }),
  prettyColored: Format.prettyWith({ colors: true }),
  pino: Format.pino
}

/** The longest marker text a bound record can carry beyond `maxRecordBytes`. */
const MARKER_BYTES = Buffer.byteLength("…[truncated 9007199254740991 bytes]")

/** What Effect hands a Logger for `Effect.log(...message)`. */
const captured = (message: ReadonlyArray<unknown>, annotations: Record<string, unknown> = {}): LogCall => ({
  fiberId: FiberId.make(12, 0),
  logLevel: LogLevel.Info,
  message,
  cause: Cause.empty,
  spans: List.empty(),
  annotations: HashMap.fromIterable(Object.entries(annotations)),
  time: 0
})

// ---- arbitraries: any code point (lone surrogates included), control characters, ANSI, forged lines
const anyChar = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
  fc.constantFrom("\n", "\r", "\u001b[31m", "\u2028", "\u0085", "\"", "\\", "=", " ", "\t", "\u0000")
)
const anyString = fc.string({ unit: anyChar, maxLength: 24 })
const leaf = fc.oneof(
  anyString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt(),
  fc.date({ noInvalidDate: false }),
  fc.constant(Symbol("sym")),
  fc.constant(function named() {}),
  fc.constant(new Uint8Array([1, 2, 3])),
  fc.constant(/re+/g)
)
const { value: anyValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(anyString, tie("value"), { maxKeys: 4 }),
    fc.tuple(anyString, tie("value"), fc.dictionary(anyString, tie("value"), { maxKeys: 2 })).map(
      ([message, cause, own]) => Object.assign(new Error(message, { cause }), own)
    ),
    fc.array(fc.tuple(anyString, tie("value")), { maxLength: 3 }).map((entries) => new Map(entries)),
    fc.array(tie("value"), { maxLength: 3 }).map((items) => new Set(items)),
    // cycles: an object that contains itself, one level down
    fc.tuple(fc.dictionary(anyString, tie("value"), { maxKeys: 3 }), anyString).map(([obj, key]) => {
      const outer: Record<string, unknown> = { inner: obj }
      Object.defineProperty(obj, key, { value: outer, enumerable: true, writable: true, configurable: true })
      return outer
    }),
    // a getter that throws
    fc.constant(Object.defineProperty({ [fc.toStringMethod]: () => "{ get bad() { throw } }" }, "bad", {
      enumerable: true,
      get() {
        throw new Error("getter failed")
      }
    }))
  )
}))
const anyValues = fc.oneof(anyValue, fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true, withBoxedValues: true }))

const oneLine = (line: string) => line.split(/\r\n|\r|\n/).length === 1

describe("Serialization", () => {
  it("the fast path for flat objects renders exactly what JSON.stringify renders (fast-check)", () => {
    // any code point, with the characters JSON must escape made frequent
    const special = fc.constantFrom("\\", "\"", "\n", "\u0000", "\u001f", "\u2028", "\u2029", "\u0085", "\ud800", "\udc00", "é", "a")
    const anyString = fc.string({ unit: fc.oneof(special, fc.string({ unit: "binary", minLength: 1, maxLength: 1 })) })
    const flat = fc.dictionary(anyString, fc.oneof(anyString, fc.double(), fc.integer(), fc.boolean()))
    // ... with U+0085, U+2028 and U+2029 escaped too (line breaks to some line-splitting tools)
    const separators = (json: string) => json.replace(/[\u0085\u2028\u2029]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"))
    fc.assert(fc.property(flat, (obj) => stringifyObject(obj) === separators(JSON.stringify(obj))), { numRuns: 500 })
    fc.assert(fc.property(anyString, (text) => quoteJson(text) === separators(JSON.stringify(text))), { numRuns: 500 })
  })

  describe("properties (fast-check)", () => {
    it("every format renders any value on exactly one line, without throwing", () => {
      const normalize = makeNormalize({ redact: [], maxRecordBytes: 65_536 })
      fc.assert(
        fc.property(anyString, anyValues, anyValues, (message, value, annotation) => {
          const record = normalize(captured([message, { value }, value], { annotation }), 1)
          for (const format of Object.values(formats)) {
            const line = format(record)
            expect(typeof line).toBe("string")
            expect(oneLine(line)).toBe(true)
          }
        }),
        { numRuns: 500 }
      )
    })

    it("json is valid JSON that round-trips the safe rendering", () => {
      const normalize = makeNormalize({ redact: [], maxRecordBytes: 65_536 })
      fc.assert(
        fc.property(anyString, anyValues, (message, value) => {
          const record = normalize(captured([message, { value }]), 1)
          const parsed = JSON.parse(Format.json(record))
          expect(parsed.message).toBe(message)
          const safe = JSON.parse(JSON.stringify(toSafe({ value })))
          expect(parsed.fields ?? {}).toEqual(safe)
          const pino = JSON.parse(Format.pino(record))
          expect(pino.msg).toBe(message)
          if ("value" in safe) expect(pino.value).toEqual(safe.value)
        }),
        { numRuns: 500 }
      )
    })

    it("no format exceeds maxRecordBytes plus the marker, for any value and size", () => {
      const big = fc.oneof(
        fc.string({ unit: anyChar, minLength: 500, maxLength: 5_000 }),
        fc.array(fc.string({ unit: anyChar, maxLength: 200 }), { minLength: 10, maxLength: 300 }),
        fc.dictionary(fc.string({ unit: anyChar, maxLength: 100 }), anyString, { minKeys: 10, maxKeys: 200 }),
        anyValues
      )
      fc.assert(
        fc.property(
          fc.integer({ min: 1_024, max: 8_192 }),
          fc.string({ unit: anyChar, maxLength: 3_000 }),
          big,
          big,
          fc.option(fc.string({ unit: anyChar, maxLength: 4_000 }), { nil: undefined }),
          (maxRecordBytes, message, value, annotation, stack) => {
            const normalize = makeNormalize({ redact: [], maxRecordBytes })
            const options = captured([message, { value, other: value }], { annotation })
            const record = normalize(
              stack === undefined ? options : { ...options, cause: Cause.die(Object.assign(new Error("x"), { stack })) },
              1
            )
            for (const [name, format] of Object.entries(formats)) {
              const line = format(record)
              expect(oneLine(line), name).toBe(true)
              expect(Buffer.byteLength(line), name).toBeLessThanOrEqual(maxRecordBytes + MARKER_BYTES)
            }
            JSON.parse(Format.json(record))
            JSON.parse(Format.pino(record))
          }
        ),
        { numRuns: 300 }
      )
    })
  })

  describe("rules, as written to a file by Format.json", () => {
    const logged = (...message: ReadonlyArray<unknown>) =>
      Effect.gen(function*() {
        yield* Effect.logInfo(...message)
        yield* AsyncLogger.flush
        const [record] = yield* TestSink.records
        return JSON.parse(Format.json(record!))
      }).pipe(Effect.provide(AsyncLogger.layer().pipe(Layer.provideMerge(TestSink.layer))))

    it.effect("cycles become \"[Circular]\"; a repeated, non-cyclic reference is written twice", () =>
      Effect.gen(function*() {
        const shared = { x: 1 }
        const node: Record<string, unknown> = { name: "a", shared, again: shared, big: 1n }
        node.self = node
        const line = yield* logged("cycle", { node })
        expect(line.fields.node).toEqual({ name: "a", shared: { x: 1 }, again: { x: 1 }, big: "1", self: "[Circular]" })
      }))

    it.effect("BigInt, Symbol, functions, undefined, Dates, Maps, Sets, typed arrays, RegExps", () =>
      Effect.gen(function*() {
        const line = yield* logged("values", {
          big: 12345678901234567890n,
          sym: Symbol("token"),
          fn: function handler() {},
          arrow: () => 1,
          missing: undefined,
          list: [1, undefined, 3],
          date: new Date(Date.UTC(2024, 0, 2)),
          invalid: new Date(NaN),
          map: new Map<unknown, unknown>([["a", 1], [2, { b: 2 }]]),
          set: new Set(["x", "y"]),
          bytes: new Uint8Array([1, 2, 255]),
          buffer: new ArrayBuffer(8),
          re: /a+b/gi
        })
        expect(line.fields).toEqual({
          big: "12345678901234567890",
          sym: "Symbol(token)",
          fn: "[Function handler]",
          arrow: "[Function arrow]",
          list: [1, null, 3],
          date: "2024-01-02T00:00:00.000Z",
          invalid: "Invalid Date",
          map: { a: 1, "2": { b: 2 } },
          set: ["x", "y"],
          bytes: [1, 2, 255],
          buffer: "[ArrayBuffer 8 bytes]",
          re: "/a+b/gi"
        })
      }))

    it.effect("Errors: name, message, stack, cause chain and own fields; a logged Error lands in fields.args", () =>
      Effect.gen(function*() {
        const inner = Object.assign(new TypeError("inner failure"), { code: "E_INNER" })
        const outer = new Error("outer failure", { cause: inner })
        const line = yield* logged("failed", outer)
        const [error] = line.fields.args
        expect(error.name).toBe("Error")
        expect(error.message).toBe("outer failure")
        expect(error.stack).toMatch(/^Error: outer failure\n\s+at /)
        expect(error.cause).toMatchObject({ name: "TypeError", message: "inner failure", code: "E_INNER" })
        expect(error.cause.stack).toMatch(/^TypeError: inner failure/)
      }))

    it.effect("a record holds the values at the call: an object mutated after logging it is written as it was", () =>
      Effect.gen(function*() {
        const order = { id: 7, state: "created", lines: ["a"] }
        const extra = { retries: 0 }
        yield* Effect.logInfo("order", order) // the common shape: a message and one object
        yield* Effect.logInfo("order", order, extra) // several objects are merged
        yield* Effect.logInfo(order) // an object alone
        order.state = "paid"
        order.lines.push("b") // one level deep: nested values are shared
        extra.retries = 3
        yield* AsyncLogger.flush
        const records = yield* TestSink.records
        expect(records.map((r) => [r.message, r.fields])).toEqual([
          ["order", { id: 7, state: "created", lines: ["a", "b"] }],
          ["order", { id: 7, state: "created", lines: ["a", "b"], retries: 0 }],
          ["", { id: 7, state: "created", lines: ["a", "b"] }]
        ])
      }).pipe(Effect.provide(AsyncLogger.layer().pipe(Layer.provideMerge(TestSink.layer)))))

    it.effect("a Proxy whose traps throw fails neither the log call nor the file: every record is a line", () =>
      Effect.gen(function*() {
        const file = path.join(tempDir(), "hostile.log")
        const noPrototype = new Proxy({}, {
          getPrototypeOf() {
            throw new Error("prototype trap")
          }
        })
        const noKeys = new Proxy({ a: 1 }, {
          ownKeys() {
            throw new Error("keys trap")
          }
        })
        yield* Effect.scoped(
          Effect.gen(function*() {
            yield* Effect.logInfo("one", noPrototype)
            yield* Effect.logInfo("two", noKeys)
            yield* Effect.logInfo("three")
          }).pipe(
            Effect.provide(AsyncLogger.layer().pipe(Layer.provide(FileSink.layer({ path: file, format: Format.json }))))
          )
        )
        const lines = readLines(file).map((line) => JSON.parse(line))
        expect(lines).toHaveLength(3)
        expect(lines[0]).toMatchObject({
          message: "one",
          fields: { error: "[logfiber: record could not be normalized] prototype trap" }
        })
        expect(lines[1]).toMatchObject({ message: "two", fields: { "…": "[Unserializable: keys trap]" } })
        expect(lines[2]).toMatchObject({ message: "three" })
      }))

    it.effect("a trap that throws something that is not an Error (a null-prototype object): the record is written, with its message", () =>
      Effect.gen(function*() {
        const hostile = new Proxy({ a: 1 }, {
          getPrototypeOf() {
            throw Object.create(null)
          }
        })
        const [records, flushed] = yield* Effect.gen(function*() {
          yield* Effect.logInfo("user login", hostile)
          yield* Effect.logInfo("after")
          const flushed = yield* AsyncLogger.flush
          return [yield* TestSink.records, flushed] as const
        }).pipe(Effect.provide(AsyncLogger.layer().pipe(Layer.provideMerge(TestSink.layer))))
        expect(flushed).toEqual({ complete: true, pending: 0 })
        expect(records.map((r) => r.message)).toEqual(["user login", "after"])
        expect(records[0]?.fields).toEqual({ error: "[logfiber: record could not be normalized] [unrenderable error]" })
      }))

    it.effect("a getter that throws is reported in place; the rest of the record is intact", () =>
      Effect.gen(function*() {
        const tricky = Object.defineProperty({ ok: 1 }, "secret", {
          enumerable: true,
          get() {
            throw new Error("no access")
          }
        })
        const line = yield* logged("tricky", { tricky, after: "kept" })
        expect(line.fields).toEqual({ tricky: { ok: 1, secret: "[Getter threw: no access]" }, after: "kept" })
      }))

    it.effect("lone surrogates survive as JSON escapes; the file stays valid UTF-8", () =>
      Effect.gen(function*() {
        const line = yield* logged("half \ud800 pair", { low: "\udc00x", pair: "😀" })
        expect(line.message).toBe("half \ud800 pair")
        expect(line.fields).toEqual({ low: "\udc00x", pair: "😀" })
        expect(Format.json({ ...(yield* Effect.succeed(line)), fields: {}, annotations: {}, spans: {}, time: 0, seq: 1, message: "\ud800", level: "INFO", fiber: "#1", cause: undefined })).toContain("\\ud800")
      }))
  })

  describe("maxRecordBytes", () => {
    it.scoped("a 1 MB message and a 100k-item array become one bounded line in the file, with a visible marker", () =>
      Effect.gen(function*() {
        const file = path.join(tempDir(), "big.log")
        const maxRecordBytes = 4_096
        yield* Effect.gen(function*() {
          yield* Effect.logInfo("x".repeat(1_000_000))
          yield* Effect.logInfo("items", { items: Array.from({ length: 100_000 }, (_, i) => i) })
          yield* Effect.logInfo("small", { ok: true })
          yield* AsyncLogger.flush
        }).pipe(
          Effect.provide(
            AsyncLogger.layer({ maxRecordBytes }).pipe(Layer.provide(FileSink.layer({ path: file, format: Format.json })))
          )
        )
        const lines = readLines(file)
        expect(lines).toHaveLength(3)
        for (const line of lines) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(maxRecordBytes + MARKER_BYTES)
        const [message, items, small] = lines.map((line) => JSON.parse(line))
        expect(message.message).toMatch(/^x+…\[truncated \d+ bytes\]$/)
        expect(items.fields.items.at(-1)).toMatch(/^…\[\d+ more items\]$/)
        expect(small.fields).toEqual({ ok: true })
      }))

    it.effect("the default bound is 64 KiB", () =>
      Effect.gen(function*() {
        yield* Effect.logInfo("big", { blob: "y".repeat(200_000) })
        yield* AsyncLogger.flush
        const [record] = yield* TestSink.records
        const line = Format.json(record!)
        expect(Buffer.byteLength(line)).toBeLessThanOrEqual(65_536 + MARKER_BYTES)
        expect(Buffer.byteLength(line)).toBeGreaterThan(60_000)
        expect(JSON.parse(line).fields.blob).toMatch(/…\[truncated \d+ bytes\]$/)
      }).pipe(Effect.provide(AsyncLogger.layer().pipe(Layer.provideMerge(TestSink.layer)))))

    it.effect("a value below 1024 is refused, naming the option", () =>
      Effect.gen(function*() {
        const exit = yield* Effect.exit(Layer.build(AsyncLogger.layer({ maxRecordBytes: 10 }).pipe(Layer.provide(TestSink.layer))).pipe(Effect.scoped))
        expect(exit._tag).toBe("Failure")
        expect(String(Cause.squash((exit as { cause: Cause.Cause<never> }).cause))).toContain("maxRecordBytes must be an integer of at least 1024; got 10")
      }))
  })
})
