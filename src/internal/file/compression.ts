import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { pipeline } from "node:stream/promises"
import * as zlib from "node:zlib"
import type { Naming } from "./naming.js"
import { scan } from "./naming.js"

/**
 * Compress `raw` to `raw.gz` off the writer's path: zlib's streaming API (its work runs on
 * libuv's thread pool) into `raw.gz.tmp`, renamed into place once complete, then `raw` removed.
 * A crash at any step leaves either a `.tmp` (removed at the next start, `raw` compressed again)
 * or a complete `.gz` beside `raw` (the `.gz` is kept, `raw` removed): see `repair`.
 * Interruption (shutdown past its timeout) stops the stream and removes the temporary file.
 */
export const gzipFile = (raw: string, level: number): Effect.Effect<void, Error> =>
  Effect.async<void, Error>((resume) => {
    const controller = new AbortController()
    const done = compress(raw, level, controller.signal).then(
      () => resume(Effect.void),
      (cause) => resume(Effect.fail(cause instanceof Error ? cause : new Error(String(cause))))
    )
    // interrupted: stop the stream and wait until its temporary file is removed, so that a
    // sink opened again on this path never has its own temporary file removed by this one
    return Effect.promise(() => {
      controller.abort()
      return done
    })
  })

const compress = async (raw: string, level: number, signal: AbortSignal): Promise<void> => {
  const tmp = `${raw}.gz.tmp`
  try {
    await pipeline(fs.createReadStream(raw), zlib.createGzip({ level }), fs.createWriteStream(tmp, { mode: modeOf(raw) }), {
      signal
    })
    await fs.promises.rename(tmp, `${raw}.gz`)
  } catch (error) {
    await fs.promises.rm(tmp, { force: true })
    throw error
  }
  await fs.promises.rm(raw, { force: true })
}

const modeOf = (file: string): number => {
  try {
    return fs.statSync(file).mode & 0o777
  } catch {
    return 0o640
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
