/**
 * Byte-level helpers for the network sinks, whose limits (datagram sizes) are in UTF-8 bytes.
 */
import { truncationMarker } from "./recordSize.js"

/** The longest prefix of `bytes` of at most `max` bytes that does not split a UTF-8 sequence. */
export const utf8Prefix = (bytes: Uint8Array, max: number): Uint8Array => {
  if (bytes.length <= max) return bytes
  let end = Math.max(0, max)
  // back off continuation bytes (10xxxxxx) so the cut lands on a character boundary
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--
  return bytes.subarray(0, end)
}

/**
 * `text` cut to at most `max` UTF-8 bytes, the visible `…[truncated N bytes]` marker included
 * (N counts the bytes removed). Returns the text as it is when it fits. When `max` is smaller
 * than the marker, the result is the marker alone.
 */
export const cutUtf8 = (text: string, max: number): string => {
  const bytes = Buffer.from(text, "utf8")
  if (bytes.length <= max) return text
  // the marker's own length depends on N; size it with the largest N it can show
  const room = Math.max(0, max - Buffer.byteLength(truncationMarker(bytes.length)))
  const kept = utf8Prefix(bytes, room)
  return Buffer.from(kept).toString("utf8") + truncationMarker(bytes.length - kept.length)
}

/** A value as text for a network field: strings as they are, anything else as safe JSON. */
export { stringify as jsonText } from "./safeJson.js"
