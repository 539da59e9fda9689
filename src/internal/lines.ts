import type { LogRecord } from "../LogRecord.js"
import { escapeLineSeparators } from "./safeJson.js"

/** A line format (`Format.Format`), named here so that this module does not import `Format.ts`. */
type Format = (record: LogRecord) => string

/** Render a batch into one string, one line per record, newline-terminated. */
export const renderBatch = (format: Format, batch: ReadonlyArray<LogRecord>): string => {
  let out = ""
  for (let i = 0; i < batch.length; i++) out += renderLine(format, batch[i]!) + "\n"
  return out
}

/**
 * A reusable byte buffer that each batch is UTF-8 encoded into (no new Buffer per batch).
 * It grows to fit the largest batch and gives memory back after an unusually large one.
 */
export class LineBuffer {
  private buffer: Buffer
  length = 0

  constructor(private readonly initialSize = 256 * 1024, private readonly keepSize = 8 * 1024 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialSize)
  }

  /** Render `batch` (one line per record, newline-terminated); returns the bytes to write. */
  render(format: Format, batch: ReadonlyArray<LogRecord>): Buffer {
    // one encode call per batch: Buffer#write's per-call overhead was ~0.1 us per line
    this.length = 0
    this.append(renderBatch(format, batch))
    return this.buffer.subarray(0, this.length)
  }

  /** Forget the content; shrink if the last batch made the buffer unusually large. */
  reset(): void {
    this.length = 0
    if (this.buffer.length > this.keepSize) this.buffer = Buffer.allocUnsafe(this.initialSize)
  }

  private append(text: string): void {
    // a UTF-16 code unit takes at most 3 bytes in UTF-8
    const worst = text.length * 3
    if (this.buffer.length - this.length < worst) this.grow(this.length + worst)
    this.length += this.buffer.write(text, this.length, "utf8")
  }

  private grow(needed: number): void {
    let size = this.buffer.length * 2
    while (size < needed) size *= 2
    const next = Buffer.allocUnsafe(size)
    this.buffer.copy(next, 0, 0, this.length)
    this.buffer = next
  }
}

/** Formats known to escape every line break themselves (the built-in ones, property-tested). */
const singleLine = new WeakSet<Format>()

/** Mark a format whose output never holds `\n` or `\r`: its lines skip the re-check. */
export const markSingleLine = <F extends Format>(format: F): F => {
  singleLine.add(format)
  return format
}

/** A format that throws must not lose the record: fall back to a minimal safe line. */
const renderLine = (format: Format, record: LogRecord): string => {
  try {
    const line = format(record)
    if (singleLine.has(format)) return line
    // a user-defined format must not be able to start a second record (CWE-117)
    return line.includes("\n") || line.includes("\r") ? line.replace(/\r?\n|\r/g, "\\n") : line
  } catch (error) {
    return escapeLineSeparators(JSON.stringify({
      time: new Date(record.time).toISOString(),
      level: record.level,
      seq: record.seq,
      message: record.message,
      formatError: error instanceof Error ? error.message : String(error)
    }))
  }
}
