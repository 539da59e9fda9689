import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { Worker } from "node:worker_threads"
import type { Naming } from "./naming.js"
import { scan } from "./naming.js"

/**
 * The worker's program (CommonJS, evaluated: no file to resolve from src/, dist/ or a bundle).
 * Each job compresses `raw` to `raw.gz` with zlib's streaming API into `raw.gz.tmp`, renames it
 * into place, then removes `raw`; jobs run one at a time in the order they were posted. A crash at
 * any step leaves either a `.tmp` (removed at the next start, `raw` compressed again) or a
 * complete `.gz` beside `raw` (the `.gz` kept, `raw` removed): see `repair`.
 */
const workerSource = `
const { parentPort } = require("node:worker_threads")
const fs = require("node:fs")
const zlib = require("node:zlib")
// one input buffer, reused: fresh stream chunks per read would leave the thread's heap with
// megabytes of garbage per file
const input = Buffer.allocUnsafe(1 << 16)
const gzipInto = (inFd, outFd, level) => new Promise((resolve, reject) => {
  const gzip = zlib.createGzip({ level })
  gzip.on("data", (chunk) => {
    // a short write (disk almost full) is continued; a failed one ends this job, not the thread
    try {
      for (let off = 0; off < chunk.length;) off += fs.writeSync(outFd, chunk, off, chunk.length - off)
    } catch (e) { gzip.destroy(); reject(e) }
  })
  gzip.on("error", reject)
  gzip.on("end", resolve)
  const next = (error) => {
    if (error) return reject(error)
    try {
      const n = fs.readSync(inFd, input, 0, input.length, null)
      if (n === 0) gzip.end()
      // the callback runs once zlib is done with the chunk: then the buffer may be refilled
      else gzip.write(input.subarray(0, n), next)
    } catch (e) { reject(e) }
  }
  next()
})
const gzip = async ({ id, raw, level }) => {
  const tmp = raw + ".gz.tmp"
  let inFd, outFd
  try {
    inFd = fs.openSync(raw, "r")
    const mode = fs.fstatSync(inFd).mode & 0o777
    outFd = fs.openSync(tmp, "w", mode)
    fs.fchmodSync(outFd, mode) // the umask may have narrowed it
    await gzipInto(inFd, outFd, level)
    fs.closeSync(outFd)
    outFd = undefined
    fs.renameSync(tmp, raw + ".gz")
    fs.rmSync(raw, { force: true })
    parentPort.postMessage({ id })
  } catch (error) {
    if (outFd !== undefined) { try { fs.closeSync(outFd) } catch {} }
    try { fs.rmSync(tmp, { force: true }) } catch {}
    parentPort.postMessage({ id, message: String(error && error.message || error), code: error && error.code })
  } finally {
    if (inFd !== undefined) { try { fs.closeSync(inFd) } catch {} }
  }
}
let chain = Promise.resolve()
parentPort.on("message", (job) => { chain = chain.then(() => gzip(job)) })
`

/** How long the compression thread lives without a job. */
const IDLE_MILLIS = 1_000

interface Pending {
  readonly raw: string
  readonly settle: (error: Error | undefined) => void
}

/**
 * Rotated files are compressed on a worker thread, not on the main one: a burst of log calls
 * keeps Node's event loop from its I/O phase for as long as it lasts (seconds for 1M records),
 * so a compression driven by I/O callbacks on the main thread would not start before the burst
 * ends, and shutdown would wait for all of them. On the worker they keep pace with rotation.
 * The thread starts with a job and stops after a second without one (it costs about 20 MiB
 * while it lives; rotation is rare); it is referenced only while jobs are pending (it never
 * keeps the process alive on its own), and `close` stops it.
 */
export class GzipWorker {
  private worker: Worker | undefined
  private idleTimer: ReturnType<typeof setTimeout> | undefined
  private readonly pending = new Map<number, Pending>()
  private nextId = 0

  constructor(private readonly level: number) {}

  /** Hand `raw` to the worker now; the returned effect waits for its end. */
  start(raw: string): Effect.Effect<void, Error> {
    const id = this.nextId++
    let outcome: Error | undefined | null = null
    let wake: ((error: Error | undefined) => void) | undefined
    this.pending.set(id, {
      raw,
      settle: (error) => {
        outcome = error
        wake?.(error)
      }
    })
    try {
      const worker = this.running()
      worker.ref()
      worker.postMessage({ id, raw, level: this.level })
    } catch (error) {
      // no thread could be started (resource limits): this file stays raw, the writer goes on
      this.pending.delete(id)
      outcome = error instanceof Error ? error : new Error(String(error))
    }
    return Effect.async<void, Error>((resume) => {
      const done = (error: Error | undefined) => resume(error === undefined ? Effect.void : Effect.fail(error))
      if (outcome !== null) done(outcome)
      else wake = done
    })
  }

  /**
   * Stop the thread. Jobs still pending are abandoned: their temporary files are removed here,
   * their raw files stay and are compressed at the next start.
   */
  readonly close: Effect.Effect<void> = Effect.promise(async () => {
    const worker = this.worker
    this.worker = undefined
    clearTimeout(this.idleTimer)
    if (worker === undefined) return
    // a terminating thread does not keep the process alive (seen: the process exited with code 13
    // inside this await, the program's runPromise never settled): a timer does, until it is gone
    const keepAlive = setInterval(() => {}, 1_000)
    try {
      await worker.terminate()
    } finally {
      clearInterval(keepAlive)
    }
    this.removeTemporaryFiles()
    this.failAll(new Error("compression stopped"))
  })

  private running(): Worker {
    clearTimeout(this.idleTimer)
    if (this.worker !== undefined) return this.worker
    const worker = new Worker(workerSource, { eval: true })
    worker.on("message", (reply: { id: number; message?: string; code?: string }) => {
      const job = this.pending.get(reply.id)
      if (job === undefined) return
      this.pending.delete(reply.id)
      if (this.pending.size === 0) this.idle(worker)
      job.settle(
        reply.message === undefined ? undefined : Object.assign(new Error(reply.message), { code: reply.code })
      )
    })
    // the thread died (out of memory, killed): its jobs fail, the next job starts a new thread
    const lost = (error: Error) => {
      if (this.worker !== worker) return
      this.worker = undefined
      this.removeTemporaryFiles()
      this.failAll(error)
    }
    worker.on("error", lost)
    worker.on("exit", (code) => lost(new Error(`compression thread exited with code ${code}`)))
    this.worker = worker
    return worker
  }

  private idle(worker: Worker): void {
    worker.unref()
    this.idleTimer = setTimeout(() => {
      if (this.worker !== worker || this.pending.size > 0) return
      this.worker = undefined
      void worker.terminate()
    }, IDLE_MILLIS)
    this.idleTimer.unref()
  }

  /** Files handed to the thread and not finished: retention leaves them alone. */
  isPending(raw: string): boolean {
    for (const job of this.pending.values()) if (job.raw === raw) return true
    return false
  }

  /** The stopped thread's half-written files (the next start would remove them too). */
  private removeTemporaryFiles(): void {
    for (const job of this.pending.values()) {
      try {
        fs.rmSync(`${job.raw}.gz.tmp`, { force: true })
      } catch {
        // left to the next start's repair
      }
    }
  }

  private failAll(error: Error): void {
    const jobs = [...this.pending.values()]
    this.pending.clear()
    for (const job of jobs) job.settle(error)
  }
}

/**
 * Start-up repair after a crash: temporary files are removed; a raw rotated file whose `.gz`
 * exists is removed (the rename happened, the removal did not); the raw rotated files left
 * are returned, oldest first, to be compressed.
 */
export const repair = (names: Naming): Array<string> => {
  const files = scan(names)
  const gz = new Set(files.filter((f) => f.kind === "gz").map((f) => f.n))
  const raw: Array<string> = []
  for (const f of files) {
    const full = path.join(names.dir, f.entry)
    if (f.kind === "tmp") fs.rmSync(full, { force: true })
    else if (f.kind === "raw" && gz.has(f.n)) fs.rmSync(full, { force: true })
    else if (f.kind === "raw") raw.push(full)
  }
  return raw
}
