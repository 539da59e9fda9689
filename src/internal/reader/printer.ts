/** The output side of `logfiber cat`: filters records and prints them in the chosen format. */
import * as Format from "../../Format.js"
import type { LogRecord } from "../../LogRecord.js"
import { type CatOptions, levelRank } from "./args.js"

/** Where `cat` prints: records to `out` (awaited, for back-pressure), messages to `err`. */
export interface CatIO {
  readonly out: (text: string) => Promise<void>
  readonly err: (text: string) => void
  /** Ends `--follow`. */
  readonly signal?: AbortSignal | undefined
  readonly now?: number | undefined
  /** `--follow`'s polling period; default 200 ms. */
  readonly pollMillis?: number | undefined
  /** Where `--key-env` variables are looked up; default `process.env`. */
  readonly env?: NodeJS.ProcessEnv | undefined
}

/** Filters and prints records, buffered; remembers whether anything could not be read. */
export class Printer {
  private buffered = ""
  failed = false
  constructor(readonly options: CatOptions, readonly io: CatIO) {}

  report(text: string, failure = true): void {
    if (failure) this.failed = true
    this.io.err(`logfiber cat: ${text}\n`)
  }

  async print(record: LogRecord, text: string, native: boolean): Promise<void> {
    const o = this.options
    if (o.level >= 0 && levelRank(record.level) < o.level) return
    if (record.time < o.since || record.time >= o.until) return
    if ((o.since !== -Infinity || o.until !== Infinity) && Number.isNaN(record.time)) return
    if (o.grep !== undefined && !o.grep.test(text)) return
    this.buffered += (o.format === "json" && native ? text : Format[o.format](record)) + "\n"
    if (this.buffered.length >= 64 * 1024) await this.flush()
  }

  async flush(): Promise<void> {
    if (this.buffered.length === 0) return
    const text = this.buffered
    this.buffered = ""
    await this.io.out(text)
  }
}

