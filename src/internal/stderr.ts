/**
 * Last-resort output. Never throws, and never blocks the program on a stuck reader.
 *
 * Nobody reading stderr must not stop the program. Node writes to a FIFO on stderr
 * synchronously: once its 64 KiB buffer is full the write blocks, and the whole process with it.
 * A socket (what `child_process.spawn` and systemd give a child) can block the same way. So for a FIFO logfiber writes through
 * its own non-blocking descriptor (`/proc/self/fd/2` opened with `O_NONBLOCK`, leaving fd 2 as it
 * was): what the reader cannot take now waits, up to `MAX_BACKLOG` bytes, and is retried shortly.
 * For a socket (which Node may also write synchronously) a worker thread does the writes. Beyond
 * the bound the text is dropped, and the number of bytes dropped is reported once the reader
 * catches up. Text still waiting when the process exits is lost. A terminal or a file is written
 * as before, and so is everything when the host replaced `process.stderr.write` (a test runner
 * capturing it).
 */
import * as fs from "node:fs"
import { Worker } from "node:worker_threads"

const MAX_BACKLOG = 1 << 20
const RETRY_MS = 50

const originalWrite = process.stderr.write

const writeDirect = (text: string): void => {
  try {
    if (process.stderr.writable) {
      process.stderr.write(text)
      return
    }
    fs.writeSync(2, text)
  } catch {
    // nowhere left to report to
  }
}

/** A non-blocking writer for a pipe: writes what fits, keeps a bounded backlog, drops the rest (counted). */
class PipeWriter {
  private backlog: Buffer = Buffer.alloc(0)
  private dropped = 0
  private retry: NodeJS.Timeout | undefined = undefined

  constructor(private readonly fd: number) {}

  write(text: string): void {
    const bytes = Buffer.from(text)
    if (this.backlog.length + bytes.length > MAX_BACKLOG) this.dropped += bytes.length
    else this.backlog = this.backlog.length === 0 ? bytes : Buffer.concat([this.backlog, bytes])
    this.drain()
  }

  private drain(): void {
    try {
      while (this.backlog.length > 0) {
        const n = fs.writeSync(this.fd, this.backlog)
        this.backlog = this.backlog.subarray(n)
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") {
        this.backlog = Buffer.alloc(0) // a broken pipe: nobody will ever read it
        return
      }
    }
    if (this.backlog.length > 0) {
      this.retry ??= setTimeout(() => {
        this.retry = undefined
        this.drain()
      }, RETRY_MS).unref()
    } else if (this.dropped > 0) {
      const dropped = this.dropped
      this.dropped = 0
      this.write(`logfiber: ${dropped} bytes of stderr output were dropped: nobody was reading the stderr pipe\n`)
    }
  }
}

/**
 * For a socket: a worker thread does the (possibly blocking) writes to fd 2, at most
 * `MAX_BACKLOG` bytes behind; it is unref'd, so a stuck reader never keeps the process alive.
 */
class WorkerWriter {
  private readonly worker: Worker
  private backlog = 0
  private dropped = 0

  constructor() {
    this.worker = new Worker(
      `const { parentPort } = require("node:worker_threads"); const fs = require("node:fs");
       parentPort.on("message", (text) => { try { fs.writeSync(2, text) } catch {} parentPort.postMessage(Buffer.byteLength(text)) })`,
      { eval: true, stdout: false, stderr: false }
    )
    this.worker.on("message", (bytes: number) => {
      this.backlog -= bytes
      if (this.dropped > 0 && this.backlog === 0) {
        const dropped = this.dropped
        this.dropped = 0
        this.write(`logfiber: ${dropped} bytes of stderr output were dropped: nobody was reading stderr\n`)
      }
    })
    this.worker.on("error", () => {})
    this.worker.unref()
  }

  write(text: string): void {
    const bytes = Buffer.byteLength(text)
    if (this.backlog + bytes > MAX_BACKLOG) {
      this.dropped += bytes
      return
    }
    this.backlog += bytes
    this.worker.postMessage(text)
  }
}

let pipeWriter: { write(text: string): void } | null | undefined
const openPipeWriter = (): { write(text: string): void } | null => {
  try {
    const stat = fs.fstatSync(2)
    if (stat.isSocket()) return new WorkerWriter()
    if (!stat.isFIFO()) return null
    return new PipeWriter(fs.openSync("/proc/self/fd/2", fs.constants.O_WRONLY | fs.constants.O_NONBLOCK))
  } catch {
    return null
  }
}

export const writeStderr = (text: string): void => {
  if (process.stderr.write !== originalWrite) return writeDirect(text)
  if (pipeWriter === undefined) pipeWriter = openPipeWriter()
  if (pipeWriter === null) return writeDirect(text)
  try {
    pipeWriter.write(text)
  } catch {
    writeDirect(text)
  }
}
