import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import { AsyncLogger, LogRecord, SyslogSink } from "../src/index.js"
import { datagram, parts } from "../src/internal/syslog/frame.js"
import { pri } from "../src/internal/syslog/priority.js"
import * as net from "node:net"
import { type Rsyslog, rsyslog, waitFor } from "./support/daemons.js"
import { captureStderr, reportedRecords } from "./support/stderr.js"

/** One line of the rsyslog template: PRI|timestamp|hostname|app-name|procid|msgid|structured-data|msg. */
const parseLine = (line: string) => {
  const p = line.split("|")
  return { pri: Number(p[0]), time: p[1]!, host: p[2]!, app: p[3]!, procId: p[4]!, msgId: p[5]!, sd: p[6]!, msg: p.slice(7).join("|") }
}

/** STRUCTURED-DATA text back to `{ "sd-id": { name: value } }`, undoing the RFC 5424 escapes. */
const parseSd = (sd: string): Record<string, Record<string, string>> => {
  const out: Record<string, Record<string, string>> = {}
  let i = 0
  while (i < sd.length && sd[i] === "[") {
    const idEnd = sd.slice(i).search(/[ \]]/) + i
    const params: Record<string, string> = {}
    out[sd.slice(i + 1, idEnd)] = params
    i = idEnd
    while (sd[i] === " ") {
      const eq = sd.indexOf("=", i)
      const name = sd.slice(i + 1, eq)
      let value = ""
      i = eq + 2 // past ="
      while (sd[i] !== "\"") {
        if (sd[i] === "\\" && (sd[i + 1] === "\"" || sd[i + 1] === "\\" || sd[i + 1] === "]")) i++
        value += sd[i++]
      }
      params[name] = value
      i++ // past the closing quote
    }
    i++ // past ]
  }
  return out
}

const RFC3339_MICROS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$/

const sinkFor = (daemon: Rsyslog, transport: "udp" | "tcp" | "unix", extra: SyslogSink.Options = {}) =>
  SyslogSink.layer({
    transport,
    port: transport === "udp" ? daemon.udpPort : daemon.tcpPort,
    path: daemon.unixPath,
    facility: "local0",
    appName: "itest",
    hostname: "logfiber-test",
    msgId: (record) => (record.level === "ERROR" ? "FAIL" : "REQ"),
    ...extra
  })

const tenThousand = (daemon: Rsyslog, transport: "udp" | "tcp" | "unix") =>
  Effect.gen(function*() {
    const before = Date.now()
    const stats = yield* Effect.gen(function*() {
      for (let i = 0; i < 10_000; i++) {
        yield* i % 1000 === 999 ? Effect.logError("failed", { i }) : Effect.logInfo("request", { i, path: "/a b" })
      }
      yield* AsyncLogger.flush
      return yield* AsyncLogger.stats
    }).pipe(Effect.annotateLogs("service", "api"), Effect.provide(AsyncLogger.layer().pipe(Layer.provide(sinkFor(daemon, transport)))))
    expect(stats).toMatchObject({ offered: 10_000, written: 10_000, failed: 0, dropped: 0 })
    yield* waitFor(`10,000 ${transport} records in ${daemon.output}`, () => daemon.lines().length >= 10_000)
    const seen = new Set<number>()
    for (const line of daemon.lines()) {
      const r = parseLine(line)
      const sd = parseSd(r.sd)
      const i = Number(sd["logfiber@32473"]!.i)
      seen.add(i)
      const error = i % 1000 === 999
      expect(r.pri).toBe(error ? 16 * 8 + 3 : 16 * 8 + 6)
      expect(r.time).toMatch(RFC3339_MICROS)
      expect(Math.abs(Date.parse(r.time) - before)).toBeLessThan(60_000)
      expect([r.host, r.app, r.procId, r.msgId]).toEqual(["logfiber-test", "itest", String(process.pid), error ? "FAIL" : "REQ"])
      expect(r.msg).toBe(error ? "failed" : "request")
      expect(sd.meta!.sequenceId).toBe(String(i + 1))
      expect(sd["logfiber@32473"]).toMatchObject({ service: "api", ...(error ? {} : { path: "/a b" }) })
    }
    expect(seen.size).toBe(10_000)
  })

describe("SyslogSink frames", () => {
  const record = LogRecord.make({ seq: 3, time: Date.UTC(2026, 0, 2, 3, 4, 5, 678), level: "WARN", message: "m" })
  const base = { protocol: "rfc5424", facility: 16, hostname: "h", appName: "a", procId: "1", msgId: () => undefined, sdId: "x@1" } as const

  it("PRI is facility * 8 + severity: Fatal crit, Error err, Warning warning, Info info, Debug/Trace debug", () => {
    expect((["FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"] as const).map((level) => pri(16, level))).toEqual([130, 131, 132, 134, 135, 135])
    expect(parts({ ...base, facility: 3 }, record).head.startsWith("<28>1 ")).toBe(true)
  })

  it("SD-PARAM names are cut to 32 printable characters, values escape \", \\ and ]", () => {
    const long = "n".repeat(40) + "=x y]\"é"
    const sd = parts(base, { ...record, fields: { [long]: "a\"b\\c]d", ["short" + "é"]: 1 } }).sd
    expect(sd).toBe(`[meta sequenceId="3"][x@1 fiber="#0" ${"n".repeat(32)}="a\\"b\\\\c\\]d" short_="1"]`)
  })

  it("a UDP datagram over the limit is cut in the message with a visible marker, never past the limit", () => {
    const big = { ...record, message: "é".repeat(3000) }
    const bytes = datagram(base, big, 1024)
    expect(bytes.length).toBeLessThanOrEqual(1024)
    const text = bytes.toString("utf8")
    expect(text).toMatch(/…\[truncated \d+ bytes\]$/)
    expect(text).not.toContain("\uFFFD") // never cut inside a character
  })

  it.effect("an unknown facility fails the layer with a message naming the option and the value", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.scoped(Layer.build(SyslogSink.layer({ facility: "local9" }))))
      expect(Exit.isFailure(exit) && Cause.pretty(exit.cause)).toContain("SyslogSink option facility must be a facility name")
      expect(Exit.isFailure(exit) && Cause.pretty(exit.cause)).toContain("\"local9\"")
    }))

  it.effect("maxDatagramBytes past the largest UDP payload (65,507) is refused: a larger datagram could never be sent", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.scoped(Layer.build(SyslogSink.layer({ transport: "udp", maxDatagramBytes: 100_000 }))))
      expect(Exit.isFailure(exit) && Cause.pretty(exit.cause)).toContain(
        "SyslogSink option maxDatagramBytes must be an integer from 480 to 65507"
      )
      expect(Exit.isFailure(exit) && Cause.pretty(exit.cause)).toContain("100000")
    }))
})

describe("SyslogSink with a real rsyslogd", () => {
  it.scopedLive("10,000 records over TCP (octet-counted) arrive once each with PRI, timestamp, hostname, app-name, procid, msgid, SD and message", () =>
    Effect.flatMap(rsyslog, (daemon) => tenThousand(daemon, "tcp")))

  it.scopedLive("10,000 records over UDP arrive once each with the right fields", () =>
    Effect.flatMap(rsyslog, (daemon) => tenThousand(daemon, "udp")))

  it.scopedLive("10,000 records over a unix stream socket (imptcp path=) arrive once each with the right fields", () =>
    Effect.flatMap(rsyslog, (daemon) => tenThousand(daemon, "unix")))

  it.scopedLive("structured data with \", \\ and ] in values (fields and annotations) arrives intact", () =>
    Effect.gen(function*() {
      const daemon = yield* rsyslog
      const nasty = ["plain", "quote\"inside", "back\\slash", "close]bracket", "all \"\\] three\\\"]", "trailing\\"]
      yield* Effect.forEach(nasty, (value, i) => Effect.logInfo("sd", { value, i }), { discard: true }).pipe(
        Effect.annotateLogs("note", "a]b\"c\\d"),
        Effect.provide(AsyncLogger.layer().pipe(Layer.provide(sinkFor(daemon, "tcp"))))
      )
      yield* waitFor("6 records", () => daemon.lines().length >= nasty.length)
      const got = daemon.lines().map((line) => parseSd(parseLine(line).sd)["logfiber@32473"]!)
      expect(got.map((sd) => sd.value)).toEqual(nasty)
      expect(got.every((sd) => sd.note === "a]b\"c\\d")).toBe(true)
    }))

  it.scopedLive("RFC 3164 over UDP: rsyslog reads PRI, hostname, tag and pid; the fields follow the message", () =>
    Effect.gen(function*() {
      const daemon = yield* rsyslog
      yield* Effect.logWarning("old relay", { k: "v" }).pipe(
        Effect.provide(AsyncLogger.layer().pipe(Layer.provide(sinkFor(daemon, "udp", { protocol: "rfc3164", facility: 3 }))))
      )
      yield* waitFor("1 record", () => daemon.lines().length >= 1)
      const r = parseLine(daemon.lines()[0]!)
      expect([r.pri, r.host, r.app, r.procId]).toEqual([3 * 8 + 4, "logfiber-test", "itest", String(process.pid)])
      // rsyslog keeps the space after the tag's colon as part of an RFC 3164 MSG
      expect(r.msg).toBe(" old relay [meta sequenceId=\"1\"][logfiber@32473 fiber=\"#1\" k=\"v\"]".replace("#1", r.msg.match(/fiber="([^"]+)"/)![1]!))
    }))

  it.scopedLive("a UDP record over maxDatagramBytes arrives cut with the visible marker", () =>
    Effect.gen(function*() {
      const daemon = yield* rsyslog
      yield* Effect.logInfo("x".repeat(5000)).pipe(
        Effect.provide(AsyncLogger.layer().pipe(Layer.provide(sinkFor(daemon, "udp", { maxDatagramBytes: 1024 }))))
      )
      yield* waitFor("1 record", () => daemon.lines().length >= 1)
      const r = parseLine(daemon.lines()[0]!)
      expect(r.msg).toMatch(/^x+…\[truncated \d+ bytes\]$/)
      const dropped = Number(r.msg.match(/truncated (\d+) bytes/)![1])
      expect(r.msg.indexOf("…") + dropped).toBe(5000) // kept + dropped = the whole message
    }))

  it.scopedLive("rsyslog killed and restarted: the TCP sink reconnects, later records arrive, lost = stats.failed", () =>
    Effect.gen(function*() {
      const daemon = yield* rsyslog
      const stderr = yield* captureStderr
      const LogLive = AsyncLogger.layer({
        batchSize: 100,
        retry: Schedule.spaced("20 millis").pipe(Schedule.intersect(Schedule.recurs(2)))
      }).pipe(Layer.provide(sinkFor(daemon, "tcp", {
        connectTimeout: "500 millis",
        reconnect: Schedule.spaced("20 millis").pipe(Schedule.intersect(Schedule.recurs(1)))
      })))
      const phase = (from: number) =>
        Effect.gen(function*() {
          for (let i = from; i < from + 1000; i++) yield* Effect.logInfo("r", { i })
          yield* AsyncLogger.flush
        })
      const stats = yield* Effect.gen(function*() {
        yield* phase(0)
        yield* waitFor("the first 1,000 records", () => daemon.lines().length >= 1000)
        yield* daemon.kill
        // let the sink see the connection close, as a running program would between batches
        yield* Effect.sleep("100 millis")
        yield* phase(1000) // the relay is down: these fail after the retries
        const down = yield* AsyncLogger.stats
        expect(down.failed).toBeGreaterThan(0)
        yield* daemon.start
        yield* phase(2000)
        return yield* AsyncLogger.stats
      }).pipe(Effect.provide(LogLive))
      expect(stats.offered).toBe(3000)
      expect(stats.written + stats.failed).toBe(3000)
      yield* waitFor(`${stats.written} records after the restart`, () => daemon.lines().length >= stats.written)
      const arrived = daemon.lines().map((line) => Number(parseSd(parseLine(line).sd)["logfiber@32473"]!.i))
      expect(new Set(arrived).size).toBe(arrived.length) // no record twice
      expect(3000 - arrived.length).toBe(stats.failed)
      for (let i = 0; i < 1000; i++) expect(arrived).toContain(i)
      for (let i = 2000; i < 3000; i++) expect(arrived).toContain(i)
      // and the lost ones are exactly the records reported on stderr
      const reported = reportedRecords(stderr.text()).map((r) => r.fields.i)
      expect(reported.sort((a, b) => a - b)).toEqual(Array.from({ length: 3000 }, (_, i) => i).filter((i) => !arrived.includes(i)))
    }))

  it.scopedLive("a write the logger interrupts (its writeTimeout) drops the connection: the next one starts at a frame boundary", () =>
    Effect.gen(function*() {
      yield* captureStderr
      const received: Array<Buffer> = []
      const sockets: Array<net.Socket> = []
      const server = net.createServer((socket) => {
        sockets.push(socket)
        if (sockets.length === 1) return void socket.pause() // the first connection stalls
        socket.on("data", (chunk) => void received.push(chunk))
      })
      yield* Effect.acquireRelease(
        Effect.async<void>((resume) => void server.listen(0, "127.0.0.1", () => resume(Effect.void))),
        () => Effect.sync(() => (sockets.forEach((socket) => socket.destroy()), server.close()))
      )
      const port = (server.address() as net.AddressInfo).port
      const stats = yield* Effect.gen(function*() {
        const big = "z".repeat(30_000)
        for (let i = 0; i < 600; i++) yield* Effect.logInfo(big, { i })
        yield* AsyncLogger.flush
        return yield* AsyncLogger.stats
      }).pipe(
        Effect.provide(
          AsyncLogger.layer({ batchSize: 100, writeTimeout: "300 millis", retry: Schedule.recurs(3) }).pipe(
            Layer.provide(SyslogSink.layer({ transport: "tcp", port, writeTimeout: "30 seconds" }))
          )
        )
      )
      expect(stats.retries).toBeGreaterThan(0) // the logger did interrupt a write
      expect(sockets.length).toBeGreaterThan(1)
      // octet-counted frames from the first byte of the new connection: LEN SP "<PRI>1 ..."
      const frames = (): Array<number> => {
        const data = Buffer.concat(received)
        const seen: Array<number> = []
        let at = 0
        while (at < data.length) {
          const space = data.indexOf(32, at)
          if (space < 0) break
          const length = Number(data.subarray(at, space).toString())
          if (!Number.isInteger(length) || length <= 0) throw new Error(`no frame length at byte ${at}`)
          const frame = data.subarray(space + 1, space + 1 + length).toString()
          if (Buffer.byteLength(frame) < length) break // the last frame is still arriving
          if (!frame.startsWith("<14>1 ")) throw new Error(`frame at byte ${at} does not start with a header`)
          seen.push(Number(frame.match(/ i="(\d+)"/)![1]))
          at = space + 1 + length
        }
        return seen
      }
      yield* waitFor("the last record on the new connection", () => frames().includes(599))
      const seen = frames()
      expect(new Set(seen).size).toBe(seen.length)
    }))

  it.scopedLive("a TCP peer that stops reading: batch writes time out as SinkError, counted, and the program finishes", () =>
    Effect.gen(function*() {
      const stderr = yield* captureStderr
      const accepted: Array<net.Socket> = []
      const server = net.createServer((socket) => {
        socket.pause() // never read: the kernel buffers fill, then Node's
        accepted.push(socket)
      })
      yield* Effect.acquireRelease(
        Effect.async<void>((resume) => void server.listen(0, "127.0.0.1", () => resume(Effect.void))),
        () => Effect.sync(() => (accepted.forEach((socket) => socket.destroy()), server.close()))
      )
      // one connection only: a retry on a fresh connection (what the sink does after a timeout) is refused
      server.maxConnections = 1
      const port = (server.address() as net.AddressInfo).port
      const started = Date.now()
      const stats = yield* Effect.gen(function*() {
        const big = "x".repeat(30_000)
        for (let i = 0; i < 600; i++) yield* Effect.logInfo(big, { i }) // 18 MB: more than the socket buffers take
        yield* AsyncLogger.flush
        return yield* AsyncLogger.stats
      }).pipe(
        Effect.provide(
          AsyncLogger.layer({ batchSize: 100, retry: Schedule.recurs(1) }).pipe(
            Layer.provide(SyslogSink.layer({ transport: "tcp", port, writeTimeout: "300 millis" }))
          )
        )
      )
      expect(Date.now() - started).toBeLessThan(30_000)
      expect(stats.failed).toBeGreaterThan(0)
      expect(stats.offered).toBe(stats.written + stats.dropped + stats.failed + stats.fallback)
      const reported = stderr.text()
      expect(reported).toContain("failed after 2 attempt(s)")
      expect(reportedRecords(reported).length).toBe(stats.failed + stats.fallback)
    }))
})
