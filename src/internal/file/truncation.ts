import * as fs from "node:fs"
import * as path from "node:path"

/** Bytes written to the active file at `offset`, still held in memory. */
export interface Written {
  readonly offset: number
  readonly bytes: Buffer
}

/** How long after a copy another process's truncation is matched against it. */
const RECENT_MS = 120_000
const PROBE = 4096

/**
 * The copy that `copytruncate` made of the active file before cutting it: a regular file of
 * the same directory, written recently, whose size lies within the bytes still held (`recent`,
 * from `start` to `end`) and whose last bytes are those bytes. Its size is where the lines
 * lost to the truncation start.
 */
export const findCopy = (
  dir: string,
  activeIno: number,
  recent: Buffer,
  start: number,
  end: number
): { readonly file: string; readonly size: number } | undefined => {
  let best: { file: string; size: number; mtime: number } | undefined
  let entries: Array<string>
  try {
    entries = fs.readdirSync(dir)
  } catch {
    return undefined
  }
  const now = Date.now()
  for (const entry of entries) {
    const file = path.join(dir, entry)
    let stat: fs.Stats
    try {
      stat = fs.statSync(file)
    } catch {
      continue
    }
    if (!stat.isFile() || stat.ino === activeIno || stat.size <= start || stat.size > end) continue
    if (now - stat.mtimeMs > RECENT_MS || (best !== undefined && best.mtime >= stat.mtimeMs)) continue
    const probe = Math.min(PROBE, stat.size - start)
    const tail = Buffer.allocUnsafe(probe)
    try {
      const fd = fs.openSync(file, "r")
      try {
        fs.readSync(fd, tail, 0, probe, stat.size - probe)
      } finally {
        fs.closeSync(fd)
      }
    } catch {
      continue
    }
    const offset = stat.size - probe - start
    if (tail.equals(recent.subarray(offset, offset + probe))) best = { file, size: stat.size, mtime: stat.mtimeMs }
  }
  return best
}

/**
 * After the active file was truncated by another process (logrotate's `copytruncate`): the
 * bytes written between its copy and its truncation are in neither file. Find the copy, cut a
 * line it holds only in part back off it, and return the bytes to write again (whole lines,
 * from the first one the copy does not hold in full, up to those already written again after
 * the truncation: `sinceTruncation`, the file's content now); `undefined` when no copy is found.
 */
export const lostToTruncation = (
  dir: string,
  activeIno: number,
  history: ReadonlyArray<Written>,
  sinceTruncation: Buffer = Buffer.alloc(0)
): Buffer | undefined => {
  if (history.length === 0) return undefined
  const start = history[0]!.offset
  const recent = Buffer.concat(history.map((w) => w.bytes))
  const end = start + recent.length
  const copy = findCopy(dir, activeIno, recent, start, end)
  if (copy === undefined) return undefined
  const at = copy.size - start
  // the copy may end inside a line (its last read raced a write): that line is written again whole
  const lineStart = recent[at - 1] === 10 ? at : recent.lastIndexOf(10, at - 1) + 1
  if (lineStart < at) {
    try {
      fs.truncateSync(copy.file, start + lineStart)
    } catch {
      // the copy keeps a torn last line; the whole line is written again below all the same
    }
  }
  // batches written after the truncation, before it was noticed, are in the file already: they
  // are the newest bytes held (O_APPEND put them at the start of the emptied file)
  const kept = sinceTruncation.length > 0 && sinceTruncation.length <= recent.length - lineStart &&
      recent.subarray(recent.length - sinceTruncation.length).equals(sinceTruncation)
    ? sinceTruncation.length
    : 0
  return recent.subarray(lineStart, recent.length - kept)
}
