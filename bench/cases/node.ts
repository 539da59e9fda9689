/**
 * Plain Node loggers, same records as the Effect cases, in one tight loop.
 * Usage: `node --import tsx bench/cases/node.ts <id>` with id (bench/suite.ts)
 *   pino     pino (current major) with `pino.destination({ sync: false })`; end = destination 'close'
 *   winston  winston (current major) with its File transport; end = transport 'finish'
 *   raw      the limit: `JSON.stringify` and one `fs.writeSync` per 1,000 records
 */
import { once } from "node:events"
import * as fs from "node:fs"
import { pino } from "pino"
import winston from "winston"
import { caseId, fields, MESSAGE, RECORDS, reportFromFile, SAMPLE_MASK, Sampler, secondsSince, tempFile } from "../lib.js"

const id = caseId("pino")
const file = tempFile()

const loop = (sampler: Sampler, log: (i: number) => void): void => {
  for (let i = 0; i < RECORDS; i++) {
    if ((i & SAMPLE_MASK) === 0) {
      const t = process.hrtime.bigint()
      log(i)
      sampler.record(t)
    } else {
      log(i)
    }
  }
}

const runPino = async (sampler: Sampler): Promise<void> => {
  const destination = pino.destination({ dest: file, sync: false })
  const logger = pino(destination)
  loop(sampler, (i) => logger.info(fields(i), MESSAGE))
  // everything still buffered goes out, then the fd is closed
  destination.end()
  await once(destination, "close")
}

const runWinston = async (sampler: Sampler): Promise<void> => {
  const transport = new winston.transports.File({ filename: file })
  const logger = winston.createLogger({ format: winston.format.json(), transports: [transport] })
  loop(sampler, (i) => logger.info(MESSAGE, fields(i)))
  const finished = once(transport, "finish")
  logger.end()
  await finished
}

const runRaw = (sampler: Sampler): void => {
  const fd = fs.openSync(file, "a")
  let chunk = ""
  let inChunk = 0
  loop(sampler, (i) => {
    chunk += JSON.stringify({ level: "INFO", time: Date.now(), msg: MESSAGE, ...fields(i) }) + "\n"
    if (++inChunk === 1000) {
      fs.writeSync(fd, chunk)
      chunk = ""
      inChunk = 0
    }
  })
  if (chunk.length > 0) fs.writeSync(fd, chunk)
  fs.closeSync(fd)
}

/** The cases of this file, by id. */
const bodies: Record<string, (sampler: Sampler) => void | Promise<void>> = {
  pino: runPino,
  winston: runWinston,
  raw: runRaw
}

const run = async () => {
  const body = bodies[id]
  if (body === undefined) throw new Error(`node.ts: unknown case ${id}`)
  const sampler = new Sampler(RECORDS)
  const start = process.hrtime.bigint()
  await body(sampler)
  const seconds = secondsSince(start)
  reportFromFile(id, seconds, sampler, file)
}

run().catch((error) => {
  console.error(error)
  process.exit(1)
})
