/**
 * Last-resort output. Never throws, and never blocks the program on a stuck reader.
 *
 * Nobody reading stderr must not stop the program. Node writes to a FIFO on stderr
 * synchronously: once its 64 KiB buffer is full the write blocks, and the whole process with it.
 * A socket (what `child_process.spawn` and systemd give a child) can block the same way. So for a
 * FIFO logfiber writes through its own non-blocking descriptor (`/proc/self/fd/2` opened with
 * `O_NONBLOCK`, leaving fd 2 as it was): what the reader cannot take now waits, up to
 * `MAX_BACKLOG` bytes, and is retried shortly. For a socket (which Node may also write
 * synchronously) a worker thread does the writes. Beyond the bound the text is dropped, and the
 * number of bytes dropped is reported once the reader catches up. At exit, text still waiting is
 * given up to `EXIT_WAIT_MS` to be written. A terminal or a file is written as before, and so is
 * everything when the host replaced `process.stderr.write` (a test runner capturing it).
 */
import * as fs from "node:fs"
import { Worker } from "node:worker_threads"

const MAX_BACKLOG = 1 << 20
const RETRY_MS = 50
/** How long the process's exit may wait for stderr output still waiting for its reader. */
const EXIT_WAIT_MS = 1_000
/** Something to `Atomics.wait` on: a sleep that blocks the thread, for the exit only. */
const pause = new Int32Array(new SharedArrayBuffer(4))

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
  private exitDeadline: number | undefined = undefined

  constructor(private readonly fd: number) {
    process.on("exit", () => this.drainAtExit())
  }

  write(text: string): void {
    const bytes = Buffer.from(text)
    if (this.backlog.length + bytes.length > MAX_BACKLOG) this.dropped += bytes.length
    else this.backlog = this.backlog.length === 0 ? bytes : Buffer.concat([this.backlog, bytes])
    this.drain()
    // written during the exit (by a later 'exit' listener): no timer will retry, wait here
    if (this.exitDeadline !== undefined) this.drainAtExit()
  }

  /** At exit no timer runs again: retry the backlog here, a few ms apart, within the exit's bound. */
  private drainAtExit(): void {
    this.exitDeadline ??= Date.now() + EXIT_WAIT_MS
    while (this.backlog.length > 0 && Date.now() < this.exitDeadline) {
      Atomics.wait(pause, 0, 0, 5)
      this.drain()
    }
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
 * When the process exits, the exit waits (at most `EXIT_WAIT_MS` in all) until the thread has
 * written what it was given: the last lines before an exit are often the ones that matter (the
 * records a failed sink could not take).
 */
class WorkerWriter {
  private readonly worker: Worker
  /** [texts posted, texts written], shared with the thread. */
  private readonly counts = new Int32Array(new SharedArrayBuffer(8))
  private backlog = 0
  private dropped = 0
  private exitDeadline: number | undefined = undefined

  constructor() {
    this.worker = new Worker(
      `const { parentPort, workerData } = require("node:worker_threads"); const fs = require("node:fs");
       const counts = new Int32Array(workerData);
       const pause = new Int32Array(new SharedArrayBuffer(4));
       // Node made fd 2 non-blocking when it opened process.stderr on the socket: a write may
       // take part of the text, or none (EAGAIN) while the reader is behind; retry until all is out
       const writeAll = (bytes) => {
         for (let off = 0; off < bytes.length;) {
           try { off += fs.writeSync(2, bytes, off, bytes.length - off) }
           catch (error) { if (error.code === "EAGAIN") Atomics.wait(pause, 0, 0, 2); else return }
         }
       };
       parentPort.on("message", (text) => {
         const bytes = Buffer.from(text);
         writeAll(bytes);
         Atomics.add(counts, 1, 1); Atomics.notify(counts, 1);
         parentPort.postMessage(bytes.length)
       })`,
      { eval: true, stdout: false, stderr: false, workerData: this.counts.buffer }
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
    process.on("exit", () => this.awaitWritten())
  }

  write(text: string): void {
    const bytes = Buffer.byteLength(text)
    if (this.backlog + bytes > MAX_BACKLOG) {
      this.dropped += bytes
      return
    }
    this.backlog += bytes
    Atomics.add(this.counts, 0, 1)
    this.worker.postMessage(text)
    // written during the exit (by a later 'exit' listener): wait for it too, within the same bound
    if (this.exitDeadline !== undefined) this.awaitWritten()
  }

  private awaitWritten(): void {
    this.exitDeadline ??= Date.now() + EXIT_WAIT_MS
    for (;;) {
      const written = Atomics.load(this.counts, 1)
      const left = this.exitDeadline - Date.now()
      if (written >= Atomics.load(this.counts, 0) || left <= 0) return
      Atomics.wait(this.counts, 1, written, left)
    }
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
