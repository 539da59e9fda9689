import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { spawnSync } from "node:child_process"
import * as os from "node:os"
import * as path from "node:path"
import { createRequire } from "node:module"
import { AsyncLogger, FileSink, Format, LogRecord, TestSink } from "../src/index.js"
import { readLines, tempDir } from "./helpers.js"

const require = createRequire(import.meta.url)
const { prettyFactory } = require("pino-pretty") as {
  prettyFactory: (options: Record<string, unknown>) => (line: string) => string
}

const TIME = Date.UTC(2024, 4, 1, 10, 0, 0, 123) // 2024-05-01T10:00:00.123Z

const record = (parts: Partial<LogRecord.LogRecord> = {}) =>
  LogRecord.make({
    seq: 7,
    time: TIME,
    level: "INFO",
    fiber: "#12",
    message: "request handled",
    ...parts
  })

const full = record({
  fields: { status: 200, path: "/api/items", user: { id: 1, name: "ada lovelace" } },
  annotations: { requestId: "r-1" },
  spans: { http: 12 },
  cause: "Error: boom\n    at handler (app.ts:1:1)"
})

const plainPretty = Format.prettyWith({ colors: false })
const textFormats = { json: Format.json, logfmt: Format.logfmt, pretty: plainPretty, pino: Format.pino }

describe("Format", () => {
  it("logfmt and pretty write BigInt, Symbol and Date values as plain text, not quoted JSON strings", () => {
    const r = record({ fields: { n: 10n, at: new Date(0), s: Symbol("k") } })
    expect(Format.logfmt(r)).toContain(" n=10 at=1970-01-01T00:00:00.000Z s=Symbol(k)")
    expect(plainPretty(r)).toContain(" n=10 at=1970-01-01T00:00:00.000Z s=Symbol(k)")
  })

  describe("json", () => {
    it("a hand-made record with a non-finite seq or time still gives valid JSON", () => {
      const parsed = JSON.parse(Format.json(record({ seq: Number.NaN, time: Number.POSITIVE_INFINITY })))
      expect(parsed).toMatchObject({ seq: null, time: "Invalid Date", message: "request handled" })
    })

    it("writes the documented field names, in order, and omits empty optional keys", () => {
      expect(Format.json(record())).toBe(
        "{\"time\":\"2024-05-01T10:00:00.123Z\",\"level\":\"INFO\",\"fiber\":\"#12\",\"seq\":7,\"message\":\"request handled\"}"
      )
      expect(JSON.parse(Format.json(full))).toEqual({
        time: "2024-05-01T10:00:00.123Z",
        level: "INFO",
        fiber: "#12",
        seq: 7,
        message: "request handled",
        fields: { status: 200, path: "/api/items", user: { id: 1, name: "ada lovelace" } },
        annotations: { requestId: "r-1" },
        spans: { http: 12 },
        cause: "Error: boom\n    at handler (app.ts:1:1)"
      })
      expect(Object.keys(JSON.parse(Format.json(full)))).toEqual([
        "time",
        "level",
        "fiber",
        "seq",
        "message",
        "fields",
        "annotations",
        "spans",
        "cause"
      ])
    })

    it("records sharing a millisecond but not a level or fiber, and fields in any key order, render their own values", () => {
      const lines = [
        record({ fields: { a: 1, b: "x" } }),
        record({ level: "ERROR", fields: { b: "y", a: 2 } }),
        record({ fiber: "#99", level: "ERROR", fields: { "quo\"te": true } }),
        record({ time: TIME + 1, fiber: "#99" })
      ].map((r) => JSON.parse(Format.json(r)))
      expect(lines.map((l) => [l.time, l.level, l.fiber, l.fields])).toEqual([
        ["2024-05-01T10:00:00.123Z", "INFO", "#12", { a: 1, b: "x" }],
        ["2024-05-01T10:00:00.123Z", "ERROR", "#12", { b: "y", a: 2 }],
        ["2024-05-01T10:00:00.123Z", "ERROR", "#99", { "quo\"te": true }],
        ["2024-05-01T10:00:00.124Z", "INFO", "#99", undefined]
      ])
      expect(Object.keys(lines[1].fields)).toEqual(["b", "a"])
    })

    it("thousands of distinct field names (past the key cache's bound) are each written under their own name", () => {
      for (let i = 0; i < 10_000; i++) {
        const key = `k${i}`
        expect(JSON.parse(Format.json(record({ fields: { first: i, [key]: i } }))).fields).toEqual({ first: i, [key]: i })
      }
    })
  })

  describe("logfmt", () => {
    it("writes bare values when safe and quotes the rest with JSON escapes", () => {
      expect(Format.logfmt(full)).toBe(
        "time=2024-05-01T10:00:00.123Z level=info fiber=#12 seq=7 msg=\"request handled\" status=200 path=/api/items " +
          "user=\"{\\\"id\\\":1,\\\"name\\\":\\\"ada lovelace\\\"}\" requestId=r-1 span.http=12ms " +
          "cause=\"Error: boom\\n    at handler (app.ts:1:1)\""
      )
    })

    it("quotes empty values, `=`, quotes, backslashes and C1 controls; cleans keys", () => {
      const line = Format.logfmt(record({
        message: "ok",
        fields: { empty: "", eq: "a=b", q: "say \"hi\"", bs: "C:\\x", nel: "a\u0085b", "bad key=": 1 }
      }))
      expect(line).toContain(" msg=ok ")
      expect(line).toContain(" empty=\"\"")
      expect(line).toContain(" eq=\"a=b\"")
      expect(line).toContain(" q=\"say \\\"hi\\\"\"")
      expect(line).toContain(" bs=\"C:\\\\x\"")
      expect(line).toContain(" nel=\"a\\u0085b\"")
      expect(line).toContain(" bad_key_=1")
    })
  })

  describe("pretty", () => {
    it("without colors: time, level, fiber, message, fields, annotations, spans, cause on one line", () => {
      expect(plainPretty(full)).toBe(
        "2024-05-01T10:00:00.123Z INFO  #12 request handled status=200 path=/api/items " +
          "user={\"id\":1,\"name\":\"ada lovelace\"} requestId=r-1 (http=12ms) " +
          "cause: Error: boom\\n    at handler (app.ts:1:1)"
      )
    })

    it("with colors: the level is colored (red for errors), and nothing else changes", () => {
      const colored = Format.prettyWith({ colors: true })(record({ level: "ERROR" }))
      expect(colored).toContain("\u001b[31mERROR\u001b[39m")
      expect(Format.stripAnsi(colored)).toBe(plainPretty(record({ level: "ERROR" })))
    })

    it("strips ANSI escapes from the message, values and nested values", () => {
      const line = Format.prettyWith({ colors: false })(record({
        message: "\u001b[2J\u001b[31mred\u001b[0m \u001b]0;title\u0007done",
        fields: { v: "\u001b[1mbold\u001b[22m", nested: { s: "\u001b[32mgreen\u001b[39m" } }
      }))
      expect(line).not.toMatch(/\u001b|\\u001b/)
      expect(line).toContain("red done")
      expect(line).toContain("v=bold")
      expect(line).toContain("nested={\"s\":\"green\"}")
    })

    it("colors follow the terminal, NO_COLOR turns them off, FORCE_COLOR on", () => {
      expect(Format.colorsByDefault({}, true)).toBe(true)
      expect(Format.colorsByDefault({}, false)).toBe(false)
      expect(Format.colorsByDefault({ NO_COLOR: "1" }, true)).toBe(false)
      expect(Format.colorsByDefault({ NO_COLOR: "" }, true)).toBe(true)
      expect(Format.colorsByDefault({ FORCE_COLOR: "1" }, false)).toBe(true)
      expect(Format.colorsByDefault({ NO_COLOR: "1", FORCE_COLOR: "1" }, true)).toBe(false)
    })
  })

  describe("pino", () => {
    it("writes pino's keys: numeric level, epoch-ms time, msg, pid, hostname, fields merged", () => {
      const parsed = JSON.parse(Format.pino(full))
      expect(parsed).toEqual({
        level: 30,
        time: TIME,
        pid: process.pid,
        hostname: os.hostname(),
        msg: "request handled",
        requestId: "r-1",
        status: 200,
        path: "/api/items",
        user: { id: 1, name: "ada lovelace" },
        fiber: "#12",
        seq: 7,
        spans: { http: 12 },
        err: { type: "Error", message: "boom", stack: "Error: boom\n    at handler (app.ts:1:1)" }
      })
      const levels = (["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"] as const).map((level) =>
        JSON.parse(Format.pino(record({ level }))).level
      )
      expect(levels).toEqual([10, 20, 30, 40, 50, 60])
    })

    it("a field named like a core key gets a `_` prefix instead of overwriting it", () => {
      const parsed = JSON.parse(Format.pino(record({ fields: { level: "loud", msg: "other", ok: 1 } })))
      expect(parsed.level).toBe(30)
      expect(parsed.msg).toBe("request handled")
      expect(parsed._level).toBe("loud")
      expect(parsed._msg).toBe("other")
    })

    it("a field named err stays err, in pino's error shape; with a cause the cause is err and the field _err", () => {
      const error = new TypeError("bad input")
      const parsed = JSON.parse(Format.pino(record({ fields: { err: error, id: 7 } })))
      expect(parsed.err).toMatchObject({ type: "TypeError", message: "bad input" })
      expect(parsed.err.stack).toContain("TypeError: bad input\n    at ")
      expect(parsed._err).toBeUndefined()
      const both = JSON.parse(Format.pino(record({ fields: { err: "mine" }, cause: "Error: boom" })))
      expect(both.err).toMatchObject({ type: "Error", message: "boom" })
      expect(both._err).toBe("mine")
    })

    it.effect("every error of a parallel cause is in err: AggregateError, each message, each stack", () =>
      Effect.gen(function*() {
        const records = yield* Effect.gen(function*() {
          yield* Effect.logError("both failed", Cause.parallel(Cause.fail(new Error("left")), Cause.die(new RangeError("right"))))
          yield* Effect.logError("plain values", Cause.parallel(Cause.fail({ code: 1 }), Cause.die("boom")))
          yield* AsyncLogger.flush
          return yield* TestSink.records
        }).pipe(Effect.provide(AsyncLogger.layer().pipe(Layer.provideMerge(TestSink.layer))))
        const [errors, values] = records.map((r) => JSON.parse(Format.pino(r)).err)
        expect(errors).toMatchObject({ type: "AggregateError", message: "left; right" })
        expect(errors.stack).toMatch(/^Error: left\n[\s\S]*\n\nRangeError: right\n/)
        expect(values).toMatchObject({ type: "AggregateError", message: "{\"code\":1}; boom" })
      }))

    it("pino-pretty renders our lines (through its API)", () => {
      const rendered = prettyFactory({ colorize: false, translateTime: "UTC:HH:MM:ss.l" })(Format.pino(full) + "\n")
      // pino-pretty 13 hides the hostname unless asked; the header is `[time] LEVEL (pid): msg`
      expect(rendered).toContain(`[10:00:00.123] INFO (${process.pid}): request handled`)
      expect(prettyFactory({ colorize: false, ignore: "" })(Format.pino(full))).toContain(
        `(${process.pid} on ${os.hostname()})`
      )
      expect(rendered).toMatch(/status: 200/)
      expect(rendered).toMatch(/path: "\/api\/items"/)
      expect(rendered).toContain("Error: boom")
    })

    it.scoped("pino-pretty renders a file written by FileSink with Format.pino (as a real process)", () =>
      Effect.gen(function*() {
        const file = path.join(tempDir(), "pino.log")
        yield* Effect.gen(function*() {
          yield* Effect.logInfo("server started", { port: 8080 })
          yield* Effect.logWarning("disk almost full", { freePercent: 3 })
          yield* AsyncLogger.flush
        }).pipe(
          Effect.provide(AsyncLogger.layer().pipe(Layer.provide(FileSink.layer({ path: file, format: Format.pino }))))
        )
        const lines = readLines(file)
        expect(lines).toHaveLength(2)
        const bin = path.join(path.dirname(require.resolve("pino-pretty")), "bin.js")
        const result = spawnSync(process.execPath, [bin, "--no-colorize"], { input: lines.join("\n") + "\n" })
        expect(result.status).toBe(0)
        const output = result.stdout.toString("utf8")
        expect(output).toContain(`INFO (${process.pid}): server started`)
        expect(output).toMatch(/port: 8080/)
        expect(output).toContain(`WARN (${process.pid}): disk almost full`)
      }))
  })

  describe("every format", () => {
    it("a message carrying a forged JSON record stays inside one line", () => {
      const forged = "ok\n{\"level\":\"ERROR\",\"msg\":\"forged\"}\r\n{\"level\":50,\"msg\":\"forged\"}"
      for (const [name, format] of Object.entries(textFormats)) {
        const line = format(record({ message: forged, fields: { v: forged }, annotations: { a: forged } }))
        expect(line.split(/\r\n|\r|\n/), name).toHaveLength(1)
        expect(line, name).not.toMatch(/[\u2028\u2029\u0085]/)
      }
      expect(JSON.parse(Format.json(record({ message: forged }))).message).toBe(forged)
      expect(JSON.parse(Format.pino(record({ message: forged }))).msg).toBe(forged)
    })

    it.scoped("a forged record in a message cannot produce a second record in a file, in any format", () =>
      Effect.gen(function*() {
        const dir = tempDir()
        const forged = "login failed\n{\"level\":\"ERROR\",\"msg\":\"forged\"}"
        for (const [name, format] of Object.entries(textFormats)) {
          const file = path.join(dir, `${name}.log`)
          yield* Effect.gen(function*() {
            yield* Effect.logInfo(forged, { user: forged })
            yield* Effect.logInfo("second")
            yield* AsyncLogger.flush
          }).pipe(Effect.provide(AsyncLogger.layer().pipe(Layer.provide(FileSink.layer({ path: file, format })))))
          const lines = readLines(file)
          expect(lines, name).toHaveLength(2)
          expect(lines.filter((line) => line.includes("forged")), name).toHaveLength(1)
          expect(lines[1], name).toContain("second")
        }
      }))

    it.effect("a rendered Cause has the error, its stack and fields, never [object Object]", () =>
      Effect.gen(function*() {
        class Failure {
          readonly code = 42
        }
        yield* Effect.logError("failed", Cause.fail(new Failure()))
        yield* Effect.logError("died", Cause.die(new Error("outer", { cause: new Error("inner") })))
        yield* Effect.logError("bigint", Cause.fail(10n))
        yield* AsyncLogger.flush
        const [failure, died, bigint] = yield* TestSink.records
        for (const [name, format] of Object.entries(textFormats)) {
          expect(format(failure!), name).not.toContain("[object Object]")
        }
        expect(failure!.cause).toContain("{\"code\":42}")
        expect(died!.cause).toMatch(/Error: outer\n\s+at /)
        expect(died!.cause).toContain("Error: inner")
        expect(bigint!.cause).toContain("Error: \"10\"")
      }).pipe(Effect.provide(AsyncLogger.layer().pipe(Layer.provideMerge(TestSink.layer)))))

    it.scoped("a user-defined format is a function: FileSink writes what it returns", () =>
      Effect.gen(function*() {
        const file = path.join(tempDir(), "short.log")
        const short: Format.Format = (r) => `${r.level} ${r.message} ${JSON.stringify(r.fields)}`
        yield* Effect.logInfo("hello", { n: 1 }).pipe(
          Effect.zipRight(AsyncLogger.flush),
          Effect.provide(AsyncLogger.layer().pipe(Layer.provide(FileSink.layer({ path: file, format: short }))))
        )
        expect(readLines(file)).toEqual(["INFO hello {\"n\":1}"])
      }))

    it.scoped("a careless user-defined format cannot forge a second line: its line breaks are escaped", () =>
      Effect.gen(function*() {
        const file = path.join(tempDir(), "careless.log")
        const careless: Format.Format = (r) => `${r.level} ${r.message}`
        yield* Effect.logInfo("hi\nERROR forged\r\nmore").pipe(
          Effect.zipRight(AsyncLogger.flush),
          Effect.provide(AsyncLogger.layer().pipe(Layer.provide(FileSink.layer({ path: file, format: careless }))))
        )
        expect(readLines(file)).toEqual(["INFO hi\\nERROR forged\\nmore"])
      }))
  })
})
