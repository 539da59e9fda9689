/**
 * RFC 5424 STRUCTURED-DATA from a record: `[meta sequenceId="…"]` (the IANA-registered
 * element) and one element of ours with the fiber, the annotations, the fields and the spans.
 */
import type { LogRecord } from "../../LogRecord.js"
import { jsonText } from "../bytes.js"

/** The SD-ID of logfiber's element; 32473 is the private enterprise number RFC 5612 sets aside for examples. */
export const DEFAULT_SD_ID = "logfiber@32473"

/**
 * An SD-NAME: printable US-ASCII except `=`, space, `]` and `"` (others become `_`),
 * at most 32 characters, never empty.
 */
export const sdName = (name: string): string => {
  let out = ""
  for (let i = 0; i < name.length && out.length < 32; i++) {
    const c = name.charCodeAt(i)
    out += c > 32 && c < 127 && c !== 61 && c !== 93 && c !== 34 ? name[i] : "_"
  }
  return out.length === 0 ? "_" : out
}

/** A PARAM-VALUE: `"`, `\` and `]` escaped with a backslash (RFC 5424 §6.3.3). */
export const sdValue = (value: string): string => value.replace(/["\\\]]/g, "\\$&")

const valueText = (value: unknown): string =>
  typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : jsonText(value)

const params = (entries: Readonly<Record<string, unknown>>, prefix = ""): string => {
  let out = ""
  for (const key in entries) {
    out += ` ${sdName(prefix + key)}="${sdValue(valueText(entries[key]))}"`
  }
  return out
}

/** The STRUCTURED-DATA text of `record`; `sdId` names logfiber's element. */
export const structuredData = (record: LogRecord, sdId: string): string => {
  // sequenceId is 1..2147483647 and wraps (RFC 5424 §7.3.1)
  const meta = record.seq >= 1 ? `[meta sequenceId="${((record.seq - 1) % 2147483647) + 1}"]` : ""
  const spans: Record<string, unknown> = {}
  for (const label in record.spans) spans[label] = `${record.spans[label]}ms`
  return `${meta}[${sdId} fiber="${sdValue(record.fiber)}"${params(record.annotations)}${params(record.fields)}${
    params(spans, "span.")
  }]`
}
