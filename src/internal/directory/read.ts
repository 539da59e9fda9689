/**
 * Reading a `DirectorySink` directory back: every record file under it (subdirectories
 * included, temporary files left out), in time order (the names sort so), each decompressed and
 * decrypted as its name says. The reader (`logfiber cat`) parses each body as one record.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { gunzipSync } from "node:zlib"
import { decryptData, formatBlockError, type KeyRing } from "../encryption/file.js"
import { NAME_PATTERN } from "./naming.js"

/** One record file's text, or why it could not be read (naming the file and, if encrypted, the block). */
export type RecordFile =
  | { readonly _tag: "ok"; readonly file: string; readonly text: string }
  | { readonly _tag: "failed"; readonly file: string; readonly reason: string }

/** The record files under `dir`, sorted by name (time order), then by path. */
export const listRecordFiles = (dir: string): Array<string> => {
  const found: Array<{ readonly name: string; readonly full: string }> = []
  const walk = (at: string): void => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name)
      if (entry.isDirectory()) walk(full)
      else if (entry.isFile() && NAME_PATTERN.test(entry.name)) found.push({ name: entry.name, full })
    }
  }
  walk(dir)
  found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.full < b.full ? -1 : 1))
  return found.map((f) => f.full)
}

/** Whether a directory holds `DirectorySink` files (directly or in a group subdirectory). */
export const isRecordDirectory = (dir: string): boolean => listRecordFiles(dir).length > 0

/** Read one record file: `.enc` decrypted (one block), `.gz` decompressed. */
export const readRecordFile = (file: string, keys: KeyRing): RecordFile => {
  let data: Buffer
  try {
    data = fs.readFileSync(file)
  } catch (error) {
    return { _tag: "failed", file, reason: `${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` }
  }
  if (file.endsWith(".enc")) {
    const decrypted = decryptData(file, data, keys)
    const error = decrypted.errors[0]
    if (error !== undefined) return { _tag: "failed", file, reason: formatBlockError(error) }
    // compression before encryption is recorded in the block and already undone
    return { _tag: "ok", file, text: Buffer.concat(decrypted.blocks).toString("utf8") }
  }
  if (file.endsWith(".gz")) {
    try {
      data = gunzipSync(data)
    } catch (error) {
      return { _tag: "failed", file, reason: `${file}: corrupt gzip data (${(error as Error).message})` }
    }
  }
  return { _tag: "ok", file, text: data.toString("utf8") }
}

/** Every record file under `dir`, read in time order. */
export function* readDirectoryRecords(dir: string, keys: KeyRing = new Map()): Generator<RecordFile> {
  for (const file of listRecordFiles(dir)) yield readRecordFile(file, keys)
}
