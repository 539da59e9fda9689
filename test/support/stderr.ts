import * as Effect from "effect/Effect"
import { vi } from "vitest"

/** Capture stderr (the logger's report of failed records) for the rest of the scope. */
export const captureStderr = Effect.acquireRelease(
  Effect.sync(() => {
    const chunks: Array<string> = []
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      chunks.push(String(chunk))
      return true
    })
    return { spy, text: () => chunks.join("") }
  }),
  ({ spy }) => Effect.sync(() => spy.mockRestore())
)

/** The records the logger reported on stderr (one JSON line each). */
export const reportedRecords = (text: string): Array<{ fields: { i: number } }> =>
  text.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line))
