/**
 * Real peers for the syslog and journald tests: rsyslogd and systemd-journald started by the
 * test on loopback ports and temp paths, stopped at the end. A missing binary or missing root
 * fails the test with a message naming it.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as cp from "node:child_process"
import * as dgram from "node:dgram"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { tempDir } from "../helpers.js"

export const RSYSLOGD = "/usr/sbin/rsyslogd"
export const JOURNALD = "/lib/systemd/systemd-journald"

/** Fails (never skips) when `binary` is absent. */
export const requireBinary = (binary: string, pkg: string): Effect.Effect<void> =>
  fs.existsSync(binary)
    ? Effect.void
    : Effect.dieMessage(`${binary} is missing: install the Debian package "${pkg}" (scripts/setup-system.sh does it as root)`)

/** Fails (never skips) when not root. */
export const requireRoot = (why: string): Effect.Effect<void> =>
  process.getuid?.() === 0 ? Effect.void : Effect.dieMessage(`this test must run as root: ${why}`)

/** A free loopback TCP port (the kernel picks it). */
export const freeTcpPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port
      server.close(() => resolve(port))
    })
  })

/** A free loopback UDP port. */
export const freeUdpPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const socket = dgram.createSocket("udp4")
    socket.once("error", reject)
    socket.bind(0, "127.0.0.1", () => {
      const port = socket.address().port
      socket.close(() => resolve(port))
    })
  })

/** Poll `check` every 20 ms until it holds; fails with `what` after `timeoutMs`. */
export const waitFor = (what: string, check: () => boolean, timeoutMs = 20_000): Effect.Effect<void> =>
  Effect.promise(() =>
    new Promise<boolean>((resolve) => {
      const started = Date.now()
      const tick = () => {
        if (check()) return resolve(true)
        if (Date.now() - started > timeoutMs) return resolve(false)
        setTimeout(tick, 20)
      }
      tick()
    })
  ).pipe(Effect.flatMap((ok) => (ok ? Effect.void : Effect.dieMessage(`timed out after ${timeoutMs} ms waiting for ${what}`))))

/** Whether some socket listens on loopback TCP `port` (from /proc/net/tcp: state 0A is LISTEN). */
const tcpListening = (port: number): boolean => {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`
  return fs.readFileSync("/proc/net/tcp", "utf8").split("\n").some((line) => {
    const columns = line.trim().split(/\s+/)
    return columns[1] === local && columns[3] === "0A"
  })
}

/** The rsyslog template: every header field, `|`-separated, one record per line. */
export const FIELDS_TEMPLATE =
  "%pri%|%timereported:::date-rfc3339%|%hostname%|%app-name%|%procid%|%msgid%|%structured-data%|%msg%\\n"

export interface Rsyslog {
  readonly dir: string
  readonly udpPort: number
  readonly tcpPort: number
  readonly unixPath: string
  readonly output: string
  /** The output file's lines so far. */
  readonly lines: () => Array<string>
  /** SIGKILL the daemon and wait for it to exit. */
  readonly kill: Effect.Effect<void>
  /** Start it again on the same ports and paths. */
  readonly start: Effect.Effect<void>
}

const rsyslogConfig = (dir: string, udpPort: number, tcpPort: number, unixPath: string, output: string): string => `
global(workDirectory="${dir}" maxMessageSize="64k")
module(load="imudp")
module(load="imtcp")
module(load="imptcp")
template(name="fields" type="string" string="${FIELDS_TEMPLATE}")
input(type="imudp" address="127.0.0.1" port="${udpPort}" rcvBufSize="16m")
input(type="imtcp" address="127.0.0.1" port="${tcpPort}")
input(type="imptcp" path="${unixPath}" unlink="on")
*.* action(type="omfile" file="${output}" template="fields")
`

/** rsyslogd on free loopback UDP/TCP ports and a unix stream socket, writing to `output`. */
export const rsyslog: Effect.Effect<Rsyslog, never, Scope.Scope> = Effect.gen(function*() {
  yield* requireBinary(RSYSLOGD, "rsyslog")
  const dir = tempDir("logfiber-rsyslog-")
  const udpPort = yield* Effect.promise(freeUdpPort)
  const tcpPort = yield* Effect.promise(freeTcpPort)
  const unixPath = path.join(dir, "log.sock")
  const output = path.join(dir, "out.log")
  const conf = path.join(dir, "rsyslog.conf")
  fs.writeFileSync(conf, rsyslogConfig(dir, udpPort, tcpPort, unixPath, output))
  let child: cp.ChildProcess | undefined
  let stderr = ""
  const kill = Effect.promise(() =>
    new Promise<void>((resolve) => {
      const running = child
      child = undefined
      if (running === undefined || running.exitCode !== null || running.signalCode !== null) return resolve()
      running.once("exit", () => resolve())
      running.kill("SIGKILL")
    })
  )
  const listening = () => tcpListening(tcpPort) && fs.existsSync(unixPath)
  const start = Effect.gen(function*() {
    child = cp.spawn(RSYSLOGD, ["-n", "-f", conf, "-i", path.join(dir, "rsyslogd.pid")], { stdio: ["ignore", "ignore", "pipe"] })
    child.stderr?.on("data", (chunk) => (stderr += String(chunk)))
    const started = child
    yield* waitFor(`rsyslogd to listen on 127.0.0.1:${tcpPort} and ${unixPath} (stderr: ${stderr})`, () => {
      if (started.exitCode !== null) return true
      return listening()
    })
    if (started.exitCode !== null) return yield* Effect.dieMessage(`rsyslogd exited with ${started.exitCode}: ${stderr}`)
  })
  yield* Effect.acquireRelease(start, () => kill)
  return {
    dir,
    udpPort,
    tcpPort,
    unixPath,
    output,
    lines: () => {
      if (!fs.existsSync(output)) return []
      // the last element is "" or a line rsyslog is still writing
      return fs.readFileSync(output, "utf8").split("\n").slice(0, -1)
    },
    kill,
    start
  }
})

export interface Journald {
  readonly namespace: string
  /** The namespace's entries written by this process, as `journalctl -o json --all` shows them (without `--all`, values over 4 KiB show as null). */
  readonly entries: () => Array<Record<string, unknown>>
}

let namespaces = 0

/** systemd-journald run standalone in a fresh namespace, volatile storage; removed at the end. */
export const journald: Effect.Effect<Journald, never, Scope.Scope> = Effect.gen(function*() {
  yield* requireRoot("systemd-journald needs root to run standalone in a namespace")
  yield* requireBinary(JOURNALD, "systemd")
  yield* requireBinary("/usr/bin/journalctl", "systemd")
  if (!fs.existsSync("/etc/machine-id")) {
    return yield* Effect.dieMessage("/etc/machine-id is missing: systemd-journald and journalctl need it (systemd-machine-id-setup)")
  }
  const namespace = `logfiber${process.pid}n${namespaces++}`
  const conf = `/etc/systemd/journald@${namespace}.conf`
  const runDir = `/run/systemd/journal.${namespace}`
  const storage = `/run/log/journal/${fs.readFileSync("/etc/machine-id", "utf8").trim()}.${namespace}`
  let stderr = ""
  yield* Effect.acquireRelease(
    Effect.gen(function*() {
      fs.mkdirSync("/etc/systemd", { recursive: true })
      fs.mkdirSync("/run/systemd", { recursive: true })
      // volatile, and no rate limit: the tests send bursts
      fs.writeFileSync(conf, "[Journal]\nStorage=volatile\nRateLimitIntervalSec=0\nRateLimitBurst=0\n")
      const child = cp.spawn(JOURNALD, [namespace], { stdio: ["ignore", "ignore", "pipe"] })
      child.stderr?.on("data", (chunk) => (stderr += String(chunk)))
      yield* waitFor(`systemd-journald ${namespace} to create ${runDir}/socket (stderr: ${stderr})`, () =>
        child.exitCode !== null || fs.existsSync(`${runDir}/socket`))
      if (child.exitCode !== null) return yield* Effect.dieMessage(`systemd-journald exited with ${child.exitCode}: ${stderr}`)
      return child
    }),
    (child) =>
      Effect.promise(() =>
        new Promise<void>((resolve) => {
          const cleanup = () => {
            for (const p of [conf, runDir, storage]) fs.rmSync(p, { recursive: true, force: true })
            resolve()
          }
          if (child.exitCode !== null || child.signalCode !== null) return cleanup()
          child.once("exit", cleanup)
          child.kill("SIGTERM")
        })
      )
  )
  return {
    namespace,
    entries: () => {
      const out = cp.spawnSync("journalctl", [`--namespace=${namespace}`, "-o", "json", "--all", "--no-pager", `_PID=${process.pid}`], {
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024
      })
      return out.stdout.split("\n").filter((line) => line.length > 0).map((line) => JSON.parse(line) as Record<string, unknown>)
    }
  }
})
