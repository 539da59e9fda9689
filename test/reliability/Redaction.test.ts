/**
 * Redaction applies to what is rendered: after `toJSON`, through getters, on values that change
 * between reads; a value that cannot be read stably is redacted or replaced by a marker. And the
 * smaller promises: JSON lines carry no raw line separators; file-open errors name their cause once.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import * as path from "node:path"
import { AsyncLogger, FileSink, Format, LogSink } from "../../src/index.js"
import { readLines, tempDir } from "../helpers.js"

const formats = { json: Format.json, logfmt: Format.logfmt, pretty: Format.prettyWith({ colors: true }), pino: Format.pino }

const SECRET = "hunter2-secret"

/** Log `effect` through one logger into one file per format; return each file's lines. */
const linesOf = (effect: Effect.Effect<void>, redact: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const dir = tempDir()
    const files = Object.keys(formats).map((name) => path.join(dir, `${name}.log`))
    const sinks = Object.values(formats).map((format, i) => FileSink.layer({ path: files[i]!, format }))
    yield* Effect.zipRight(effect, AsyncLogger.flush).pipe(
      Effect.provide(AsyncLogger.layer({ redact }).pipe(Layer.provide(LogSink.fanOut(...sinks))))
    )
    return files.map(readLines)
  })

/** Every file has one line, none holds the secret, and the JSON line's fields are `fields`. */
const expectRedacted = (files: ReadonlyArray<ReadonlyArray<string>>, fields: unknown) => {
  for (const lines of files) {
    expect(lines).toHaveLength(1)
    expect(lines[0]).not.toContain(SECRET)
    expect(lines[0]).toContain("[REDACTED]")
  }
  expect(JSON.parse(files[0]![0]!).fields).toEqual(fields)
}

describe("reliability: redaction of what is rendered", () => {
  it.scoped("a class instance logged as a value (rendered under args): the same paths apply to it", () =>
    Effect.gen(function*() {
      class Credentials {
        constructor(readonly user: string, readonly password: string) {}
      }
      const files = yield* linesOf(Effect.logInfo("login", new Credentials("ada", SECRET)), ["password"])
      expectRedacted(files, { args: [{ user: "ada", password: "[REDACTED]" }] })
    }))

  it.scoped("an Error with a secret field logged as a value, beside plain fields", () =>
    Effect.gen(function*() {
      const error = Object.assign(new Error("login failed"), { token: SECRET })
      const files = yield* linesOf(Effect.logInfo("login", { user: "ada" }, error), ["token"])
      for (const lines of files) expect(lines[0]).not.toContain(SECRET)
      const fields = JSON.parse(files[0]![0]!).fields as { user: string; args: Array<{ message: string; token: string }> }
      expect(fields.user).toBe("ada")
      expect(fields.args[0]).toMatchObject({ message: "login failed", token: "[REDACTED]" })
    }))

  it.scoped("toJSON: { user: { toJSON: () => ({ password }) } } with *.password, in json, logfmt, pretty and pino", () =>
    Effect.gen(function*() {
      const files = yield* linesOf(
        Effect.logInfo("login", { user: { toJSON: () => ({ name: "ada", password: SECRET }) } }),
        ["*.password"]
      )
      expectRedacted(files, { user: { name: "ada", password: "[REDACTED]" } })
    }))

  it.scoped("a getter is never read under a redacted path, even one that throws or changes", () =>
    Effect.gen(function*() {
      let reads = 0
      const user = Object.defineProperty({ name: "ada" }, "password", {
        enumerable: true,
        get() {
          reads++
          return SECRET
        }
      })
      const throwing = Object.defineProperty({}, "password", {
        enumerable: true,
        get() {
          throw new Error(SECRET)
        }
      })
      const files = yield* linesOf(Effect.logInfo("login", { user, throwing }), ["*.password"])
      expectRedacted(files, { user: { name: "ada", password: "[REDACTED]" }, throwing: { password: "[REDACTED]" } })
      expect(reads).toBe(0)
    }))

  it.scoped("a Proxy whose values change between reads, and a stateful toJSON: each read once, rendered as redacted", () =>
    Effect.gen(function*() {
      let reads = 0
      const changing = new Proxy({ password: "", token: "" }, {
        get(_target, key) {
          if (typeof key === "symbol") return undefined
          reads++
          // a different value on every read: only one read per key may be rendered
          return reads % 2 === 0 ? { password: SECRET } : `${SECRET}-${reads}`
        }
      })
      let calls = 0
      const stateful = { toJSON: () => (++calls === 1 ? { password: SECRET } : { leaked: SECRET }) }
      const files = yield* linesOf(Effect.logInfo("state", { changing, stateful }), ["*.password", "changing.token"])
      const fields = JSON.parse(files[0]![0]!).fields
      expectRedacted(files, fields)
      expect(fields.changing.password).toBe("[REDACTED]")
      expect(fields.changing.token).toBe("[REDACTED]")
      expect(fields.stateful).toEqual({ password: "[REDACTED]" })
      expect(calls).toBe(1)
    }))

  it.scoped("Maps, Errors and class instances redact in their rendering; values that cannot be read become markers", () =>
    Effect.gen(function*() {
      class Login {
        readonly password = SECRET
        readonly user = "ada"
      }
      const unreadable = new Proxy({ password: SECRET }, {
        ownKeys() {
          throw new Error("no keys")
        }
      })
      const files = yield* linesOf(
        Effect.logInfo("mixed", {
          map: new Map<unknown, unknown>([["password", SECRET], ["user", "ada"]]),
          err: Object.assign(new Error("login failed"), { password: SECRET }),
          login: new Login(),
          unreadable
        }),
        ["*.password"]
      )
      const fields = JSON.parse(files[0]![0]!).fields
      expectRedacted(files, fields)
      expect(fields.map).toEqual({ password: "[REDACTED]", user: "ada" })
      expect(fields.err).toMatchObject({ name: "Error", message: "login failed", password: "[REDACTED]" })
      expect(fields.login).toEqual({ password: "[REDACTED]", user: "ada" })
      expect(fields.unreadable).toBe("[Unserializable: no keys]")
    }))
})

describe("reliability: line separators and file-open errors", () => {
  it.scoped("JSON lines (json, pino) escape U+2028, U+2029 and U+0085; logfmt and pretty too", () =>
    Effect.gen(function*() {
      const text = "a\u2028b\u2029c\u0085d"
      const files = yield* linesOf(
        Effect.logInfo(text, { text, nested: { text }, key: { [text]: 1 } }).pipe(Effect.annotateLogs("note", text)),
        []
      )
      for (const lines of files) {
        expect(lines).toHaveLength(1)
        expect(lines[0]).not.toMatch(/[\u2028\u2029\u0085]/)
      }
      expect(files[0]![0]).toContain("a\\u2028b\\u2029c\\u0085d")
      const json = JSON.parse(files[0]![0]!)
      expect(json.message).toBe(text)
      expect(json.fields).toEqual({ text, nested: { text }, key: { [text]: 1 } })
      expect(JSON.parse(files[3]![0]!).msg).toBe(text)
    }))

  it.effect("a parent that is a file: the error names it (not EEXIST from mkdir), and no code is repeated", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const blocker = path.join(dir, "not-a-dir")
      fs.writeFileSync(blocker, "x")
      const reasons: Array<string> = []
      for (const file of [path.join(blocker, "app.log"), path.join(blocker, "sub", "app.log"), path.join(dir, "missing-parent-ok", "..", "..")]) {
        const exit = yield* Effect.exit(Effect.scoped(FileSink.make({ path: file })))
        if (Exit.isFailure(exit) && exit.cause._tag === "Fail") reasons.push(exit.cause.error.reason)
      }
      expect(reasons[0]).toBe(`cannot open: ENOTDIR: ${blocker} is not a directory`)
      expect(reasons[1]).toBe(`cannot open: ENOTDIR: ${blocker} is not a directory`)
      // Node's own message already starts with its code: written once
      expect(reasons[2]).toMatch(/^cannot open: EISDIR: illegal operation on a directory, open /)
      for (const reason of reasons) expect(reason).not.toMatch(/(\b[A-Z]{4,}): \1:/)
    }))
})
