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
 * The whole lines of `file` (gunzipped when it ends in `.gz`), in file order. An unterminated
 * last line is not returned (`end.tornTail`); an error ends the lines and is put in `end.error`.
 */
export async function* readLines(file: string, end: SourceEnd, start = 0): AsyncGenerator<SourceLine> {
  const decoder = new StringDecoder("utf8")
  let pending = ""
  let lineNumber = 0
  try {
    const raw = fs.createReadStream(file, { start, highWaterMark: 256 * 1024 })
    const stream = file.endsWith(".gz") ? raw.pipe(zlib.createGunzip()) : raw
    // a read error (ENOENT) is raised on the file stream, not on the gunzip stream it feeds
    if (stream !== raw) raw.on("error", (error) => stream.destroy(error))
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      end.bytes += chunk.length
      const text = pending + decoder.write(chunk)
      let from = 0
      for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", from)) {
        yield { text: text.slice(from, nl), file, lineNumber: ++lineNumber }
        from = nl + 1
      }
      pending = text.slice(from)
    }
    pending += decoder.end()
  } catch (error) {
    end.error = describe(error)
    return
  }
  if (pending.length > 0) {
    end.tornTail = true
    // not consumed: a follower reads it again once its newline has arrived
    end.bytes -= Buffer.byteLength(pending)
  }
}
