import * as fs from "node:fs"
import type { LogRecord } from "../../LogRecord.js"
import { type ActiveFile, appendRange, closeQuietly, openActive, pathState, truncateBack } from "./activeFile.js"
import { type Naming, nextNumber } from "./naming.js"
import { type Interval, type Periods, periods } from "./period.js"
import { lostToTruncation, type Written } from "./truncation.js"
import type { Span, WriteRing } from "./writeRing.js"

export interface RotationPolicy {
  readonly maxBytes?: number | undefined
  readonly interval?: Interval | undefined
  readonly timeZone?: string | undefined
}

/** A path that vanished while still linked elsewhere (renamed by logrotate) is reopened after this. */
const RENAMED_GRACE_MS = 1_000

/**
 * The active file and its rotation, driven by the writer fiber (every method is synchronous and
 * runs between batches, so no write is ever cut by a rotation):
 * - before each batch, `stat` the path: another inode there (logrotate's move-and-create) or an
 *   unlinked file (the directory deleted) means reopen; a smaller size means `copytruncate`;
 * - a batch goes to the file of its records' period; one that would cross `maxBytes` starts the
 *   next file, and a batch larger than `maxBytes` is split at line ends only;
 * - a file cut short by another process (logrotate's `copytruncate` copies, then truncates):
 *   the lines written between the copy and the truncation are written again, from the bytes
 *   of the last batches still in the write ring (no loss, no line split between the two files);
 * - a batch that fails (ENOSPC, EIO...) is undone: every file it touched is cut back to its size
 *   before the batch, so a retry writes it once more from the start and a batch finally counted
 *   failed leaves no line, whole or torn, on disk.
 */
export class RotatingFile {
  private file: ActiveFile
  private open = true
  /** Period label of the active file's records; `undefined` while it has none. */
  private label: string | undefined
  private nextN: number
  private missingSince: number | undefined
  private reopenRequested = false
  private readonly periods: Periods | undefined
  private readonly dayLabels: Periods
  // the batch in progress: the active file's size before it, files it rotated (path, size before)
  private batchStart = 0
  private batchRotated: Array<{ readonly path: string; readonly start: number }> = []
  private readonly lineEnds: Array<number> = []
  // the active file's latest writes whose bytes are still in the ring, oldest first
  private history: Array<Written & { readonly span: Span }> = []
  private span: Span = { lap: -1, start: 0 }

  constructor(
    private readonly names: Naming,
    private readonly mode: number,
    private readonly policy: RotationPolicy,
    /** Called with each rotated file once the batch that rotated it is over. */
    private readonly onRotated: (file: string) => void,
    private readonly ring: WriteRing,
    private readonly report: (message: string) => void,
    /** Encryption: each appended run of whole lines becomes one sealed block. */
    private readonly seal?: ((plaintext: Uint8Array) => Buffer) | undefined
  ) {
    this.periods = policy.interval === undefined ? undefined : periods(policy.interval, policy.timeZone)
    this.dayLabels = periods("daily", policy.timeZone)
    this.nextN = nextNumber(names)
    this.file = this.adopt(this.openFile())
  }

  /** Reopen the path before the next batch (`FileSink.reopen`, a signal). */
  requestReopen(): void {
    this.reopenRequested = true
  }

  close(): void {
    if (!this.open) return
    this.open = false
    closeQuietly(this.file.fd)
  }

  sync(): void {
    fs.fdatasyncSync(this.file.fd)
  }

  /** Write the rendered batch (`buffer`, at `span` in the ring, holds one line per record of `records`). */
  write(records: ReadonlyArray<LogRecord>, buffer: Buffer, span: Span): void {
    // never write through a closed descriptor: its number may already belong to another file
    if (!this.open) throw new Error(`${this.names.active} is closed`)
    this.checkPath()
    this.batchStart = this.file.size
    this.span = span
    try {
      if (this.policy.interval === undefined && this.policy.maxBytes === undefined) {
        this.append(buffer, 0, buffer.length)
      } else {
        this.writeSegments(records, buffer)
      }
    } catch (error) {
      this.undoBatch()
      throw error
    } finally {
      this.endBatch()
    }
  }

  private openFile(): ActiveFile {
    // an encrypted file is blocks: a newline appended to end a torn line would break the framing
    return openActive(this.names.active, this.names.dir, this.mode, this.seal === undefined)
  }

  /** Make `file` the active file (the previous descriptor is closed by the caller). */
  private adopt(file: ActiveFile): ActiveFile {
    this.history = []
    this.label = file.size > 0 ? this.labelOf(file.mtime) : undefined
    this.missingSince = undefined
    return file
  }

  /** Open the path again; the old descriptor is closed only once the new one is open. */
  private reopen(): void {
    const next = this.openFile()
    closeQuietly(this.file.fd)
    this.file = this.adopt(next)
  }

  private labelOf(time: number): string {
    return (this.periods ?? this.dayLabels).label(time)
  }

  private checkPath(): void {
    if (this.reopenRequested) {
      this.reopenRequested = false
      return this.reopen()
    }
    const state = pathState(this.names.active, this.file)
    switch (state._tag) {
      case "same":
        this.missingSince = undefined
        if (state.size < this.file.size) return this.truncated(state.size)
        this.file.size = state.size
        return
      case "replaced":
        return this.reopen()
      case "missing": {
        // unlinked (file or directory deleted): reopen now. Renamed but still linked: another
        // tool (logrotate) is about to create the new file; keep writing to the renamed one
        // (its lines are kept) and create the path only if nobody has after a grace period.
        const now = Date.now()
        this.missingSince ??= now
        if (state.unlinked || now - this.missingSince >= RENAMED_GRACE_MS) return this.reopen()
        this.file.size = state.size
      }
    }
  }

  private writeSegments(records: ReadonlyArray<LogRecord>, buffer: Buffer): void {
    const n = records.length
    const maxBytes = this.policy.maxBytes
    this.lineEnds.length = 0
    let i = 0
    let offset = 0
    while (i < n) {
      const first = this.labelOf(records[i]!.time)
      if (this.label === undefined) this.label = first
      else if (this.periods !== undefined && first > this.label) {
        // a record of a later period: it and the records after it go to a new file
        if (this.file.size > 0) this.rotate()
        this.label = first
      }
      let end = n
      if (this.periods !== undefined) {
        for (end = i + 1; end < n; end++) if (this.periods.label(records[end]!.time) > this.label) break
      }
      let endByte = end === n ? buffer.length : this.lineEnd(buffer, end - 1)
      if (maxBytes !== undefined) {
        if (this.file.size > 0 && this.file.size + endByte - offset > maxBytes) {
          this.rotate()
          this.label = first
        }
        if (endByte - offset > maxBytes) {
          // larger than a whole file: as many whole lines as fit, at least one
          let k = i + 1
          while (k < end && this.lineEnd(buffer, k) - offset <= maxBytes) k++
          end = k
          endByte = this.lineEnd(buffer, end - 1)
        }
      }
      this.append(buffer, offset, endByte)
      offset = endByte
      i = end
    }
  }

  private append(buffer: Buffer, start: number, end: number): void {
    const offset = this.file.size
    // sealed bytes are a copy outside the ring: kept in the history while their batch's span is
    const bytes = this.seal === undefined ? buffer.subarray(start, end) : this.seal(buffer.subarray(start, end))
    appendRange(this.file.fd, bytes, 0, bytes.length)
    this.file.size += bytes.length
    while (this.history.length > 0 && !this.ring.intact(this.history[0]!.span)) this.history.shift()
    if (this.ring.intact(this.span)) this.history.push({ offset, bytes, span: this.span })
  }

  /** The active file's first `size` bytes (what was written to it since it was truncated). */
  private readActive(size: number): Buffer {
    if (size === 0 || this.seal !== undefined) return Buffer.alloc(0)
    const bytes = Buffer.alloc(size)
    try {
      const fd = fs.openSync(this.names.active, "r")
      try {
        fs.readSync(fd, bytes, 0, size, 0)
      } finally {
        fs.closeSync(fd)
      }
      return bytes
    } catch {
      return Buffer.alloc(0)
    }
  }

  /** The file is shorter than what was written to it: another process truncated it. */
  private truncated(size: number): void {
    const history = this.history.filter((w) => this.ring.intact(w.span) && w.offset >= 0)
    this.history = []
    this.file.size = size
    const lost = lostToTruncation(this.names.dir, this.file.ino, history, this.readActive(size))
    if (lost === undefined) {
      this.report(`${this.names.active} was truncated by another process and no copy of it was found; lines written just before may be lost`)
      return
    }
    if (lost.length === 0) return
    // a copy of the bytes: the ring will reuse the memory they sit in
    const copy = Buffer.from(lost)
    try {
      appendRange(this.file.fd, copy, 0, copy.length)
    } catch (error) {
      truncateBack(this.file.fd, size)
      throw error
    }
    this.file.size += copy.length
  }

  /** Byte offset just past record `i`'s newline (found once per batch, only when needed). */
  private lineEnd(buffer: Buffer, i: number): number {
    const ends = this.lineEnds
    while (ends.length <= i) {
      const from = ends.length === 0 ? 0 : ends[ends.length - 1]!
      ends.push(buffer.indexOf(10, from) + 1)
    }
    return ends[i]!
  }

  /**
   * Rename the active file to the next rotated name and open a new active file. The old
   * descriptor is closed only once the new file is open; if it cannot be opened, the rename is
   * undone, so no line is ever written into a file handed to compression.
   */
  private rotate(): void {
    const target = this.names.rotated(this.label ?? this.labelOf(Date.now()), this.nextN++)
    const start = this.batchRotated.length === 0 ? this.batchStart : 0
    let renamed = true
    try {
      fs.renameSync(this.names.active, target)
    } catch (error) {
      // the path was already moved away by another tool: its lines are wherever it put them
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error
      renamed = false
    }
    let next: ActiveFile
    try {
      next = this.openFile()
    } catch (error) {
      if (renamed) fs.renameSync(target, this.names.active)
      throw error
    }
    closeQuietly(this.file.fd)
    if (renamed) this.batchRotated.push({ path: target, start })
    this.file = this.adopt(next)
  }

  /** A failed batch: cut each file it touched back to its size before the batch. */
  private undoBatch(): void {
    truncateBack(this.file.fd, this.batchRotated.length === 0 ? this.batchStart : 0)
    this.file.size = Math.min(this.file.size, this.batchRotated.length === 0 ? this.batchStart : 0)
    this.history = this.history.filter((w) => w.offset + w.bytes.length <= this.file.size)
    for (const r of this.batchRotated) {
      try {
        if (r.start === 0) fs.rmSync(r.path, { force: true })
        else fs.truncateSync(r.path, r.start)
      } catch {
        // nothing more can be undone here
      }
    }
    this.batchRotated = this.batchRotated.filter((r) => r.start > 0)
  }

  private endBatch(): void {
    const rotated = this.batchRotated
    this.batchRotated = []
    for (const r of rotated) this.onRotated(r.path)
  }
}
