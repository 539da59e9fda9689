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
import type { LogRecord } from "./LogRecord.js"
import { stringify, stringifyObject } from "./internal/safeJson.js"

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

/**
 * One JSON object per line:
 * `{"time":"<ISO-8601>","level":"INFO","fiber":"#12","seq":1,"message":"...",
 *   "fields":{...},"annotations":{...},"spans":{"label":ms},"cause":"..."}`.
 * `fields`, `annotations`, `spans` and `cause` appear only when non-empty.
 *
 * @since 0.1.0
 */
export const json: Format = (r) => {
  let line = "{\"time\":\"" + isoTime(r.time) +
    "\",\"level\":\"" + r.level +
    "\",\"fiber\":\"" + r.fiber +
    "\",\"seq\":" + r.seq +
    ",\"message\":" + JSON.stringify(r.message)
  if (hasKeys(r.fields)) line += ",\"fields\":" + stringifyObject(r.fields)
  if (hasKeys(r.annotations)) line += ",\"annotations\":" + stringifyObject(r.annotations)
  if (hasKeys(r.spans)) line += ",\"spans\":" + stringify(r.spans)
  if (r.cause !== undefined) line += ",\"cause\":" + JSON.stringify(r.cause)
  return line + "}"
}

// logfmt: bare values only when they hold no space, quote, equals sign or control character.
const BARE = /^[^\s"=\\\u0000-\u001f\u007f]+$/

const logfmtValue = (value: unknown): string => {
  const text = typeof value === "string" ? value : value === undefined ? "" : stringify(value)
  if (text.length > 0 && BARE.test(text)) return text
  return JSON.stringify(text)
}

const logfmtKey = (key: string): string => key.replace(/[\s"=\\\u0000-\u001f\u007f]/g, "_") || "_"

const logfmtPairs = (prefix: string, obj: Readonly<Record<string, unknown>>): string => {
  let out = ""
  for (const key in obj) out += " " + logfmtKey(prefix + key) + "=" + logfmtValue(obj[key])
  return out
}

/**
 * `key=value` pairs: `time=... level=info fiber=#12 seq=1 msg="..." <field>=... <annotation>=...
 * span.<label>=<ms>ms cause="..."`. Values with spaces, quotes, `=` or control characters are
 * double-quoted with JSON escapes, so a value can never start a new line.
 *
 * @since 0.1.0
 */
export const logfmt: Format = (r) => {
  let line = "time=" + isoTime(r.time) +
    " level=" + r.level.toLowerCase() +
    " fiber=" + r.fiber +
    " seq=" + r.seq +
    " msg=" + logfmtValue(r.message)
  line += logfmtPairs("", r.fields)
  line += logfmtPairs("", r.annotations)
  for (const label in r.spans) line += " span." + logfmtKey(label) + "=" + r.spans[label] + "ms"
  if (r.cause !== undefined) line += " cause=" + JSON.stringify(r.cause)
  return line
}
