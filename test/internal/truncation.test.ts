import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { lostToTruncation } from "../../src/internal/file/truncation.js"
import { tempDir } from "../helpers.js"

const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `{"i":${from + i}}\n`).join("")

describe("lostToTruncation (copytruncate)", () => {
  it("gives back the lines between the copy and the truncation, not those written again since", () => {
    const dir = tempDir()
    // what the sink wrote to the active file, in three writes
    const history = [
      { offset: 0, bytes: Buffer.from(lines(1, 4)) },
      { offset: Buffer.byteLength(lines(1, 4)), bytes: Buffer.from(lines(5, 8)) },
      { offset: Buffer.byteLength(lines(1, 8)), bytes: Buffer.from(lines(9, 10)) }
    ]
    // logrotate copied lines 1-6, then truncated; lines 9-10 were written after the truncation
    fs.writeFileSync(path.join(dir, "app.log.1"), lines(1, 6))
    const lost = lostToTruncation(dir, -1, history, Buffer.from(lines(9, 10)))
    expect(lost?.toString()).toBe(lines(7, 8))
  })

  it("a copy that ends inside a line: the copy is cut back and the whole line written again", () => {
    const dir = tempDir()
    const history = [{ offset: 0, bytes: Buffer.from(lines(1, 5)) }]
    const copy = path.join(dir, "app.log.1")
    fs.writeFileSync(copy, lines(1, 3) + `{"i":`)
    expect(lostToTruncation(dir, -1, history)?.toString()).toBe(lines(4, 5))
    expect(fs.readFileSync(copy, "utf8")).toBe(lines(1, 3))
  })

  it("bytes in the file that are not the newest written are not taken for them", () => {
    const dir = tempDir()
    const history = [{ offset: 0, bytes: Buffer.from(lines(1, 6)) }]
    fs.writeFileSync(path.join(dir, "app.log.1"), lines(1, 2))
    expect(lostToTruncation(dir, -1, history, Buffer.from("something else\n"))?.toString()).toBe(lines(3, 6))
  })
})
