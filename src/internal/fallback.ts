/**
 * Where a record goes when it cannot take the normal path (queue -> writer -> sink.write):
 * a critical record on a full queue, a record logged while the Layer shuts down or after it
 * closed, and every record in `mode: "sync"`. It is written on the caller's fiber through the
 * sink's `writeSync` (`mode: "sync"` requires one); failing that it goes to stderr.
 * Counting: `written` only when the sink accepted it, `failed` when the sink refused it,
 * `fallback` when the sink could not be asked (closed, or no synchronous write).
 */
import * as Cause from "effect/Cause"
import * as Option from "effect/Option"
import * as Format from "../Format.js"
import type { LogRecord } from "../LogRecord.js"
import type { LogSinkService } from "../LogSink.js"
import type { Accounting } from "./accounting.js"
import { renderBatch } from "./lines.js"
import type { LogCall as Captured, Normalize } from "./normalize.js"
import type { RingBuffer } from "./ringBuffer.js"
import { thrownText } from "./errorText.js"
import { isFanOut } from "./fanOut.js"
import { writeStderr } from "./stderr.js"

/** The first line of a failure, for a one-line report. */
export const failureReason = (cause: Cause.Cause<unknown>): string => {
  try {
    const failure = Cause.failureOption(cause)
    if (Option.isSome(failure)) {
      const error = failure.value
      return error instanceof Error ? String(error.message) : String(error)
    }
    return Cause.pretty(cause).split("\n")[0] ?? "defect"
  } catch {
    return "[unrenderable failure]"
  }
}

/** The message of a call whose values could not be read: its text when it has one, as logged. */
const plainMessage = (message: unknown): string => {
  try {
    const first: unknown = Array.isArray(message) ? message[0] : message
    return typeof first === "string" ? first : ""
  } catch {
    return "" // a Proxy's trap
  }
}

/** Report on stderr, with the records (as JSON lines) that did not reach the sink. */
export const toStderr = (records: ReadonlyArray<LogRecord>, why: string): void => {
  writeStderr(`logfiber: ${why}\n` + (records.length > 0 ? renderBatch(Format.json, records) : ""))
}

/** Normalize a record; a throwing normalizer still gives a record, never a lost one. */
export const guardNormalize = (normalize: Normalize) => (captured: Captured, seq: number): LogRecord => {
  try {
    return normalize(captured, seq)
  } catch (error) {
    return {
      seq,
      time: Date.now(),
      level: captured.logLevel.label,
      message: plainMessage(captured.message),
      fields: { error: `[logfiber: record could not be normalized] ${thrownText(error)}` },
      annotations: {},
      spans: {},
      fiber: "#?",
      cause: undefined
    }
  }
}

export class Fallback {
  /** Set once the Layer's finalizer has run: the sink may be closed, so records go to stderr. */
  closed = false

  constructor(
    private readonly sink: LogSinkService,
    private readonly accounting: Accounting,
    private readonly normalize: (captured: Captured, seq: number) => LogRecord
  ) {}

  /** Write one record now, on the caller's fiber. */
  writeNow(captured: Captured, seq: number): void {
    this.writeBatch([this.normalize(captured, seq)], undefined)
  }

  /**
   * Write `before` (records already normalized: a batch the writer held at exit), everything
   * queued, then `captured` if given, in one synchronous sink write, now (`durability:
   * "critical-sync"`, and the process's `exit` event). Without `writeSync`, or once closed, the
   * records go to stderr and count as `fallback`. Bounded: at most a batch + the queue's capacity + 1.
   */
  drainNow(queue: RingBuffer<Captured>, before: ReadonlyArray<LogRecord> = [], captured?: Captured, seq?: number): void {
    const batch: Array<LogRecord> = [...before]
    queue.drainInto(queue.size, (item, itemSeq) => void batch.push(this.normalize(item, itemSeq)))
    if (captured !== undefined && seq !== undefined) batch.push(this.normalize(captured, seq))
    if (batch.length === 0) {
      // nothing of the logger's, but a fan-out may still hold batches queued for a slow sink
      if (!this.closed && this.sink.writeSync !== undefined && isFanOut(this.sink)) {
        try {
          this.sink.writeSync([])
        } catch {
          // counted per sink by the fan-out
        }
      }
      return
    }
    this.writeBatch(batch, `sink ${this.sink.name} cannot write synchronously; ${batch.length} record(s) follow`)
  }

  /**
   * Through the sink's `writeSync` (counted `written`, or `failed` and echoed on stderr), else to
   * stderr, counted `fallback`, after `header` when given (a single record goes as a bare line).
   */
  private writeBatch(batch: ReadonlyArray<LogRecord>, header: string | undefined): void {
    const sink = this.sink
    if (!this.closed && sink.writeSync !== undefined) {
      try {
        sink.writeSync(batch)
        this.accounting.written += batch.length
      } catch (error) {
        this.accounting.failed += batch.length
        const count = batch.length === 1 ? "1 record follows" : `${batch.length} record(s) follow`
        toStderr(batch, `sink ${sink.name} failed a synchronous write (${String(error)}); ${count}`)
      }
      return
    }
    this.accounting.fallback += batch.length
    if (header === undefined) writeStderr(renderBatch(Format.json, batch))
    else toStderr(batch, header)
  }
}
