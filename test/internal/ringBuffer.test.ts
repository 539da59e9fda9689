import { describe, expect, it } from "@effect/vitest"
import { RingBuffer } from "../../src/internal/ringBuffer.js"

const drainAll = (ring: RingBuffer<string>) => {
  const out: Array<[string, number]> = []
  ring.drainInto(ring.size, (item, seq) => void out.push([item, seq]))
  return out
}

describe("RingBuffer", () => {
  it("keeps order across many wrap-arounds, with each item's seq", () => {
    const ring = new RingBuffer<string>(5)
    let next = 1
    let expected = 1
    for (let round = 0; round < 50; round++) {
      // a different fill each round so head and tail meet at every index
      const fill = 1 + (round % 5)
      for (let i = 0; i < fill; i++, next++) expect(ring.offer(`r${next}`, next)).toBe(true)
      const take = 1 + ((round * 3) % fill)
      const got: Array<number> = []
      expect(ring.drainInto(take, (item, seq) => {
        expect(item).toBe(`r${seq}`)
        got.push(seq)
      })).toBe(take)
      expect(got).toEqual(Array.from({ length: take }, (_, i) => expected + i))
      expected += take
      expect(ring.oldestSeq()).toBe(ring.size === 0 ? Infinity : expected)
      for (const [, seq] of drainAll(ring)) expect(seq).toBe(expected++)
    }
    expect(ring.size).toBe(0)
  })

  it("refuses an offer when full and accepts one again after a shift", () => {
    const ring = new RingBuffer<string>(3)
    expect([ring.offer("a", 1), ring.offer("b", 2), ring.offer("c", 3), ring.offer("d", 4)]).toEqual([true, true, true, false])
    expect(ring.size).toBe(3)
    expect(ring.shift()).toEqual({ item: "a", seq: 1 })
    expect(ring.offer("d", 4)).toBe(true)
    expect(drainAll(ring)).toEqual([["b", 2], ["c", 3], ["d", 4]])
    expect(ring.shift()).toBeUndefined()
  })

  it("sliding (shift the oldest, offer the newest) over a wrapped buffer keeps the newest `capacity` items in order", () => {
    const ring = new RingBuffer<string>(4)
    for (let seq = 1; seq <= 23; seq++) {
      if (ring.size === ring.capacity) ring.shift()
      ring.offer(`r${seq}`, seq)
    }
    expect(drainAll(ring)).toEqual([["r20", 20], ["r21", 21], ["r22", 22], ["r23", 23]])
  })

  it("drainInto never takes more than is queued", () => {
    const ring = new RingBuffer<string>(4)
    ring.offer("a", 1)
    expect(ring.drainInto(10, () => {})).toBe(1)
    expect(ring.size).toBe(0)
    expect(ring.oldestSeq()).toBe(Infinity)
  })

  it("an item drainInto's function throws on is taken with those before it; the rest stay, in order", () => {
    const ring = new RingBuffer<string>(4)
    for (const [i, item] of ["a", "b", "c", "d"].entries()) ring.offer(item, i + 1)
    const seen: Array<string> = []
    expect(() =>
      ring.drainInto(4, (item) => {
        if (item === "b") throw new Error("bad record")
        seen.push(item)
      })
    ).toThrow("bad record")
    expect(seen).toEqual(["a"])
    expect(drainAll(ring)).toEqual([["c", 3], ["d", 4]])
  })
})
