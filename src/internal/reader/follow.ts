/**
 * `--follow`. A followed file is read through the descriptor opened for the first pass, so
 * nothing written to it is missed however long that pass takes. When its path names a new file
 * (rotation), the rest of the old file is read through the descriptor, then the rotated files
 * made since (`naming.ts`: numbered after the old file's own, `.gz` ones decompressed), in
 * order, then the new active file: several rotations between two polls lose nothing.
 */
import * as fs from "node:fs"
import { setTimeout as sleep } from "node:timers/promises"
import * as zlib from "node:zlib"
import { type Naming, naming, type RotatedName, scan } from "../file/naming.js"
import { LineSplitter, readLines, type SourceEnd } from "./lineSource.js"
import type { CatIO, Printer } from "./printer.js"
import { parseLine } from "./record.js"

/** An open active file, and where its rotated predecessors end. */
export interface FollowedHandle {
  readonly fd: number
  readonly ino: number
  /**
   * Rotated files of the path numbered up to this came before the open file; the open file, once
   * rotated, is the first numbered above it.
   */
  readonly rotatedThrough: number
}

/** A followed file: the handle, and how far it has been read. */
export interface FollowStart extends FollowedHandle {
  readonly file: string
  readonly position: number
}

interface Followed {
  readonly file: string
  readonly names: Naming
  fd: number | undefined
  ino: number
  position: number
  rotatedThrough: number
  splitter: LineSplitter
}

/** A rotated file's number with the forms it is on disk as (raw, compressed, or both briefly). */
interface RotatedFile {
  readonly n: number
  readonly raw: string | undefined
  readonly gz: string | undefined
}

const inodeOf = (file: string): number | undefined => {
  try {
    return fs.statSync(file).ino
  } catch {
    return undefined
  }
}

const highest = (listed: ReadonlyArray<RotatedName>): number => listed.reduce((n, f) => Math.max(n, f.n), 0)

/** The rotated files numbered above `after`, oldest first (compressions in progress as their raw file). */
const rotatedAfter = (names: Naming, listed: ReadonlyArray<RotatedName>, after: number): Array<RotatedFile> => {
  const byNumber = new Map<number, { raw?: string; gz?: string }>()
  for (const f of listed) {
    if (f.n <= after || f.kind === "tmp") continue
    const entry = byNumber.get(f.n) ?? {}
    entry[f.kind] = `${names.dir}/${f.entry}`
    byNumber.set(f.n, entry)
  }
  return [...byNumber].sort(([a], [b]) => a - b).map(([n, { gz, raw }]) => ({ n, raw, gz }))
}

/** The first `length` bytes of a file (decompressed for `.gz`); what could be read on an error. */
const headOf = (file: string, length: number): Buffer => {
  try {
    if (!file.endsWith(".gz")) {
      const fd = fs.openSync(file, "r")
      try {
        const head = Buffer.alloc(length)
        return head.subarray(0, fs.readSync(fd, head, 0, length, 0))
      } finally {
        fs.closeSync(fd)
      }
    }
    // a prefix of the compressed data is enough for a prefix of the text
    const fd = fs.openSync(file, "r")
    try {
      const compressed = Buffer.alloc(64 * 1024)
      const n = fs.readSync(fd, compressed, 0, compressed.length, 0)
      return zlib.gunzipSync(compressed.subarray(0, n), { finishFlush: zlib.constants.Z_SYNC_FLUSH })
    } finally {
      fs.closeSync(fd)
    }
  } catch {
    return Buffer.alloc(0)
  }
}

/**
 * Which rotated file (numbered above `rotatedThrough`) is the open file `fd`: the raw file with
 * its inode, or, once compressed (the raw file is gone), the one starting with the same bytes.
 */
const numberOf = (handle: FollowedHandle, candidates: ReadonlyArray<RotatedFile>): number | undefined => {
  for (const c of candidates) if (c.raw !== undefined && inodeOf(c.raw) === handle.ino) return c.n
  const own = Buffer.alloc(4096)
  const length = fs.readSync(handle.fd, own, 0, own.length, 0)
  if (length === 0) return undefined // an empty file: any match would be a guess
  for (const c of candidates) {
    if (c.raw === undefined && headOf(c.gz!, length).equals(own.subarray(0, length))) return c.n
  }
  return undefined
}

/**
 * Open `file` to follow it, and find which of its rotated files came before the opened one
 * (those the first pass reads). `undefined` when it cannot be opened (reported by the first pass).
 */
export const openFollowed = (file: string): FollowedHandle | undefined => {
  const names = naming(file)
  const before = highest(scan(names))
  let fd: number
  try {
    fd = fs.openSync(file, "r")
  } catch {
    return undefined
  }
  const ino = fs.fstatSync(fd).ino
  const listed = scan(names)
  // still the active file after the listing: every rotated file listed came before it
  if (inodeOf(file) === ino) return { fd, ino, rotatedThrough: highest(listed) }
  const own = numberOf({ fd, ino, rotatedThrough: before }, rotatedAfter(names, listed, before))
  return { fd, ino, rotatedThrough: own === undefined ? before : own - 1 }
}

const printLine = async (file: string, line: string, printer: Printer): Promise<void> => {
  const parsed = parseLine(line)
  if (parsed !== undefined) await printer.print(parsed.record, line, parsed.native)
  else if (line.length > 0) printer.report(`${file}: not a JSON log line, skipped`)
}

/** Read what was appended since the last look; whole lines only. */
const drain = async (f: Followed, printer: Printer): Promise<void> => {
  if (f.fd === undefined) return
  // copytruncate: the file is shorter than what was read, it starts again from the top
  if (fs.fstatSync(f.fd).size < f.position) Object.assign(f, { position: 0, splitter: new LineSplitter() })
  const chunk = Buffer.allocUnsafe(256 * 1024)
  while (true) {
    const n = fs.readSync(f.fd, chunk, 0, chunk.length, f.position)
    if (n === 0) return
    f.position += n
    for (const line of f.splitter.push(chunk.subarray(0, n))) await printLine(f.file, line, printer)
    await printer.flush()
  }
}

/** Print a whole rotated file's lines; how the read ended. */
const printFile = async (file: string, printer: Printer): Promise<SourceEnd> => {
  const end: SourceEnd = { bytes: 0 }
  for await (const line of readLines(file, end)) await printLine(file, line.text, printer)
  return end
}

/** Print the rotated files of `listed` numbered above `f.rotatedThrough`, oldest first. */
const readRotated = async (f: Followed, listed: ReadonlyArray<RotatedName>, printer: Printer): Promise<void> => {
  for (const rotated of rotatedAfter(f.names, listed, f.rotatedThrough)) {
    let file = rotated.raw ?? rotated.gz!
    let end = await printFile(file, printer)
    if (end.error !== undefined && end.bytes === 0 && file === rotated.raw) {
      // compressed (and the raw file removed) between the listing and the read
      file = rotated.gz ?? `${rotated.raw}.gz`
      end = await printFile(file, printer)
    }
    if (end.error !== undefined) printer.report(`${file}: ${end.error}; its other records are printed`)
    f.rotatedThrough = rotated.n
  }
  await printer.flush()
}

/**
 * The path names a new file: finish the old one, read the rotated files made since, then open
 * the new active file. Repeated while the new file is itself rotated before it is established.
 */
const catchUp = async (f: Followed, printer: Printer): Promise<void> => {
  if (f.fd !== undefined) {
    await drain(f, printer) // what was written before the rename
    const own = numberOf(
      { fd: f.fd, ino: f.ino, rotatedThrough: f.rotatedThrough },
      rotatedAfter(f.names, scan(f.names), f.rotatedThrough)
    )
    // not found (moved out of the naming scheme, or removed): every later file is read
    if (own !== undefined) f.rotatedThrough = own
    fs.closeSync(f.fd)
    Object.assign(f, { fd: undefined, ino: -1 })
  }
  while (true) {
    await readRotated(f, scan(f.names), printer)
    let fd: number
    try {
      fd = fs.openSync(f.file, "r")
    } catch {
      return // between a rename and the next create: the next poll tries again
    }
    const ino = fs.fstatSync(fd).ino
    const listed = scan(f.names)
    if (inodeOf(f.file) !== ino) {
      fs.closeSync(fd) // rotated already: read in order as a rotated file on the next turn
      continue
    }
    // rotated since the first listing, before the new file: they come first
    await readRotated(f, listed, printer)
    Object.assign(f, { fd, ino, position: 0, splitter: new LineSplitter() })
    return drain(f, printer)
  }
}

/**
 * `--follow`: poll the files, print what is appended, carry on across rotations (`catchUp`).
 * Ends on `io.signal`.
 */
export const follow = async (files: ReadonlyArray<FollowStart>, printer: Printer, io: CatIO): Promise<void> => {
  const followed: Array<Followed> = files.map((start) => ({
    file: start.file,
    names: naming(start.file),
    fd: start.fd,
    ino: start.ino,
    position: start.position,
    rotatedThrough: start.rotatedThrough,
    splitter: new LineSplitter()
  }))
  while (io.signal?.aborted !== true) {
    for (const f of followed) {
      await drain(f, printer)
      const current = inodeOf(f.file)
      if (current === undefined || current === f.ino) continue // between a rename and the next create
      await catchUp(f, printer)
    }
    try {
      await sleep(io.pollMillis ?? 200, undefined, io.signal === undefined ? undefined : { signal: io.signal })
    } catch {
      break
    }
  }
  for (const f of followed) if (f.fd !== undefined) fs.closeSync(f.fd)
}
