/**
 * What an OTLP/HTTP receiver answers: the partial success of a 200 (`ExportLogsServiceResponse`)
 * and the message of an error (`google.rpc.Status`), in protobuf or JSON, and `Retry-After`.
 * Only these few fields are read, so a small reader of the protobuf wire format does it; the
 * encoder (requests) is `@effect/opentelemetry`'s.
 */

/** `ExportLogsPartialSuccess`: how many records the receiver rejected, and why. */
export interface PartialSuccess {
  readonly rejected: number
  readonly message: string
}

type Fields = Map<number, Array<number | Uint8Array>>

/** The top-level fields of a protobuf message: varints as numbers, length-delimited as bytes. */
const readFields = (bytes: Uint8Array): Fields | undefined => {
  const fields: Fields = new Map()
  let pos = 0
  const varint = (): number => {
    let result = 0
    let scale = 1
    for (let i = 0; i < 10; i++) {
      if (pos >= bytes.length) throw new Error("truncated varint")
      const b = bytes[pos++]!
      result += (b & 0x7f) * scale
      if ((b & 0x80) === 0) return result
      scale *= 128
    }
    throw new Error("varint too long")
  }
  try {
    while (pos < bytes.length) {
      const key = varint()
      const field = Math.floor(key / 8)
      let value: number | Uint8Array
      switch (key & 7) {
        case 0:
          value = varint()
          break
        case 1:
          value = 0
          pos += 8
          break
        case 2: {
          const length = varint()
          if (pos + length > bytes.length) return undefined
          value = bytes.subarray(pos, pos + length)
          pos += length
          break
        }
        case 5:
          value = 0
          pos += 4
          break
        default:
          return undefined
      }
      const list = fields.get(field)
      if (list === undefined) fields.set(field, [value])
      else list.push(value)
    }
  } catch {
    return undefined
  }
  return pos === bytes.length ? fields : undefined
}

const decoder = new TextDecoder()
const numberField = (fields: Fields, n: number): number => {
  const v = fields.get(n)?.[0]
  return typeof v === "number" ? v : 0
}
const stringField = (fields: Fields, n: number): string => {
  const v = fields.get(n)?.[0]
  return v instanceof Uint8Array ? decoder.decode(v) : ""
}

const isJson = (contentType: string | undefined): boolean => contentType?.includes("json") === true

const parseJson = (bytes: Uint8Array): Record<string, unknown> | undefined => {
  try {
    const value: unknown = JSON.parse(decoder.decode(bytes))
    return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** The partial success of a 2xx answer; `undefined` when everything was accepted. */
export const partialSuccess = (bytes: Uint8Array, contentType: string | undefined): PartialSuccess | undefined => {
  if (bytes.length === 0) return undefined
  let rejected = 0
  let message = ""
  if (isJson(contentType)) {
    const partial = parseJson(bytes)?.partialSuccess as Record<string, unknown> | undefined
    if (partial === undefined || partial === null) return undefined
    rejected = Number(partial.rejectedLogRecords ?? 0)
    message = typeof partial.errorMessage === "string" ? partial.errorMessage : ""
  } else {
    const inner = readFields(bytes)?.get(1)?.[0]
    const fields = inner instanceof Uint8Array ? readFields(inner) : undefined
    if (fields === undefined) return undefined
    rejected = numberField(fields, 1)
    message = stringField(fields, 2)
  }
  // a message without rejections is a warning: the records were accepted
  return (Number.isFinite(rejected) && rejected > 0) || message !== "" ? { rejected: rejected > 0 ? rejected : 0, message } : undefined
}

/** The receiver's message in an error answer (`Status.message`), else the body as text, cut at 1 KiB. */
export const errorMessage = (bytes: Uint8Array, contentType: string | undefined): string => {
  if (isJson(contentType)) {
    const message = parseJson(bytes)?.message
    if (typeof message === "string" && message !== "") return message
  } else if (contentType?.includes("protobuf") === true) {
    const fields = readFields(bytes)
    const message = fields === undefined ? "" : stringField(fields, 2)
    if (message !== "") return message
  }
  const text = decoder.decode(bytes.subarray(0, 1024)).trim()
  return bytes.length > 1024 ? text + "…" : text
}

/**
 * `Retry-After` in milliseconds: delta-seconds, or an HTTP-date relative to `now`; `undefined`
 * when absent or malformed.
 */
export const retryAfterMillis = (header: string | undefined, now: number): number | undefined => {
  if (header === undefined) return undefined
  const text = header.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1_000
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}
