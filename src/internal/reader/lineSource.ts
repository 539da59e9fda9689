import * as fs from "node:fs"
import { StringDecoder } from "node:string_decoder"
import * as zlib from "node:zlib"

/** One line of an input file, with where it came from (for messages). */
export interface SourceLine {
  readonly text: string
  readonly file: string
  readonly lineNumber: number
}

/** What reading a file ended with, beyond its lines. */
export interface SourceEnd {
  /** The file could not be read (missing, unreadable, corrupt gzip): the reason. */
  error?: string
  /** The file ended without a newline: a line being written, or torn by a crash; skipped. */
  tornTail?: boolean
  /** Bytes of the uncompressed file consumed (where `--follow` carries on). */
  bytes: number
}

/** A read error, for a message. */
export const describe = (error: unknown): string => {
  const e = error as NodeJS.ErrnoException
  if (e.code === "ENOENT") return "no such file"
  if (e.code === "EACCES") return "permission denied"
  if (e.code === "EISDIR") return "is a directory"
  if (e.code === "Z_DATA_ERROR" || e.code === "Z_BUF_ERROR" || e.code === "Z_NEED_DICT") {
    return `corrupt gzip data (${e.message})`
  }
  return e.code !== undefined ? `${e.code}: ${e.message}` : String(error)
}

/**
 * Cuts a byte stream into lines. Only the newly decoded text is searched for newlines and an
 * unfinished line is kept as pieces, so a line of many chunks costs linear, not quadratic, time;
 * the decoder keeps a character cut by a chunk's end for the next chunk.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8")
  private pending: Array<string> = []
  /** Raw bytes after the last newline (a newline byte never occurs inside a UTF-8 sequence). */
  tailBytes = 0

  /** The lines `chunk` completes. */
  push(chunk: Buffer): Array<string> {
    const lastNewline = chunk.lastIndexOf(10)
    this.tailBytes = lastNewline === -1 ? this.tailBytes + chunk.length : chunk.length - lastNewline - 1
    const text = this.decoder.write(chunk)
    const lines: Array<string> = []
    let from = 0
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", from)) {
      const piece = text.slice(from, nl)
      if (this.pending.length === 0) lines.push(piece)
      else {
        this.pending.push(piece)
        lines.push(this.pending.join(""))
        this.pending = []
      }
      from = nl + 1
    }
    if (from < text.length) this.pending.push(text.slice(from))
    return lines
  }

  /** Whether bytes after the last newline are waiting for theirs. */
  get torn(): boolean {
    return this.tailBytes > 0
  }
}

/**
 * The whole lines of `file` (gunzipped when it ends in `.gz`), in file order; read through `fd`
 * when given (left open: `--follow` carries on with it). An unterminated last line is not
 * returned (`end.tornTail`); an error ends the lines and is put in `end.error`.
 */
export async function* readLines(file: string, end: SourceEnd, fd?: number): AsyncGenerator<SourceLine> {
  const splitter = new LineSplitter()
  let lineNumber = 0
  try {
    const raw = fs.createReadStream(file, { highWaterMark: 256 * 1024, ...(fd === undefined ? {} : { fd, autoClose: false, start: 0 }) })
    const stream = file.endsWith(".gz") ? raw.pipe(zlib.createGunzip()) : raw
    // a read error (ENOENT) is raised on the file stream, not on the gunzip stream it feeds
    if (stream !== raw) raw.on("error", (error) => stream.destroy(error))
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      end.bytes += chunk.length
      for (const text of splitter.push(chunk)) yield { text, file, lineNumber: ++lineNumber }
    }
  } catch (error) {
    end.error = describe(error)
    return
  }
  if (splitter.torn) {
    end.tornTail = true
    // not consumed: a follower reads these bytes again once their newline has arrived (counted
    // in raw bytes: the decoded text of a line torn inside a character is not the same length)
    end.bytes -= splitter.tailBytes
  }
}
