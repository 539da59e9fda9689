/**
 * Effect's own loggers, same 1M `Effect.logInfo(msg, fields)` loop as the logfiber case.
 * Usage: `node --import tsx bench/cases/effect.ts <id>` with id (bench/suite.ts)
 *   effect-toFile  `PlatformLogger.toFile(Logger.jsonLogger)` (batched, async file handle)
 *   effect-sync    `Logger.jsonLogger` + one `fs.writeSync` per record
 * End to end = until the logger's scope has closed (for toFile: last batch written, file closed).
 */
import { PlatformLogger } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as fs from "node:fs"
import { caseId, fields, MESSAGE, RECORDS, reportFromFile, SAMPLE_MASK, Sampler, secondsSince, tempFile } from "../lib.js"

const id = caseId("effect-toFile")
if (id !== "effect-toFile" && id !== "effect-sync") throw new Error(`effect.ts: unknown case ${id}`)
const file = tempFile()

const layer: Layer.Layer<never> = id === "effect-toFile"
  ? Logger.replaceScoped(Logger.defaultLogger, PlatformLogger.toFile(Logger.jsonLogger, file)).pipe(
    Layer.provide(NodeFileSystem.layer),
    Layer.orDie
  )
  : Layer.unwrapScoped(Effect.map(
    Effect.acquireRelease(Effect.sync(() => fs.openSync(file, "a")), (fd) => Effect.sync(() => fs.closeSync(fd))),
    (fd) => Logger.replace(Logger.defaultLogger, Logger.map(Logger.jsonLogger, (line) => void fs.writeSync(fd, line + "\n")))
  ))

const run = async () => {
  const sampler = new Sampler(RECORDS)
  const start = process.hrtime.bigint()
  const program = Effect.gen(function*() {
    for (let i = 0; i < RECORDS; i++) {
      if ((i & SAMPLE_MASK) === 0) {
        const t = process.hrtime.bigint()
        yield* Effect.logInfo(MESSAGE, fields(i))
        sampler.record(t)
      } else {
        yield* Effect.logInfo(MESSAGE, fields(i))
      }
    }
  })
  await Effect.runPromise(Effect.provide(program, layer))
  const seconds = secondsSince(start)
  reportFromFile(id, seconds, sampler, file)
}

run().catch((error) => {
  console.error(error)
  process.exit(1)
})
