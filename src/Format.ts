/**
 * Formats: pure functions from a `LogRecord` to one line of text (without the
 * trailing newline). Every text sink takes one; a user-defined format is just
 * a function of the same type.
 *
 * @example
 * ```ts
 * import { Format, FileSink } from "logfiber"
 * const short: Format.Format = (r) => `${r.level} ${r.message}`
 * FileSink.layer({ path: "logs/app.log", format: Format.logfmt })
 * FileSink.layer({ path: "logs/short.log", format: short })
 * ```
 *
 * @since 0.1.0
 */
import * as os from "node:os"
import type { LogRecord } from "./LogRecord.js"
import { markSingleLine } from "./internal/lines.js"
import { needsJsonEscape, numberJson, quoteJson, stringify, stringifyObject, toSafe } from "./internal/safeJson.js"

/** A format renders one record as one line (no trailing newline). @since 0.1.0 */
export type Format = (record: LogRecord) => string

// Records in a batch mostly share their millisecond: render the timestamp once per distinct value.
let lastTime = NaN
let lastIso = ""
/** ISO-8601 text of an epoch-millisecond time, cached for repeated values. @since 0.1.0 */
export const isoTime = (time: number): string => {
  if (time !== lastTime) {
    lastTime = time
    const date = new Date(time)
    lastIso = Number.isNaN(date.getTime()) ? "Invalid Date" : date.toISOString()
  }
  return lastIso
}

const hasKeys = (obj: object): boolean => {
  for (const _ in obj) return true
  return false
}

/** Text that may go between JSON quotes as is (fiber ids: `#12`), else its JSON escape. */
const jsonInner = (text: string): string => (needsJsonEscape(text) ? quoteJson(text).slice(1, -1) : text)

// Messages repeat ("request handled"): escape each distinct one once, with its key.
let lastMessage = ""
let lastMessageJson = ",\"message\":\"\""
const jsonMessage = (message: string): string => {
  if (message !== lastMessage) {
    lastMessage = message
    lastMessageJson = ",\"message\":" + quoteJson(message)
  }
  return lastMessageJson
}

// Records in a batch mostly share their millisecond, level and fiber: the line's head up to
// `"seq":` is built once per distinct triple (fewer strings for the young generation to collect).
let headTime = NaN
let headLevel = ""
let headFiber = ""
let head = ""
const jsonHead = (time: number, level: string, fiber: string): string => {
  if (time !== headTime || level !== headLevel || fiber !== headFiber) {
    headTime = time
    headLevel = level
    headFiber = fiber
    head = "{\"time\":\"" + isoTime(time) + "\",\"level\":\"" + jsonInner(level) + "\",\"fiber\":\"" +
      jsonInner(fiber) + "\",\"seq\":"
  }
  return head
}

/**
 * The trace context as pino's OpenTelemetry instrumentation writes it (and `json` too):
 * `,"trace_id":"<32 hex>","span_id":"<16 hex>","trace_flags":"01"` (`"00"` when not sampled).
 */
const traceJson = (r: LogRecord): string =>
  ",\"trace_id\":" + JSON.stringify(r.traceId) + ",\"span_id\":" + JSON.stringify(r.spanId ?? "") +
  ",\"trace_flags\":" + (r.traceSampled === false ? "\"00\"" : "\"01\"")

/**
 * One JSON object per line:
 * `{"time":"<ISO-8601>","level":"INFO","fiber":"#12","seq":1,"message":"...",
 *   "trace_id":"...","span_id":"...","trace_flags":"01",
 *   "fields":{...},"annotations":{...},"spans":{"label":ms},"cause":"..."}`.
 * `fields`, `annotations`, `spans` and `cause` appear only when non-empty; `trace_id`, `span_id`
 * and `trace_flags` only when the record was logged inside a span. Strings are JSON
 * escaped (no value can start a new line); values are rendered safely (cycles, BigInt, Errors...,
 * see README "Safety").
 *
 * @example
 * ```ts
 * Format.json(LogRecord.make({ message: "started", fields: { port: 8080 } }))
 * // {"time":"2024-05-01T10:00:00.000Z","level":"INFO","fiber":"#0","seq":0,"message":"started","fields":{"port":8080}}
 * ```
 * @since 0.1.0
 */
export const json: Format = markSingleLine((r) => {
  let line = jsonHead(r.time, r.level, r.fiber) + (Number.isFinite(r.seq) ? numberJson(r.seq) : "null") +
    jsonMessage(r.message)
  if (r.traceId !== undefined) line += traceJson(r)
  if (hasKeys(r.fields)) line += ",\"fields\":" + stringifyObject(r.fields)
  if (hasKeys(r.annotations)) line += ",\"annotations\":" + stringifyObject(r.annotations)
  if (hasKeys(r.spans)) line += ",\"spans\":" + stringify(r.spans)
  if (r.cause !== undefined) line += ",\"cause\":" + quoteJson(r.cause)
  return line + "}"
})

// ---------------------------------------------------------------------------------------------
// Text hygiene for the formats read by people and line-oriented tools (CWE-117)

/** Characters JSON.stringify leaves raw that terminals or tools may treat as line breaks or controls. */
const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029]/g
const hex4 = (c: string): string => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0")

/** `JSON.stringify` of a string, with DEL, C1 controls and U+2028/2029 escaped too. */
const quote = (text: string): string => {
  const quoted = JSON.stringify(text)
  JSON_UNSAFE.lastIndex = 0
  return JSON_UNSAFE.test(quoted) ? quoted.replace(JSON_UNSAFE, hex4) : quoted
}

/** Control characters, line separators and lone surrogates: escaped wherever text is written raw. */
const RAW_UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g
const ESCAPES: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" }

/** `text` with every control character escaped as `\n`, `\r`, `\t` or `\uXXXX`: it stays on one line. */
const escapeRaw = (text: string): string => {
  RAW_UNSAFE.lastIndex = 0
  return RAW_UNSAFE.test(text) ? text.replace(RAW_UNSAFE, (c) => ESCAPES[c] ?? hex4(c)) : text
}

/** ANSI escape sequences (CSI, OSC, and two-character escapes), as terminals interpret them. */
const ANSI =
  /[\u001b\u009b][[\]()#;?]*(?:(?:(?:(?:;[-a-zA-Z\d/#&.:=?%@~_]+)*|[a-zA-Z\d]+(?:;[-a-zA-Z\d/#&.:=?%@~_]*)*)?\u0007)|(?:(?:\d{1,4}(?:;\d{0,4})*)?[\dA-PR-TZcf-nq-uy=><~]))/g

/**
 * `text` without ANSI escape sequences (colors, cursor moves, titles, hyperlinks).
 *
 * @example
 * ```ts
 * Format.stripAnsi("\u001b[31mred\u001b[0m") // "red"
 * ```
 * @since 0.1.0
 */
export const stripAnsi = (text: string): string => {
  if (!text.includes("\u001b") && !text.includes("\u009b")) return text
  return text.replace(ANSI, "")
}

// ---------------------------------------------------------------------------------------------
// logfmt

// bare values only when they hold no space, quote, equals sign, backslash, control character or surrogate
const BARE = /^[^\s"=\\\u0000-\u001f\u007f-\u009f\u2028\u2029\ud800-\udfff]+$/

/**
 * Values whose safe rendering is a string (BigInt, Symbol, functions, Dates) are written as that
 * text in the key=value formats, not as a JSON string inside quotes (`n=10`, not `n="\"10\""`).
 */
const asText = (value: unknown): string | undefined => {
  if (typeof value === "string") return value
  if (typeof value === "bigint" || typeof value === "symbol" || typeof value === "function" || value instanceof Date) {
    const safe = toSafe(value)
    return typeof safe === "string" ? safe : undefined
  }
  return undefined
}

const logfmtValue = (value: unknown): string => {
  const text = asText(value) ?? (value === undefined ? "" : stringify(value))
  if (text.length > 0 && BARE.test(text)) return text
  return quote(text)
}

const logfmtKey = (key: string): string => key.replace(/[\s"=\\\u0000-\u001f\u007f-\u009f\ud800-\udfff]/g, "_") || "_"

const logfmtPairs = (prefix: string, obj: Readonly<Record<string, unknown>>): string => {
  let out = ""
  for (const key in obj) {
    const value = obj[key]
    if (value !== undefined) out += " " + logfmtKey(prefix + key) + "=" + logfmtValue(value)
  }
  return out
}

/**
 * logfmt: `key=value` pairs separated by spaces:
 * `time=<ISO-8601> level=info fiber=#12 seq=1 msg="..." trace=<trace id> span=<span id>
 * <field>=<value> <annotation>=<value> span.<label>=<ms>ms cause="..."` (`trace` and `span` only
 * inside a span).
 *
 * A value is written bare when it holds no space, `"`, `=`, `\` or control character;
 * otherwise it is double-quoted with JSON escapes (`\n`, `\"`, `\u001b`, ...), so a value can
 * never start a new line. Objects and arrays are written as quoted JSON. Characters in keys
 * that would break the pair are replaced by `_`.
 *
 * @example
 * ```ts
 * Format.logfmt(LogRecord.make({ message: "user login", fields: { user: "ada", ok: true } }))
 * // time=2024-05-01T10:00:00.000Z level=info fiber=#0 seq=0 msg="user login" user=ada ok=true
 * ```
 * @since 0.1.0
 */
export const logfmt: Format = markSingleLine((r) => {
  let line = "time=" + isoTime(r.time) +
    " level=" + r.level.toLowerCase() +
    " fiber=" + logfmtValue(r.fiber) +
    " seq=" + r.seq +
    " msg=" + logfmtValue(r.message)
  if (r.traceId !== undefined) line += " trace=" + logfmtValue(r.traceId) + " span=" + logfmtValue(r.spanId ?? "")
  line += logfmtPairs("", r.fields)
  line += logfmtPairs("", r.annotations)
  for (const label in r.spans) line += " span." + logfmtKey(label) + "=" + r.spans[label] + "ms"
  if (r.cause !== undefined) line += " cause=" + quote(r.cause)
  return line
})

// ---------------------------------------------------------------------------------------------
// pretty

/** Options of `prettyWith`. @since 0.1.0 */
export interface PrettyOptions {
  /** ANSI colors on level, time, keys and cause. */
  readonly colors: boolean
}

const SGR = (open: number, close: number) => (text: string): string => `\u001b[${open}m${text}\u001b[${close}m`
const dim = SGR(2, 22)
const cyan = SGR(36, 39)
const red = SGR(31, 39)
const LEVEL_COLORS: Readonly<Record<string, (text: string) => string>> = {
  TRACE: SGR(90, 39),
  DEBUG: SGR(34, 39),
  INFO: SGR(32, 39),
  WARN: SGR(33, 39),
  ERROR: red,
  FATAL: (text) => `\u001b[1;35m${text}\u001b[0m`
}
const plain = (text: string): string => text

// strings inside nested values lose their ANSI sequences before JSON escapes the rest
const stripAnsiReplacer = (_key: string, value: unknown): unknown =>
  typeof value === "string" ? stripAnsi(value) : value

const prettyValue = (value: unknown): string => {
  const plain = asText(value)
  if (plain !== undefined) {
    const text = stripAnsi(plain)
    return text.length > 0 && BARE.test(text) ? text : quote(text)
  }
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return stringify(value)
  try {
    return escapeRaw(JSON.stringify(toSafe(value), stripAnsiReplacer) ?? "null")
  } catch {
    return "\"[Unserializable]\""
  }
}

const prettyKey = (key: string): string => escapeRaw(stripAnsi(key)).replace(/[\s=]/g, "_") || "_"

/**
 * A `pretty` format with colors on or off, for a stream other than standard output or a
 * choice of your own.
 *
 * @example
 * ```ts
 * ConsoleSink.layer({ stream: "stderr", format: Format.prettyWith({ colors: process.stderr.isTTY === true }) })
 * ```
 * @since 0.1.0
 */
export const prettyWith = (options: PrettyOptions): Format => {
  const color = options.colors ? (f: (text: string) => string) => f : () => plain
  const dimmed = color(dim)
  const keyed = color(cyan)
  const causeColor = color(red)
  const levelColor = (level: string) => options.colors ? (LEVEL_COLORS[level] ?? plain) : plain
  const pairs = (obj: Readonly<Record<string, unknown>>): string => {
    let out = ""
    for (const key in obj) {
      const value = obj[key]
      if (value !== undefined) out += " " + keyed(prettyKey(key) + "=") + prettyValue(value)
    }
    return out
  }
  return markSingleLine((r) => {
    let line = dimmed(isoTime(r.time)) + " " + levelColor(r.level)(r.level.padEnd(5)) + " " +
      dimmed(prettyKey(r.fiber)) + " " + escapeRaw(stripAnsi(r.message))
    if (r.traceId !== undefined) line += " " + dimmed("trace=" + prettyValue(r.traceId) + " span=" + prettyValue(r.spanId ?? ""))
    line += pairs(r.fields)
    line += pairs(r.annotations)
    let spans = ""
    for (const label in r.spans) spans += (spans.length > 0 ? " " : "") + prettyKey(label) + "=" + r.spans[label] + "ms"
    if (spans.length > 0) line += " " + dimmed("(" + spans + ")")
    if (r.cause !== undefined) line += " " + causeColor("cause:") + " " + escapeRaw(stripAnsi(r.cause))
    return line
  })
}

/**
 * Whether `Format.pretty` colors its output: not when `NO_COLOR` is set (non-empty), yes when
 * `FORCE_COLOR` is set (and not `0`), otherwise when the stream (standard output by default)
 * is a terminal.
 *
 * @example
 * ```ts
 * Format.prettyWith({ colors: Format.colorsByDefault(process.env, process.stderr.isTTY) })
 * ```
 * @since 0.1.0
 */
export const colorsByDefault = (
  env: Readonly<Record<string, string | undefined>> = process.env,
  isTTY: boolean | undefined = process.stdout.isTTY
): boolean => {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true
  return isTTY === true
}

let defaultPretty: Format | undefined

/**
 * For a person at a terminal:
 * `<ISO time> <LEVEL> <fiber> <message> trace=<id> span=<id> key=value ... (span=12ms) cause: <cause>`
 * (`trace` and `span` only inside a span), level
 * colored, time and fiber dimmed, keys cyan. Colors are decided once, on first use, by
 * `colorsByDefault()` (standard output a TTY, `NO_COLOR`, `FORCE_COLOR`); use `prettyWith`
 * to choose. ANSI escapes in messages and values are stripped, and control characters are
 * escaped (a multi-line cause shows as `\n`), so a record is always one line.
 *
 * @example
 * ```ts
 * const LogLive = AsyncLogger.layer({ minimumLevel: "Debug" }).pipe(
 *   Layer.provide(ConsoleSink.layer({ format: Format.pretty }))
 * )
 * ```
 * @since 0.1.0
 */
export const pretty: Format = markSingleLine((r) => (defaultPretty ??= prettyWith({ colors: colorsByDefault() }))(r))

// ---------------------------------------------------------------------------------------------
// pino

/** pino's numeric levels. */
const PINO_LEVELS: Readonly<Record<string, number>> = {
  ALL: 10,
  TRACE: 10,
  DEBUG: 20,
  INFO: 30,
  WARN: 40,
  ERROR: 50,
  FATAL: 60,
  OFF: 60
}

/**
 * Keys pino's line owns (and logfiber's own additions): fields and annotations that use them get a
 * `_` prefix. `err` is the user's when the record has no cause (pino's `logger.error({ err })`).
 */
const PINO_RESERVED = new Set(["level", "time", "pid", "hostname", "msg", "fiber", "seq", "spans"])

/** pino's error shape (pino-std-serializers): `type` for the name, then message, stack, own fields. */
const pinoErr = (value: unknown): string => {
  const safe = toSafe(value)
  if (safe === null || typeof safe !== "object" || Array.isArray(safe) || typeof (safe as { message?: unknown }).message !== "string") {
    return stringify(safe)
  }
  const { name, ...rest } = safe as Record<string, unknown>
  return stringify({ type: typeof name === "string" ? name : "Error", ...rest })
}

/** An error's header line (`TypeError: bad input`) as pino's type and message. */
const ERROR_HEADER = /^([\w$.]+): /
const headerOf = (block: string): { readonly type: string; readonly message: string } => {
  const firstLine = block.split("\n", 1)[0] ?? ""
  const header = ERROR_HEADER.exec(firstLine)
  return header === null
    ? { type: "Error", message: firstLine }
    : { type: header[1]!, message: firstLine.slice(header[0].length) }
}

/**
 * The record's cause as pino's `err`: one error's type and message, or, for a cause with several
 * (a parallel one: blank-line separated blocks that each start with an error header),
 * `AggregateError` and every message joined with "; ". `stack` is the whole rendered cause.
 */
const pinoCause = (cause: string): string => {
  const blocks: Array<string> = []
  for (const block of cause.split("\n\n")) {
    if (blocks.length > 0 && !ERROR_HEADER.test(block) && !block.startsWith("Interrupted by fiber")) {
      blocks[blocks.length - 1] += "\n\n" + block // a blank line inside one error's message
    } else blocks.push(block)
  }
  const headers = blocks.map(headerOf)
  const type = headers.length === 1 ? headers[0]!.type : "AggregateError"
  const message = headers.map((h) => h.message).join("; ")
  return ",\"err\":{\"type\":" + quoteJson(type) + ",\"message\":" + quoteJson(message) +
    ",\"stack\":" + quoteJson(cause) + "}"
}

const pinoHead = `,"pid":${process.pid},"hostname":${quoteJson(os.hostname())}`

/** Keys the trace context takes in a record logged inside a span. */
const PINO_TRACE_KEYS = new Set(["trace_id", "span_id", "trace_flags"])

const pinoPairs = (
  obj: Readonly<Record<string, unknown>>,
  skip: Readonly<Record<string, unknown>> | undefined,
  traced: boolean,
  hasCause: boolean
): string => {
  let out = ""
  for (const key in obj) {
    if (skip !== undefined && key in skip) continue
    const value = obj[key]
    if (value === undefined) continue
    if (key === "err") {
      // the cause takes `err` when there is one
      out += hasCause ? ",\"_err\":" + stringify(value) : ",\"err\":" + pinoErr(value)
      continue
    }
    const reserved = PINO_RESERVED.has(key) || (traced && PINO_TRACE_KEYS.has(key))
    out += "," + quoteJson(reserved ? "_" + key : key) + ":" + stringify(value)
  }
  return out
}

/**
 * pino's line shape, so pino-pretty and other pino tooling read it:
 * `{"level":30,"time":<epoch ms>,"pid":..,"hostname":"..","msg":"..","trace_id":"..","span_id":"..",
 * "trace_flags":"01",<annotations>,<fields>,
 * "fiber":"#12","seq":1,"spans":{..},"err":{"type":"Error","message":"..","stack":"<cause>"}}`.
 * Levels are pino's numbers (trace 10, debug 20, info 30, warn 40, error 50, fatal 60).
 * Fields and annotations are merged at the top level (a field wins over an annotation with the
 * same key); one named like a core key (`level`, `time`, `pid`, `hostname`, `msg`, `fiber`,
 * `seq`, `spans`, and inside a span `trace_id`, `span_id`, `trace_flags`) is written with a `_`
 * prefix (`_level`); the trace keys are those of `@opentelemetry/instrumentation-pino`. A field
 * `err` stays `err`, in pino's error shape (`{"type","message","stack",...}`), unless the record
 * has a cause: the cause is `err` then (a cause with several errors: `"type":"AggregateError"`,
 * every message) and the field `_err`.
 *
 * @example
 * ```sh
 * node app.js | npx pino-pretty
 * ```
 * @since 0.1.0
 */
export const pino: Format = markSingleLine((r) => {
  let line = "{\"level\":" + (PINO_LEVELS[r.level] ?? 30) +
    ",\"time\":" + (Number.isFinite(r.time) ? r.time : "null") + pinoHead +
    ",\"msg\":" + quoteJson(r.message)
  const traced = r.traceId !== undefined
  const hasCause = r.cause !== undefined
  if (traced) line += traceJson(r)
  if (hasKeys(r.annotations)) line += pinoPairs(r.annotations, hasKeys(r.fields) ? r.fields : undefined, traced, hasCause)
  if (hasKeys(r.fields)) line += pinoPairs(r.fields, undefined, traced, hasCause)
  line += ",\"fiber\":" + quoteJson(r.fiber) + ",\"seq\":" + (Number.isFinite(r.seq) ? numberJson(r.seq) : "null")
  if (hasKeys(r.spans)) line += ",\"spans\":" + stringify(r.spans)
  if (r.cause !== undefined) line += pinoCause(r.cause)
  return line + "}"
})
