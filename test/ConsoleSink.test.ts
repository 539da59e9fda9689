import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { vi } from "vitest"
import { AsyncLogger, ConsoleSink, Format } from "../src/index.js"

const capture = (stream: NodeJS.WriteStream) => {
  const chunks: Array<string> = []
  const spy = vi.spyOn(stream, "write").mockImplementation((chunk: unknown, cb?: unknown) => {
    chunks.push(String(chunk))
    if (typeof cb === "function") cb()
    return true
  })
  return { chunks, restore: () => spy.mockRestore() }
}

describe("ConsoleSink", () => {
  for (const stream of ["stdout", "stderr"] as const) {
    it.effect(`writes one batch per write call to ${stream}`, () =>
      Effect.gen(function*() {
        const out = capture(process[stream])
        yield* Effect.gen(function*() {
          yield* Effect.logInfo("a", { n: 1 })
          yield* Effect.logInfo("b", { n: 2 })
          yield* AsyncLogger.flush
        }).pipe(
          Effect.provide(AsyncLogger.layer().pipe(Layer.provide(ConsoleSink.layer({ stream, format: Format.logfmt })))),
          Effect.ensuring(Effect.sync(out.restore))
        )
        expect(out.chunks).toHaveLength(1)
        const lines = out.chunks[0]!.trimEnd().split("\n")
        expect(lines).toHaveLength(2)
        expect(lines[0]).toMatch(/level=info .*msg=a n=1$/)
        expect(lines[1]).toMatch(/level=info .*msg=b n=2$/)
      }))
  }
})
