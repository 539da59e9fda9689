import * as fs from "node:fs"
import * as path from "node:path"

/**
 * The open active file: its descriptor, identity (device, inode) and size. Opened with
 * `O_APPEND`, so every write lands at the current end even after another process truncated
 * the file (`copytruncate`): no hole of NUL bytes, no overwritten line.
 */
export interface ActiveFile {
  readonly fd: number
  readonly dev: number
  readonly ino: number
  size: number
  /** Last write time in epoch ms when opened (a non-empty file's period comes from it). */
  readonly mtime: number
}

/** The first ancestor directory of `file` that exists but is not a directory, if any. */
const blockingAncestor = (file: string): string | undefined => {
  const ancestors: Array<string> = []
  for (let dir = path.dirname(path.resolve(file)); ; dir = path.dirname(dir)) {
    ancestors.unshift(dir)
    if (path.dirname(dir) === dir) break
  }
  for (const dir of ancestors) {
    try {
      if (!fs.statSync(dir).isDirectory()) return dir
    } catch {
      return undefined // missing: mkdir creates it, or fails with its own reason
    }
  }
  return undefined
}

/** Create `dir` and its parents; a parent that is a file is named as the cause (mkdir says EEXIST). */
const makeDirectory = (dir: string): void => {
  try {
    fs.mkdirSync(dir, { recursive: true })
  } catch (error) {
    const blocker = blockingAncestor(path.join(dir, "_"))
    if (blocker === undefined) throw error
    throw Object.assign(new Error(`ENOTDIR: ${blocker} is not a directory`), { code: "ENOTDIR", cause: error })
  }
}

const FLAGS = fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT

/**
 * Open (creating parents and the file, with `mode`) for appending. Throws the errno error.
 * `lines: false` (encrypted blocks, not lines): a torn tail is left as it is, for the reader.
 */
export const openActive = (file: string, dir: string, mode: number, lines = true): ActiveFile => {
  makeDirectory(dir)
  const created = !fs.existsSync(file)
  const fd = fs.openSync(file, FLAGS, mode)
  try {
    // the umask may have narrowed the mode asked for: a new file gets exactly `mode`
    if (created) fs.fchmodSync(fd, mode)
    const stat = fs.fstatSync(fd)
    const size = stat.size + (lines ? endTornLine(file, stat.size, fd) : 0)
    return { fd, dev: stat.dev, ino: stat.ino, size, mtime: stat.mtimeMs }
  } catch (error) {
    fs.closeSync(fd)
    throw error
  }
}

/**
 * A file that does not end with a newline was cut mid-line (a process killed during a write):
 * end that line, so the next record starts on a line of its own instead of being glued to the
 * torn one. Returns the bytes added (0 or 1).
 */
const endTornLine = (file: string, size: number, fd: number): number => {
  if (size === 0) return 0
  const last = Buffer.alloc(1)
  const reader = fs.openSync(file, "r")
  try {
    fs.readSync(reader, last, 0, 1, size - 1)
  } finally {
    fs.closeSync(reader)
  }
  if (last[0] === 0x0a) return 0
  fs.writeSync(fd, "\n")
  return 1
}

export const closeQuietly = (fd: number): void => {
  try {
    fs.closeSync(fd)
  } catch {
    // already gone: nothing to release
  }
}

/** Write `buffer[start, end)`: a regular file may accept fewer bytes than asked per call. */
export const appendRange = (fd: number, buffer: Buffer, start: number, end: number): void => {
  let offset = start
  while (offset < end) offset += fs.writeSync(fd, buffer, offset, end - offset)
}

/** Cut a file back to `size` bytes (undo a failed batch); never extends one another process truncated. */
export const truncateBack = (fd: number, size: number): void => {
  try {
    if (fs.fstatSync(fd).size > size) fs.ftruncateSync(fd, size)
  } catch {
    // the file is gone or unwritable: nothing of the batch can be read from it either
  }
}

export type PathState =
  | { readonly _tag: "same"; readonly size: number }
  | { readonly _tag: "replaced" }
  | { readonly _tag: "missing"; readonly unlinked: boolean; readonly size: number }

/**
 * Does `file` still name the open file? One `stat` per call (plus an `fstat` when the path is
 * gone). `size` is the current size: smaller than ours after a `copytruncate`.
 */
export const pathState = (file: string, active: ActiveFile): PathState => {
  let stat: fs.Stats
  try {
    stat = fs.statSync(file)
  } catch {
    const own = fs.fstatSync(active.fd)
    return { _tag: "missing", unlinked: own.nlink === 0, size: own.size }
  }
  return stat.ino === active.ino && stat.dev === active.dev ? { _tag: "same", size: stat.size } : { _tag: "replaced" }
}
