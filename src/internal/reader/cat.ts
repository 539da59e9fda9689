import * as fs from "node:fs"
import * as path from "node:path"
import * as Format from "../../Format.js"
import type { LogRecord } from "../../LogRecord.js"
import { type CatOptions, parse, USAGE } from "./args.js"
import { follow, type FollowedHandle, openFollowed } from "./follow.js"
import { type CatIO, Printer } from "./printer.js"
import { describe, type SourceEnd, type SourceLine, readLines } from "./lineSource.js"
import { parseLine } from "./record.js"
import { NAME_PATTERN } from "../directory/naming.js"
import { naming } from "../file/naming.js"
import type { KeyRing } from "../encryption/file.js"
import { keysFromEnv, readEncryptedLines, readRecordFiles, recordSource, type Source, startsEncrypted } from "./sources.js"

const MAX_BAD_LINE_MESSAGES = 10
/** A rotated file (ours, or logrotate's `.1`, `.2.gz`): it no longer grows, not followed. */
const ROTATED = /\.\d{4}-\d{2}-\d{2}(?:T\d{2})?\.\d+(?:\.[^./]*)?$|\.\d+$/

interface Cursor {
  readonly file: string
  readonly source: Source
  readonly index: number
  readonly lines: AsyncGenerator<SourceLine>
  readonly end: SourceEnd
  head: { readonly record: LogRecord; readonly text: string; readonly native: boolean } | undefined
  badLines: number
}

/** Whether a file may still grow (an active file): a plain line file that is not a rotated one. */
const isGrowing = (source: Source): boolean =>
  source._tag === "lines" && !source.file.endsWith(".gz") && !ROTATED.test(source.file)

/** A file input: encrypted (by its first bytes), one `DirectorySink` record file, or lines. */
const fileSource = (file: string): Source =>
  NAME_PATTERN.test(path.basename(file))
    ? { _tag: "records", file, files: [file] }
    : startsEncrypted(file)
    ? { _tag: "encrypted", file }
    : { _tag: "lines", file }

/** Why a path cannot be read, for a message (`ENOENT` also covers a dangling symbolic link). */
const statError = (error: unknown): string => {
  const code = (error as NodeJS.ErrnoException).code
  return code === "ENOENT" ? "no such file or directory" : describe(error)
}

/** What a path that is neither a regular file nor a directory is, for the refusal message. */
const kindOf = (stat: fs.Stats): string =>
  stat.isFIFO()
    ? "a named pipe"
    : stat.isSocket()
    ? "a socket"
    : stat.isCharacterDevice() || stat.isBlockDevice()
    ? "a device"
    : "not a regular file"

/**
 * Every source an input names: a directory stands for its files (temporary files left out) and
 * for the `DirectorySink` record files under it, read as one source in time order. What cannot
 * be read (a dangling link, an unreadable directory) or is not a regular file (a FIFO would block
 * the read forever) is reported and left out.
 */
const expand = (inputs: ReadonlyArray<string>, printer: Printer, following: boolean): Array<Source> => {
  const files: Array<Source> = []
  /** With `--follow`, an active file is opened now: what the first pass reads is what is followed. */
  const opened = (source: Source): Source =>
    following && isGrowing(source) ? { _tag: "lines", file: source.file, followed: openFollowed(source.file) } : source
  const listing = (dir: string): Array<string> =>
    fs.readdirSync(dir).filter((entry) => !entry.endsWith(".tmp") && !NAME_PATTERN.test(entry)).sort()
  for (const input of inputs) {
    let stat: fs.Stats
    try {
      stat = fs.statSync(input)
    } catch (error) {
      printer.report(`${input}: ${statError(error)}`)
      continue
    }
    if (stat.isFile()) {
      files.push(opened(fileSource(input)))
      continue
    }
    if (!stat.isDirectory()) {
      printer.report(`${input}: ${kindOf(stat)}, not read`)
      continue
    }
    let entries: Array<string>
    try {
      const records = recordSource(input)
      if (records !== undefined) files.push(records)
      entries = listing(input)
    } catch (error) {
      printer.report(`${input}: ${statError(error)}`)
      continue
    }
    // FIFOs, sockets and subdirectories in a directory are not log files: left out quietly
    const regular = (full: string, report: boolean): boolean => {
      try {
        return fs.statSync(full).isFile()
      } catch (error) {
        // a dangling symbolic link, or a file removed since the listing
        if (report) printer.report(`${full}: ${statError(error)}`)
        return false
      }
    }
    const sources = entries.map((entry) => path.join(input, entry)).filter((full) => regular(full, !following))
      .map(fileSource)
    if (!following) {
      files.push(...sources)
      continue
    }
    // The active files are opened first, then the directory is listed again: the rotated files
    // made before each was opened are read now, those made after (it among them) by `follow`.
    const active = new Map<string, Source>(sources.filter(isGrowing).map((s) => [path.basename(s.file), opened(s)]))
    const after = [...active.values()].flatMap((s) =>
      s._tag === "lines" && s.followed !== undefined ? [{ names: naming(s.file), handle: s.followed }] : []
    )
    const readLater = (entry: string): boolean =>
      after.some(({ handle, names }) => (names.parse(entry)?.n ?? 0) > handle.rotatedThrough)
    let again: Array<string>
    try {
      again = listing(input)
    } catch {
      again = entries
    }
    for (const entry of new Set([...again, ...active.keys()].sort())) {
      const source = active.get(entry)
      if (source !== undefined) files.push(source)
      else if (!readLater(entry) && regular(path.join(input, entry), true)) files.push(fileSource(path.join(input, entry)))
    }
  }
  return files
}

/** A rotated file may be compressed (and the raw file removed) between the listing and the read. */
async function* rotatedLines(file: string, end: SourceEnd, followed: FollowedHandle | undefined): AsyncGenerator<SourceLine> {
  yield* readLines(file, end, followed?.fd)
  if (end.error === "no such file" && end.bytes === 0 && ROTATED.test(file) && !file.endsWith(".gz")) {
    delete end.error
    yield* readLines(`${file}.gz`, end)
  }
}

/** Move a cursor to its next record; non-JSON lines are reported (first few) and skipped. */
const advance = async (cursor: Cursor, printer: Printer): Promise<void> => {
  cursor.head = undefined
  while (true) {
    const next = await cursor.lines.next()
    if (next.done === true) return finish(cursor, printer)
    const parsed = parseLine(next.value.text)
    if (parsed !== undefined) {
      cursor.head = { record: parsed.record, text: next.value.text, native: parsed.native }
      return
    }
    if (next.value.text.length === 0) continue
    if (++cursor.badLines <= MAX_BAD_LINE_MESSAGES) {
      printer.report(`${cursor.file}:${next.value.lineNumber}: not a JSON log line, skipped`)
    }
  }
}

const finish = (cursor: Cursor, printer: Printer): void => {
  if (cursor.badLines > MAX_BAD_LINE_MESSAGES) {
    printer.report(`${cursor.file}: ${cursor.badLines} lines in all were not JSON log lines`)
  }
  if (cursor.end.error !== undefined) {
    printer.report(`${cursor.file}: ${cursor.end.error}; its other records are printed`)
  }
  if (cursor.end.tornTail === true && !printer.options.follow) {
    printer.report(`${cursor.file}: the last line has no newline yet (being written, or cut by a crash); skipped`, false)
  }
}

/** Which head comes first: earlier time, then lower sequence number, then earlier file. */
const before = (a: Cursor, b: Cursor): boolean => {
  const ra = a.head!.record
  const rb = b.head!.record
  if (ra.time !== rb.time && !Number.isNaN(ra.time) && !Number.isNaN(rb.time)) return ra.time < rb.time
  if (ra.seq !== rb.seq && !Number.isNaN(ra.seq) && !Number.isNaN(rb.seq)) return ra.seq < rb.seq
  return a.index < b.index
}

/** Merge the files: each is in order already, so the earliest head is the next record. */
const mergeFiles = async (sources: ReadonlyArray<Source>, keys: KeyRing, printer: Printer): Promise<Array<Cursor>> => {
  const report = (message: string) => printer.report(message)
  const cursors: Array<Cursor> = sources.map((source, index) => {
    const end: SourceEnd = { bytes: 0 }
    const lines = source._tag === "lines"
      ? rotatedLines(source.file, end, source.followed)
      : source._tag === "encrypted"
      ? readEncryptedLines(source.file, keys, end, report)
      : readRecordFiles(source.files, keys, end, report)
    return { file: source.file, source, index, end, lines, head: undefined, badLines: 0 }
  })
  for (const c of cursors) await advance(c, printer)
  let live = cursors.filter((c) => c.head !== undefined)
  while (live.length > 0) {
    let first = live[0]!
    for (let i = 1; i < live.length; i++) if (before(live[i]!, first)) first = live[i]!
    const head = first.head!
    await printer.print(head.record, head.text, head.native)
    await advance(first, printer)
    if (first.head === undefined) live = live.filter((c) => c !== first)
  }
  return cursors
}

/**
 * `logfiber cat`: returns the exit code (0: everything read; 1: something could not be read,
 * each reported on `err`; 2: bad arguments).
 */
export const runCat = async (argv: ReadonlyArray<string>, io: CatIO): Promise<number> => {
  let options: CatOptions
  try {
    const parsed = parse(argv, io.now ?? Date.now())
    if (parsed._tag === "help") {
      await io.out(USAGE)
      return 0
    }
    options = parsed.options
  } catch (error) {
    io.err(`logfiber: ${(error as Error).message}\n\n${USAGE}`)
    return 2
  }
  let keys: KeyRing
  try {
    keys = keysFromEnv(options.keyEnv, io.env ?? process.env)
  } catch (error) {
    io.err(`logfiber: ${(error as Error).message}\n`)
    return 2
  }
  const printer = new Printer(options, io)
  const sources = expand(options.inputs, printer, options.follow)
  const cursors = await mergeFiles(sources, keys, printer)
  await printer.flush()
  if (options.follow) {
    const growing = cursors.flatMap((c) => {
      if (c.source._tag !== "lines" || c.source.followed === undefined) return []
      if (c.end.error === undefined) return [{ file: c.file, position: c.end.bytes, ...c.source.followed }]
      fs.closeSync(c.source.followed.fd)
      return []
    })
    await follow(growing, printer, io)
  }
  return printer.failed ? 1 : 0
}

