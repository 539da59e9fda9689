/**
 * DirectorySink and encryption:
 *   directory-1k     DirectorySink (gzip), 1 KiB payload per record, one file each
 *   directory-64k    DirectorySink (gzip), 64 KiB payload per record (maxRecordBytes 128 KiB)
 *   file-plain       FileSink, the burst, no encryption (the baseline of the next case)
 *   file-encrypted   FileSink, the burst, AES-256-GCM block per batch
 * The directory cases write a fraction of BENCH_RECORDS (one file per record: 1/50 and 1/500,
 * at most 20,000 and 2,000 files); `records` reports the count really run.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { AsyncLogger, DirectorySink, FileSink, type LogSink } from "../../src/index.js"
import { caseId, countLines, fields, logfiberCounts, MESSAGE, RECORDS, report, secondsSince, tempFile } from "../lib.js"

const id = caseId("directory-1k")

const payload = (bytes: number): string => crypto.randomBytes(bytes / 2).toString("hex")

const run = async (records: number, sink: Layer.Layer<LogSink.LogSink, LogSink.SinkError>, body: string | undefined, maxRecordBytes: number) => {
  const start = process.hrtime.bigint()
  const stats = await Effect.runPromise(
    Effect.gen(function*() {
      for (let i = 0; i < records; i++) {
        yield* body === undefined ? Effect.logInfo(MESSAGE, fields(i)) : Effect.logInfo(MESSAGE, { i, body })
      }
      yield* AsyncLogger.flush
      return yield* AsyncLogger.stats
    }).pipe(Effect.provide(AsyncLogger.layer({ maxRecordBytes }).pipe(Layer.provide(sink))))
  )
  return { stats, seconds: secondsSince(start) }
}

const directory = async (records: number, payloadBytes: number) => {
  const dir = path.dirname(tempFile())
  const out = path.join(dir, "records")
  const { stats, seconds } = await run(records, DirectorySink.layer({ dir: out, compress: "gzip" }), payload(payloadBytes), 128 * 1024)
  const files = fs.readdirSync(out).length
  report({ id, records, seconds, lines: files, ...logfiberCounts(stats), extra: { payloadBytes, files } })
}

const file = async (encrypted: boolean) => {
  const target = tempFile()
  const encryption = encrypted ? { key: Redacted.make<Uint8Array>(crypto.randomBytes(32)) } : undefined
  const { stats, seconds } = await run(RECORDS, FileSink.layer({ path: target, encryption }), undefined, 65_536)
  const size = fs.statSync(target).size
  // an encrypted file holds no newline-separated lines to count: written is the logger's count
  report({ id, records: RECORDS, seconds, lines: encrypted ? stats.written : countLines(target), ...logfiberCounts(stats), extra: { bytes: size } })
}


const bodies: Record<string, () => Promise<void>> = {
  "directory-1k": () => directory(Math.min(20_000, Math.floor(RECORDS / 50)), 1024),
  "directory-64k": () => directory(Math.min(2_000, Math.floor(RECORDS / 500)), 64 * 1024),
  "file-plain": () => file(false),
  "file-encrypted": () => file(true)
}

bodies[id]!().catch((error) => {
  console.error(error)
  process.exit(1)
})
