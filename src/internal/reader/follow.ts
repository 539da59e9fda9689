import * as fs from "node:fs"
import { setTimeout as sleep } from "node:timers/promises"
import type { CatIO, Printer } from "./printer.js"
import { parseLine } from "./record.js"

interface Followed {
  readonly file: string
  fd: number | undefined
  ino: number
  position: number
  pending: string
}

const openAt = (f: Followed): void => {
  try {
    f.fd = fs.openSync(f.file, "r")
    f.ino = fs.fstatSync(f.fd).ino
  } catch {
    f.fd = undefined
  }
}

/** Read what was appended since the last look; whole lines only. */
const drain = async (f: Followed, printer: Printer): Promise<void> => {
  if (f.fd === undefined) return
  // copytruncate: the file is shorter than what was read, it starts again from the top
  if (fs.fstatSync(f.fd).size < f.position) f.position = 0
  const chunk = Buffer.allocUnsafe(256 * 1024)
  while (true) {
    const n = fs.readSync(f.fd, chunk, 0, chunk.length, f.position)
    if (n === 0) return
    f.position += n
    const text = f.pending + chunk.toString("utf8", 0, n)
    const lines = text.split("\n")
    f.pending = lines.pop()!
    for (const line of lines) {
      const parsed = parseLine(line)
      if (parsed !== undefined) await printer.print(parsed.record, line, parsed.native)
      else if (line.length > 0) printer.report(`${f.file}: not a JSON log line, skipped`)
    }
    await printer.flush()
  }
}

/**
 * `--follow`: poll the files, print what is appended; when the path names a new file
 * (rotation), finish the old one, then read the new one from its start. Ends on `io.signal`.
 */
export const follow = async (
  files: ReadonlyArray<{ readonly file: string; readonly position: number }>,
  printer: Printer,
  io: CatIO
): Promise<void> => {
  const followed: Array<Followed> = files.map(({ file, position }) => {
    const f: Followed = { file, fd: undefined, ino: -1, position, pending: "" }
    openAt(f)
    return f
  })
  while (io.signal?.aborted !== true) {
    for (const f of followed) {
      await drain(f, printer)
      let ino = -1
      try {
        ino = fs.statSync(f.file).ino
      } catch {
        continue // between a rename and the next create
      }
      if (ino === f.ino) continue
      await drain(f, printer)
      if (f.fd !== undefined) fs.closeSync(f.fd)
      Object.assign(f, { position: 0, pending: "" })
      openAt(f)
      await drain(f, printer)
    }
    try {
      await sleep(io.pollMillis ?? 200, undefined, io.signal === undefined ? undefined : { signal: io.signal })
    } catch {
      break
    }
  }
  for (const f of followed) if (f.fd !== undefined) fs.closeSync(f.fd)
}
