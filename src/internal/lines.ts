import type { Format } from "../Format.js"
import type { LogRecord } from "../LogRecord.js"

/** Render a batch into one string, one line per record, newline-terminated. */
export const renderBatch = (format: Format, batch: ReadonlyArray<LogRecord>): string => {
  let out = ""
  for (let i = 0; i < batch.length; i++) out += renderLine(format, batch[i]!) + "\n"
  return out
}

/** A format that throws must not lose the record: fall back to a minimal safe line. */
const renderLine = (format: Format, record: LogRecord): string => {
  try {
    const line = format(record)
    return line.includes("\n") || line.includes("\r") ? line.replace(/\r?\n|\r/g, "\\n") : line
  } catch (error) {
    return JSON.stringify({
      time: new Date(record.time).toISOString(),
      level: record.level,
      seq: record.seq,
      message: record.message,
      formatError: error instanceof Error ? error.message : String(error)
    })
  }
}
