import { describe, expect, it } from "@effect/vitest"
import { errorMessage, partialSuccess, retryAfterMillis } from "../../src/internal/otlp/response.js"
import { ExportLogsServiceResponse, partialSuccessBody } from "../otlpReceiver.js"

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))

describe("OTLP answers", () => {
  it("partial success, protobuf (encoded by the official definitions) and JSON", () => {
    expect(partialSuccess(partialSuccessBody(3, "bad attribute"), "application/x-protobuf")).toEqual({ rejected: 3, message: "bad attribute" })
    expect(partialSuccess(json({ partialSuccess: { rejectedLogRecords: "5", errorMessage: "too old" } }), "application/json"))
      .toEqual({ rejected: 5, message: "too old" })
    // a full success: an empty body, an empty message, or partialSuccess with nothing in it
    expect(partialSuccess(new Uint8Array(0), "application/x-protobuf")).toBeUndefined()
    expect(partialSuccess(ExportLogsServiceResponse.encode({}).finish(), "application/x-protobuf")).toBeUndefined()
    expect(partialSuccess(json({ partialSuccess: {} }), "application/json")).toBeUndefined()
    expect(partialSuccess(json({}), "application/json")).toBeUndefined()
    // a warning without rejections: nothing lost, the message kept
    expect(partialSuccess(partialSuccessBody(0, "deprecated field"), "application/x-protobuf")).toEqual({ rejected: 0, message: "deprecated field" })
    // garbage is not a partial success
    expect(partialSuccess(new Uint8Array([0x0a, 0xff, 0xff]), "application/x-protobuf")).toBeUndefined()
    expect(partialSuccess(new TextEncoder().encode("{not json"), "application/json")).toBeUndefined()
  })

  it("error messages: google.rpc.Status in protobuf or JSON, else the text, cut at 1 KiB", () => {
    // Status { code = 3; message = "bad" }: field 1 varint 3, field 2 "bad"
    expect(errorMessage(new Uint8Array([0x08, 0x03, 0x12, 0x03, 0x62, 0x61, 0x64]), "application/x-protobuf")).toBe("bad")
    expect(errorMessage(json({ code: 3, message: "too large" }), "application/json")).toBe("too large")
    expect(errorMessage(new TextEncoder().encode("  nope \n"), "text/plain")).toBe("nope")
    expect(errorMessage(new TextEncoder().encode("x".repeat(5_000)), "text/plain")).toBe("x".repeat(1_024) + "…")
  })

  it("Retry-After: seconds or an HTTP-date; absent or malformed is undefined", () => {
    const now = Date.parse("2024-05-01T10:00:00Z")
    expect(retryAfterMillis("1", now)).toBe(1_000)
    expect(retryAfterMillis(" 120 ", now)).toBe(120_000)
    expect(retryAfterMillis("Wed, 01 May 2024 10:00:30 GMT", now)).toBe(30_000)
    expect(retryAfterMillis("Wed, 01 May 2024 09:00:00 GMT", now)).toBe(0)
    expect(retryAfterMillis(undefined, now)).toBeUndefined()
    expect(retryAfterMillis("soon", now)).toBeUndefined()
  })
})
