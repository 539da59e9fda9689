import { describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as path from "node:path"
import { AsyncLogger, SinkFromEnv } from "../src/index.js"
import { readLines, tempDir } from "./helpers.js"
import { journald, rsyslog, waitFor } from "./support/daemons.js"

/** Run `effect` with exactly these environment variables. */
const withEnv = (env: Record<string, string>) => Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

/** Log one record through `layerFromEnv` built from `env`. */
const logWith = (env: Record<string, string>, message: string) =>
  Effect.logInfo(message, { via: "env" }).pipe(Effect.provide(SinkFromEnv.layerFromEnv), withEnv(env))

const layerError = (env: Record<string, string>) =>
  Layer.build(SinkFromEnv.layerFromEnv).pipe(Effect.scoped, Effect.flip, withEnv(env), Effect.map(String))

describe("SinkFromEnv", () => {
  it.effect("no LOG_SINK: console", () =>
    Effect.gen(function*() {
      expect(yield* SinkFromEnv.sinkName.pipe(withEnv({}))).toBe("console")
      expect(yield* SinkFromEnv.sinkName.pipe(withEnv({ LOG_SINK: " Journald " }))).toBe("journald")
    }))

  it.effect("LOG_SINK=file LOG_FILE=...: the record is in the file, in LOG_FORMAT", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "app.log")
      yield* logWith({ LOG_SINK: "file", LOG_FILE: file, LOG_FORMAT: "logfmt" }, "to file")
      expect(readLines(file)).toHaveLength(1)
      expect(readLines(file)[0]).toContain("msg=\"to file\"")
    }))

  it.scopedLive("LOG_SINK=syslog with tcp://, udp:// and unix:// URLs, facility and protocol: records reach rsyslog", () =>
    Effect.gen(function*() {
      const daemon = yield* rsyslog
      yield* logWith({ LOG_SINK: "syslog", LOG_SYSLOG_URL: `tcp://127.0.0.1:${daemon.tcpPort}`, LOG_SYSLOG_FACILITY: "local5", LOG_SYSLOG_APP_NAME: "envapp" }, "over tcp")
      yield* logWith({ LOG_SINK: "syslog", LOG_SYSLOG_URL: `udp://127.0.0.1:${daemon.udpPort}`, LOG_SYSLOG_FACILITY: "17" }, "over udp")
      yield* logWith({ LOG_SINK: "syslog", LOG_SYSLOG_URL: `unix://${daemon.unixPath}`, LOG_SYSLOG_PROTOCOL: "rfc3164" }, "over unix")
      yield* waitFor("3 records", () => daemon.lines().length >= 3)
      const lines = daemon.lines().sort()
      expect(lines.find((l) => l.endsWith("|over tcp"))).toMatch(/^174\|.*\|envapp\|/) // local5.info
      expect(lines.find((l) => l.endsWith("|over udp"))).toMatch(/^142\|/) // local1.info
      expect(lines.find((l) => l.includes("| over unix"))).toMatch(/^14\|/) // user.info, RFC 3164
    }))

  it.scopedLive("LOG_SINK=journald LOG_JOURNALD_NAMESPACE=...: the entry is in the namespace's journal", () =>
    Effect.gen(function*() {
      const daemon = yield* journald
      yield* logWith({ LOG_SINK: "journald", LOG_JOURNALD_NAMESPACE: daemon.namespace, LOG_JOURNALD_IDENTIFIER: "envid" }, "to journal")
      yield* waitFor("1 journal entry", () => daemon.entries().length >= 1)
      expect(daemon.entries()[0]).toMatchObject({ MESSAGE: "to journal", SYSLOG_IDENTIFIER: "envid", VIA: "env" })
    }))

  describe("a bad value fails the Layer naming the variable and the value", () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ LOG_SINK: "kafka" }, "LOG_SINK: expected one of console, file, syslog, journald, otlp, got \"kafka\""],
      [{ LOG_SINK: "syslog", LOG_SYSLOG_URL: "http://x:1" }, "LOG_SYSLOG_URL: expected udp://host:port, tcp://host:port or unix:///path, got \"http://x:1\""],
      [{ LOG_SINK: "syslog", LOG_SYSLOG_URL: "tcp://host:99999" }, "LOG_SYSLOG_URL: expected udp://host:port, tcp://host:port or unix:///path, got \"tcp://host:99999\""],
      [{ LOG_SINK: "syslog", LOG_SYSLOG_FACILITY: "local9" }, "LOG_SYSLOG_FACILITY: expected a facility name such as local0 or a number 0..23, got \"local9\""],
      [{ LOG_SINK: "syslog", LOG_SYSLOG_PROTOCOL: "rfc9999" }, "LOG_SYSLOG_PROTOCOL: expected rfc5424 or rfc3164, got \"rfc9999\""],
      [{ LOG_SINK: "journald", LOG_JOURNALD_NAMESPACE: "a/b" }, "LOG_JOURNALD_NAMESPACE: expected letters, digits, _, - and ., got \"a/b\""],
      [{ LOG_SINK: "file" }, "LOG_FILE: required when LOG_SINK=file"]
    ]
    for (const [env, message] of cases) {
      it.effect(Object.entries(env).map(([k, v]) => `${k}=${v}`).join(" "), () =>
        Effect.gen(function*() {
          expect(yield* layerError(env)).toContain(message)
        }))
    }
  })

  it.effect("a bad syslog variable is not read when LOG_SINK names another sink", () =>
    Effect.gen(function*() {
      const stats = yield* AsyncLogger.stats.pipe(
        Effect.provide(SinkFromEnv.layerFromEnv),
        withEnv({ LOG_SINK: "console", LOG_SYSLOG_URL: "nonsense", LOG_LEVEL: "error" })
      )
      expect(stats.offered).toBe(0)
    }))
})
