import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import { AsyncLogger, JournaldSink, LogRecord } from "../src/index.js"
import { encode, fieldName, fields, fit } from "../src/internal/journald/entry.js"
import { journald, waitFor } from "./support/daemons.js"
import { captureStderr, reportedRecords } from "./support/stderr.js"

const loggerFor = (namespace: string, options: JournaldSink.Options = {}, logger: AsyncLogger.Options = {}) =>
  AsyncLogger.layer(logger).pipe(Layer.provide(JournaldSink.layer({ identifier: "logfiber-test", namespace, ...options })))

describe("JournaldSink entries", () => {
  it("field names: upper case, A-Z0-9_ only, no leading _ or digit, at most 64, never logfiber's own", () => {
    expect(fieldName("user.id")).toBe("USER_ID")
    expect(fieldName("__secret")).toBe("SECRET")
    expect(fieldName("9lives")).toBe("F_9LIVES")
    expect(fieldName("é")).toBe("FIELD") // "_" after sanitizing, then no leading "_"
    expect(fieldName("x".repeat(100))).toBe("X".repeat(64))
    expect(fieldName("message")).toBe("FIELD_MESSAGE")
    expect(fieldName("priority")).toBe("FIELD_PRIORITY")
  })

  it("multi-line values use the length-prefixed form: NAME\\n, 64-bit little-endian length, bytes, \\n", () => {
    const bytes = encode([["A", "one"], ["B", "x\ny"]])
    const length = Buffer.alloc(8)
    length.writeBigUInt64LE(3n)
    expect(bytes).toEqual(Buffer.concat([Buffer.from("A=one\nB\n"), length, Buffer.from("x\ny\n")]))
  })

  it("an entry over the limit has its largest value cut with the marker and fits the limit", () => {
    const entry = fields({ identifier: "t", pid: "1" }, LogRecord.make({ message: "m".repeat(10_000), fields: { small: "s" } }))
    const fitted = fit(entry, 2048)
    expect(encode(fitted).length).toBeLessThanOrEqual(2048)
    const message = Buffer.from(fitted[0]![1]).toString()
    expect(message).toMatch(/^m+…\[truncated \d+ bytes\]$/)
    expect(Buffer.from(fitted.find(([name]) => name === "SMALL")![1]).toString()).toBe("s")
  })
})

describe("JournaldSink with a real systemd-journald (namespace, volatile)", () => {
  it.scopedLive("native route: message, priority, identifier, pid, seq, fiber, custom fields and a multi-line value", () =>
    Effect.gen(function*() {
      if (!JournaldSink.nativeAvailable()) {
        return yield* Effect.dieMessage("the unix-dgram addon (optional dependency) is missing or did not build: npm ci builds it with node-gyp, g++ and Node's headers")
      }
      expect(JournaldSink.route()).toBe("native")
      const daemon = yield* journald
      const stats = yield* Effect.gen(function*() {
        yield* Effect.logWarning("disk almost full", { "disk.free": 12, note: "line one\nline two", nested: { a: [1, 2] } }).pipe(
          Effect.annotateLogs("requestId", "r-1")
        )
        for (let i = 0; i < 999; i++) yield* Effect.logInfo("tick", { i })
        yield* Effect.logError("boom")
        yield* AsyncLogger.flush
        return yield* AsyncLogger.stats
      }).pipe(Effect.provide(loggerFor(daemon.namespace)))
      expect(stats).toMatchObject({ offered: 1001, written: 1001, failed: 0 })
      yield* waitFor("1,001 journal entries", () => daemon.entries().length >= 1001)
      const entries = daemon.entries()
      expect(entries).toHaveLength(1001)
      const first = entries[0]!
      expect(first).toMatchObject({
        MESSAGE: "disk almost full",
        PRIORITY: "4",
        SYSLOG_IDENTIFIER: "logfiber-test",
        SYSLOG_PID: String(process.pid),
        LOGFIBER_SEQ: "1",
        LOGFIBER_LEVEL: "WARN",
        DISK_FREE: "12",
        NOTE: "line one\nline two",
        NESTED: "{\"a\":[1,2]}",
        REQUESTID: "r-1",
        _TRANSPORT: "journal"
      })
      expect(first.LOGFIBER_FIBER).toMatch(/^#\d+$/)
      expect(entries.slice(1, 1000).map((e) => Number(e.I))).toEqual(Array.from({ length: 999 }, (_, i) => i))
      expect(entries[1000]).toMatchObject({ MESSAGE: "boom", PRIORITY: "3", LOGFIBER_SEQ: "1001" })
    }))

  it.scopedLive("native route: an entry over maxEntryBytes arrives cut with the visible marker", () =>
    Effect.gen(function*() {
      const daemon = yield* journald
      yield* Effect.logInfo("x".repeat(20_000)).pipe(Effect.provide(loggerFor(daemon.namespace, { maxEntryBytes: 4096 })))
      yield* waitFor("1 journal entry", () => daemon.entries().length >= 1)
      const message = String(daemon.entries()[0]!.MESSAGE)
      expect(message).toMatch(/^x+…\[truncated \d+ bytes\]$/)
      expect(message.indexOf("…") + Number(message.match(/truncated (\d+) bytes/)![1])).toBe(20_000)
    }))

  it.scopedLive("native route: an entry larger than the kernel takes in one datagram arrives cut, not lost", () =>
    Effect.gen(function*() {
      const daemon = yield* journald
      const stats = yield* Effect.gen(function*() {
        yield* Effect.logInfo("y".repeat(400_000)) // over net.core.wmem_default (212,992 here)
        yield* AsyncLogger.flush
        return yield* AsyncLogger.stats
      }).pipe(Effect.provide(loggerFor(daemon.namespace, { maxEntryBytes: 10_000_000 }, { maxRecordBytes: 1_000_000 })))
      expect(stats).toMatchObject({ written: 1, failed: 0 })
      yield* waitFor("1 journal entry", () => daemon.entries().length >= 1)
      const message = String(daemon.entries()[0]!.MESSAGE)
      expect(message).toMatch(/^y+…\[truncated \d+ bytes\]$/)
      expect(message.length).toBeGreaterThan(50_000)
    }))

  it.scopedLive("stream route (no addon): message and priority, the fields folded into the message as JSON", () =>
    Effect.gen(function*() {
      const daemon = yield* journald
      yield* Effect.logError("two\nlines", { user: "ada" }).pipe(Effect.provide(loggerFor(daemon.namespace, { transport: "stream" })))
      yield* waitFor("1 journal entry", () => daemon.entries().length >= 1)
      const entry = daemon.entries()[0]!
      expect(entry).toMatchObject({ PRIORITY: "3", SYSLOG_IDENTIFIER: "logfiber-test", _TRANSPORT: "stdout" })
      const message = String(entry.MESSAGE)
      expect(message.startsWith("two\\nlines {")).toBe(true)
      expect(JSON.parse(message.slice("two\\nlines ".length))).toMatchObject({ seq: 1, user: "ada" })
      expect(entry.USER).toBeUndefined() // what the stream route loses
    }))

  it.scopedLive("journald not running: the writes fail as SinkError, counted in stats.failed, the program goes on", () =>
    Effect.gen(function*() {
      const stderr = yield* captureStderr
      const stats = yield* Effect.gen(function*() {
        for (let i = 0; i < 10; i++) yield* Effect.logInfo("nobody listens", { i })
        yield* AsyncLogger.flush
        return yield* AsyncLogger.stats
      }).pipe(Effect.provide(loggerFor("logfiber-absent-namespace", {}, { retry: Schedule.recurs(1) })))
      expect(stats).toMatchObject({ offered: 10, written: 0, failed: 10 })
      expect(stderr.text()).toContain("logfiber-absent-namespace/socket: ENOENT")
      expect(reportedRecords(stderr.text()).map((r) => r.fields.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    }))
})
