import { describe, expect, it } from "@effect/vitest"
import { Backpressure } from "../../src/internal/backpressure.js"

describe("Backpressure", () => {
  it("no pressure while the writer has not been woken, however full the queue", () => {
    let queued = 1_000
    const policy = new Backpressure(1_000, () => queued)
    expect(policy.underPressure()).toBe(false)
    queued = 0
    expect(policy.underPressure()).toBe(false)
  })

  it("woken writer: pressure from half the queue on, not below", () => {
    let queued = 0
    const policy = new Backpressure(1_000, () => queued)
    policy.writerWoken = true
    queued = 499
    expect(policy.underPressure()).toBe(false)
    queued = 500
    expect(policy.underPressure()).toBe(true)
    policy.writerWoken = false
    expect(policy.underPressure()).toBe(false)
  })

  it("a filled batch makes exactly one fiber give way, and only while the writer is due", () => {
    const policy = new Backpressure(1_000, () => 10)
    policy.writerWoken = true
    policy.batchFilled = true
    expect(policy.underPressure()).toBe(true)
    // read once: the next fiber operation runs on
    expect(policy.underPressure()).toBe(false)
    policy.writerWoken = false
    policy.batchFilled = true
    expect(policy.underPressure()).toBe(false)
    expect(policy.batchFilled).toBe(false)
  })

  it("a capacity of 1 still has a mark of one record", () => {
    const policy = new Backpressure(1, () => 1)
    policy.writerWoken = true
    expect(policy.underPressure()).toBe(true)
  })
})
