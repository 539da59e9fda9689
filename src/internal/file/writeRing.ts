import type { Format } from "../../Format.js"
import type { LogRecord } from "../../LogRecord.js"
import { renderBatch } from "../lines.js"

/** Where a batch's bytes sit in the ring, to tell later whether they are still there. */
export interface Span {
  readonly lap: number
  readonly start: number
}

/**
 * The byte buffer each batch is encoded into (one encode call per batch, no new Buffer), used
 * as a ring: a batch goes after the previous one, back to the start when it does not fit. So
 * the bytes of the last few MiB written stay readable at no cost, which is what lets the file
 * sink write again the lines another process cut off (`copytruncate`'s race, see rotatingFile.ts).
 */
export class WriteRing {
  private readonly buffer: Buffer
  private position = 0
  private lap = 0

  constructor(readonly capacity = 4 * 1024 * 1024) {
    this.buffer = Buffer.allocUnsafe(capacity)
  }

  /** Render `batch` (one newline-terminated line per record); the bytes and where they sit. */
  render(format: Format, batch: ReadonlyArray<LogRecord>): { readonly bytes: Buffer; readonly span: Span } {
    const text = renderBatch(format, batch)
    // a UTF-16 code unit takes at most 3 bytes in UTF-8
    const worst = text.length * 3
    if (worst > this.capacity) return { bytes: Buffer.from(text, "utf8"), span: { lap: -1, start: 0 } }
    if (this.position + worst > this.capacity) {
      this.lap++
      this.position = 0
    }
    const start = this.position
    this.position += this.buffer.write(text, start, "utf8")
    return { bytes: this.buffer.subarray(start, this.position), span: { lap: this.lap, start } }
  }

  /** Are the bytes rendered at `span` still unchanged? */
  intact(span: Span): boolean {
    return span.lap === this.lap || (span.lap === this.lap - 1 && span.start >= this.position)
  }
}
