import { vi } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import * as Chunk from "effect/Chunk"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const tempDirs: Array<string> = []
// one listener for all of them (one per directory exceeded Node's listener limit)
process.once("exit", () => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true })
})

/** A fresh temporary directory, removed when the test process exits. */
export const tempDir = (prefix = "logfiber-"): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  tempDirs.push(dir)
  return dir
}

/** The file's lines (without the trailing empty one). */
export const readLines = (file: string): Array<string> => {
  const text = fs.readFileSync(file, "utf8")
  return text.length === 0 ? [] : text.slice(0, -1).split("\n")
}

/** Let other fibers run (the writer) until `condition` holds; fails after `maxYields` turns. */
export const eventually = (condition: () => boolean, maxYields = 10_000): Effect.Effect<void> =>
  Effect.suspend(function loop(n = 0): Effect.Effect<void> {
    if (condition()) return Effect.void
    if (n >= maxYields) return Effect.dieMessage(`condition not reached after ${maxYields} yields`)
    return Effect.zipRight(Effect.yieldNow(), Effect.suspend(() => loop(n + 1)))
  })

/** Wait until `count` sleeps are pending on the TestClock (so an adjust will reach them). */
export const untilSleeps = (count: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < 10_000; i++) {
      if (Chunk.size(yield* TestClock.sleeps()) >= count) return
      yield* Effect.yieldNow()
    }
    return yield* Effect.dieMessage(`fewer than ${count} sleeps pending on the TestClock`)
  })

/** Wait until some fiber sleeps on the TestClock (so an adjust will reach it). */
export const untilSleeping = untilSleeps(1)

/** Captures what logfiber reports on stderr during `effect`. */
export const captureStderr = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const chunks: Array<string> = []
      const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: unknown) => {
        chunks.push(String(chunk))
        return true
      })
      return { chunks, spy }
    }),
    ({ chunks }) => Effect.map(effect, (a) => [a, chunks] as const),
    ({ spy }) => Effect.sync(() => spy.mockRestore())
  )
