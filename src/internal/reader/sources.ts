/**
 * The inputs `logfiber cat` reads besides plain and gzipped line files: a `DirectorySink`
 * directory (every record file under it, one source, in name order = time order) and files
 * encrypted by `FileSink` (detected by their magic bytes, decrypted block by block with the keys
 * of `--key-env`). Both yield the same `SourceLine`s as `readLines`, so the merge, the filters
 * and the output formats are the ones of line files.
 */
import * as fs from "node:fs"
import { listRecordFiles, readRecordFile } from "../directory/read.js"
import { decryptData, formatBlockError, type KeyRing } from "../encryption/file.js"
import { isEncrypted } from "../encryption/frame.js"
import { decodeBase64Key, fingerprint } from "../encryption/key.js"
import type { FollowedHandle } from "./follow.js"
import type { SourceEnd, SourceLine } from "./lineSource.js"

/**
 * Something to read: a line file (with `--follow`, an active one is opened beforehand and read
 * through that descriptor), an encrypted line file, or the record files of a directory.
 */
export type Source =
  | { readonly _tag: "lines"; readonly file: string; readonly followed?: FollowedHandle | undefined }
  | { readonly _tag: "encrypted"; readonly file: string }
  | { readonly _tag: "records"; readonly file: string; readonly files: ReadonlyArray<string> }

/** Whether a file starts with the encrypted block magic (read errors: not encrypted, reported later). */
export const startsEncrypted = (file: string): boolean => {
  let fd: number | undefined
  try {
    fd = fs.openSync(file, "r")
    const head = Buffer.alloc(4)
    return fs.readSync(fd, head, 0, 4, 0) === 4 && isEncrypted(head)
  } catch {
    return false
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}

/** A directory's `DirectorySink` files (subdirectories included), or undefined if it has none. */
export const recordSource = (dir: string): Source | undefined => {
  const files = listRecordFiles(dir)
  return files.length === 0 ? undefined : { _tag: "records", file: dir, files }
}

/** The record files' bodies as compact JSON lines, in time order; unreadable files reported. */
export async function* readRecordFiles(
  files: ReadonlyArray<string>,
  keys: KeyRing,
  end: SourceEnd,
  report: (message: string) => void
): AsyncGenerator<SourceLine> {
  for (const file of files) {
    const read = readRecordFile(file, keys)
    if (read._tag === "failed") {
      report(`${read.reason}; skipped`)
      continue
    }
    end.bytes += read.text.length
    let text = read.text
    try {
      // pretty-printed bodies become one line (same keys, same order as Format.json wrote them)
      text = JSON.stringify(JSON.parse(read.text))
    } catch {
      // not JSON (a line format): printed as its own line(s) by the caller's parser, or reported
    }
    yield { text, file, lineNumber: 1 }
  }
}

/** The lines of an encrypted file; each block that cannot be read is reported (file, block, why). */
export async function* readEncryptedLines(
  file: string,
  keys: KeyRing,
  end: SourceEnd,
  report: (message: string) => void
): AsyncGenerator<SourceLine> {
  let data: Buffer
  try {
    data = await fs.promises.readFile(file)
  } catch (error) {
    end.error = (error as NodeJS.ErrnoException).code ?? String(error)
    return
  }
  const decrypted = decryptData(file, data, keys)
  for (const error of decrypted.errors) report(`${formatBlockError(error)}; the other blocks are printed`)
  end.bytes = data.length
  let lineNumber = 0
  for (const block of decrypted.blocks) {
    const text = block.toString("utf8")
    let from = 0
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", from)) {
      yield { text: text.slice(from, nl), file, lineNumber: ++lineNumber }
      from = nl + 1
    }
  }
}

/**
 * The keys of `--key-env NAME` or `--key-env NAME=KEYID` (the id, when the writer set one;
 * default the key's fingerprint). Throws a message naming the variable, never its value.
 */
export const keysFromEnv = (specs: ReadonlyArray<string>, env: NodeJS.ProcessEnv): KeyRing => {
  const keys = new Map<string, Uint8Array>()
  for (const spec of specs) {
    const eq = spec.indexOf("=")
    const name = eq === -1 ? spec : spec.slice(0, eq)
    const value = env[name]
    if (value === undefined || value.length === 0) throw new Error(`--key-env ${name}: the variable is not set`)
    const key = decodeBase64Key(value)
    if (typeof key === "string") throw new Error(`--key-env ${name}: ${key}`)
    keys.set(eq === -1 ? fingerprint(key) : spec.slice(eq + 1), key)
  }
  return keys
}
