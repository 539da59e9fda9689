/**
 * journald's stream transport (`/run/systemd/journal/stdout`, what services' stdout goes to):
 * a header naming the identifier, then one line per entry with a `<priority>` prefix. It
 * carries only MESSAGE and PRIORITY, so the other fields are folded into the message as JSON,
 * and a newline would start a new entry, so newlines in the message are written as `\n`.
 */
import type { LogRecord } from "../../LogRecord.js"
import { jsonText } from "../bytes.js"
import { severity } from "../syslog/priority.js"

/** The stream header: identifier, unit id, default priority, level prefix on, no forwarding. */
export const header = (identifier: string): Uint8Array =>
  Buffer.from(`${identifier.replace(/\n/g, " ")}\n\n6\n1\n0\n0\n0\n`, "utf8")

const folded = (record: LogRecord): string => {
  const extra: Record<string, unknown> = { seq: record.seq, fiber: record.fiber, ...record.annotations, ...record.fields }
  if (Object.keys(record.spans).length > 0) extra.spans = record.spans
  const message = record.cause === undefined ? record.message : `${record.message}\n${record.cause}`
  return `${message.replace(/\\/g, "\\\\").replace(/\r?\n/g, "\\n")} ${jsonText(extra)}`
}

/** The batch as lines for the stream socket. */
export const lines = (batch: ReadonlyArray<LogRecord>): Buffer => {
  let text = ""
  for (const record of batch) text += `<${severity(record.level)}>${folded(record)}\n`
  return Buffer.from(text, "utf8")
}
