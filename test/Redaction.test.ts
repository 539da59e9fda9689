import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as fc from "fast-check"
import * as fs from "node:fs"
import * as path from "node:path"
import { vi } from "vitest"
import { AsyncLogger, ConsoleSink, FileSink, Format, LogSink, TestSink } from "../src/index.js"
import { tempDir } from "./helpers.js"

const redact = ["password", "req.headers.authorization", "*.token", "users.*.password", "headers[\"x-api-key\"]"]

const SECRET = "s3cr3t-value"

const formats = { json: Format.json, logfmt: Format.logfmt, pretty: Format.prettyWith({ colors: true }), pino: Format.pino }

/** Log `effect` through one logger into files (one per format) and the console; return every output. */
const outputsOf = <E>(effect: Effect.Effect<void, E>, options: AsyncLogger.Options = { redact }) =>
  Effect.gen(function*() {
    const dir = tempDir()
    const files = Object.keys(formats).map((name) => path.join(dir, `${name}.log`))
    const sinks = Object.values(formats).map((format, i) => FileSink.layer({ path: files[i]!, format }))
    const stdout: Array<string> = []
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: unknown, ...rest: Array<unknown>) => {
      stdout.push(String(chunk))
      const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined
      callback?.()
      return true
    })
    yield* Effect.zipRight(effect, AsyncLogger.flush).pipe(
      Effect.provide(
        AsyncLogger.layer(options).pipe(
          Layer.provideMerge(LogSink.fanOut(...sinks, ConsoleSink.layer({ format: Format.logfmt }), TestSink.layer))
        )
      ),
      Effect.ensuring(Effect.sync(() => spy.mockRestore()))
    )
    return {
      files: files.map((file) => fs.readFileSync(file, "utf8")),
      stdout: stdout.join(""),
      json: fs.readFileSync(files[0]!, "utf8").trim().split("\n").map((line) => JSON.parse(line))
    }
  })

const expectNoSecret = (outputs: { files: ReadonlyArray<string>; stdout: string }) => {
  for (const text of [...outputs.files, outputs.stdout]) {
    expect(text.length).toBeGreaterThan(0)
    expect(text).not.toContain(SECRET)
  }
}

describe("Redaction", () => {
  it.scoped("top-level, nested, wildcard and bracketed paths never reach any sink, in any format", () =>
    Effect.gen(function*() {
      const logged = {
        password: SECRET,
        req: { method: "GET", headers: { authorization: `Bearer ${SECRET}`, host: "example.com" } },
        session: { token: SECRET, id: 7 },
        api: { token: SECRET },
        users: [{ name: "ada", password: SECRET }, { name: "bob", password: SECRET }],
        headers: { "x-api-key": SECRET, accept: "*/*" }
      }
      const outputs = yield* outputsOf(Effect.logInfo("request", logged))
      expectNoSecret(outputs)
      expect(outputs.json[0].fields).toEqual({
        password: "[REDACTED]",
        req: { method: "GET", headers: { authorization: "[REDACTED]", host: "example.com" } },
        session: { token: "[REDACTED]", id: 7 },
        api: { token: "[REDACTED]" },
        users: [{ name: "ada", password: "[REDACTED]" }, { name: "bob", password: "[REDACTED]" }],
        headers: { "x-api-key": "[REDACTED]", accept: "*/*" }
      })
      // the caller's object is untouched
      expect(logged.password).toBe(SECRET)
      expect(logged.req.headers.authorization).toBe(`Bearer ${SECRET}`)
      expect(logged.users[0]!.password).toBe(SECRET)
    }))

  it.scoped("annotations are redacted too", () =>
    Effect.gen(function*() {
      const outputs = yield* outputsOf(
        Effect.logInfo("annotated").pipe(
          Effect.annotateLogs({ password: SECRET, session: { token: SECRET, user: "ada" } })
        )
      )
      expectNoSecret(outputs)
      expect(outputs.json[0].annotations).toEqual({ password: "[REDACTED]", session: { token: "[REDACTED]", user: "ada" } })
    }))

  it.scoped("paths through Errors, Maps and class instances redact in their safe rendering", () =>
    Effect.gen(function*() {
      class Request {
        constructor(readonly headers: Record<string, string>) {}
      }
      const error = Object.assign(new Error("login failed"), { token: SECRET })
      const outputs = yield* outputsOf(
        Effect.logError("failed", {
          err: error,
          cache: new Map([["token", SECRET], ["size", "3"]]),
          req: new Request({ authorization: SECRET })
        })
      )
      expectNoSecret(outputs)
      const fields = outputs.json[0].fields
      expect(fields.err).toMatchObject({ name: "Error", message: "login failed", token: "[REDACTED]" })
      expect(fields.cache).toEqual({ token: "[REDACTED]", size: "3" })
      expect(fields.req).toEqual({ headers: { authorization: "[REDACTED]" } })
    }))

  it.effect("a record without any redacted key is written as logged; sinks get its snapshot, not the caller's objects", () =>
    Effect.gen(function*() {
      const logged = { user: "ada", items: [1, 2, 3], nested: { ok: true } }
      yield* Effect.logInfo("plain", logged)
      yield* AsyncLogger.flush
      const [record] = yield* TestSink.records
      expect(record!.fields).toEqual(logged)
      // formats render the snapshot the redaction saw, never a second read of a live value
      expect(record!.fields.items).not.toBe(logged.items)
      expect(record!.fields.nested).not.toBe(logged.nested)
    }).pipe(Effect.provide(AsyncLogger.layer({ redact }).pipe(Layer.provideMerge(TestSink.layer)))))

  it("for any object, values at redacted paths never appear in any format (fast-check)", async () => {
    const key = fc.string({ minLength: 1, maxLength: 6 }).filter((k) => !/[.[\]*"']/.test(k) && k.trim() === k)
    const secretArb = fc.string({ minLength: 8, maxLength: 16 }).map((s) => `SECRET<${s}>`)
    await fc.assert(
      fc.asyncProperty(
        fc.array(key, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        secretArb,
        fc.dictionary(key, fc.oneof(fc.string(), fc.integer()), { maxKeys: 3 }),
        async (segments, wildcard, secret, noise) => {
          // build { a: { b: { c: secret, ...noise } } } and a path "a.b.c" or "*.b.c"
          let value: unknown = secret
          for (let i = segments.length - 1; i >= 0; i--) value = { ...noise, [segments[i]!]: value }
          const paths = [(wildcard && segments.length > 1 ? ["*", ...segments.slice(1)] : segments).join(".")]
          const lines = await Effect.runPromise(
            Effect.gen(function*() {
              yield* Effect.logInfo("x", value as Record<string, unknown>)
              yield* AsyncLogger.flush
              const records = yield* TestSink.records
              return Object.values(formats).map((format) => format(records[0]!))
            }).pipe(Effect.provide(AsyncLogger.layer({ redact: paths }).pipe(Layer.provideMerge(TestSink.layer))))
          )
          for (const line of lines) expect(line).not.toContain(secret)
          expect(lines[0]).toContain("[REDACTED]")
        }
      ),
      { numRuns: 200 }
    )
  })

  it.effect("a malformed path is refused when the Layer is built, naming the option and the path", () =>
    Effect.gen(function*() {
      const exit = yield* Layer.build(AsyncLogger.layer({ redact: ["req..headers"] }).pipe(Layer.provide(TestSink.layer))).pipe(
        Effect.scoped,
        Effect.exit
      )
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) {
        expect(String(Cause.squash(exit.cause))).toContain(
          "option redact: invalid redact path \"req..headers\": it has an empty segment"
        )
      }
    }))
})
