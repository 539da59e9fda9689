/**
 * A record as a systemd-journald entry in the native protocol: `NAME=value\n` per field, or
 * `NAME\n` + 64-bit little-endian length + bytes + `\n` for values with a newline or binary
 * data. Field names follow journald's rules: `A-Z`, `0-9`, `_`, no leading `_` or digit, at
 * most 64 characters.
 */
import type { LogRecord } from "../../LogRecord.js"
import { cutUtf8, jsonText } from "../bytes.js"
import { severity } from "../syslog/priority.js"

/** What every entry of one sink shares. */
export interface EntryOptions {
  readonly identifier: string
  readonly pid: string
}

/** One field: its journald name and its value. */
export type Field = readonly [name: string, value: string | Uint8Array]

/** The names logfiber sets itself; a record field that maps to one of them gets a `FIELD_` prefix. */
const OWN = new Set(["MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "SYSLOG_PID", "LOGFIBER_SEQ", "LOGFIBER_FIBER", "LOGFIBER_LEVEL", "LOGFIBER_TIME"])

/** A journald field name for `key`: upper case, other characters `_`, no leading `_`, never a leading digit, ≤ 64. */
export const fieldName = (key: string): string => {
  let name = key.toUpperCase().replace(/[^A-Z0-9_]/g, "_").replace(/^_+/, "")
  if (name === "") name = "FIELD"
  if (/^[0-9]/.test(name)) name = "F_" + name
  if (OWN.has(name)) name = "FIELD_" + name
  return name.slice(0, 64)
}

const valueOf = (value: unknown): string | Uint8Array =>
  typeof value === "string" || value instanceof Uint8Array ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : jsonText(value)

/** The fields of `record`: logfiber's own first, then annotations, fields and spans. */
export const fields = (options: EntryOptions, record: LogRecord): Array<Field> => {
  const out: Array<Field> = [
    ["MESSAGE", record.cause === undefined ? record.message : `${record.message}\n${record.cause}`],
    ["PRIORITY", String(severity(record.level))],
    ["SYSLOG_IDENTIFIER", options.identifier],
    ["SYSLOG_PID", options.pid],
    ["LOGFIBER_SEQ", String(record.seq)],
    ["LOGFIBER_FIBER", record.fiber],
    ["LOGFIBER_LEVEL", record.level],
    ["LOGFIBER_TIME", Number.isFinite(record.time) ? new Date(record.time).toISOString() : String(record.time)]
  ]
  for (const key in record.annotations) out.push([fieldName(key), valueOf(record.annotations[key])])
  for (const key in record.fields) out.push([fieldName(key), valueOf(record.fields[key])])
  for (const label in record.spans) out.push([fieldName("LOGFIBER_SPAN_" + label), `${record.spans[label]}ms`])
  return out
}

const bytesOf = (value: string | Uint8Array): Uint8Array => (typeof value === "string" ? Buffer.from(value, "utf8") : value)

/** A value needs the length-prefixed form when it has a newline (or is binary). */
const needsLength = (value: Uint8Array): boolean => value.includes(10)

const encodedSize = (name: string, value: Uint8Array): number => name.length + 1 + value.length + (needsLength(value) ? 9 : 1)

/** The entry as one datagram. */
export const encode = (entry: ReadonlyArray<Field>): Buffer => {
  const chunks: Array<Uint8Array> = []
  for (const [name, raw] of entry) {
    const value = bytesOf(raw)
    if (needsLength(value)) {
      const length = Buffer.alloc(8)
      length.writeBigUInt64LE(BigInt(value.length))
      chunks.push(Buffer.from(name + "\n"), length, value, Buffer.from("\n"))
    } else {
      chunks.push(Buffer.from(`${name}=`), value, Buffer.from("\n"))
    }
  }
  return Buffer.concat(chunks)
}

/**
 * `entry` cut to at most `max` encoded bytes: the largest values are cut first, each with the
 * visible `…[truncated N bytes]` marker (binary values are rendered as their byte count).
 * The result is never larger than `max` unless the field names alone are.
 */
export const fit = (entry: ReadonlyArray<Field>, max: number): Array<Field> => {
  const out = entry.map(([name, value]): [string, Uint8Array] => [name, bytesOf(value)])
  let total = out.reduce((sum, [name, value]) => sum + encodedSize(name, value), 0)
  for (let round = 0; round < out.length && total > max; round++) {
    let largest = 0
    for (let i = 1; i < out.length; i++) if (out[i]![1].length > out[largest]![1].length) largest = i
    const [name, value] = out[largest]!
    const text = typeof entry[largest]![1] === "string" ? value.toString() : `[${value.length} bytes of binary data]`
    const cut = Buffer.from(cutUtf8(text, Math.max(0, value.length - (total - max))), "utf8")
    total += encodedSize(name, cut) - encodedSize(name, value)
    out[largest] = [name, cut]
  }
  return out
}
