import * as crypto from "node:crypto"
import { KEY_BYTES } from "./frame.js"

/** The default key id: a short fingerprint (HMAC of a fixed label), from which the key cannot be recovered. */
export const fingerprint = (key: Uint8Array): string =>
  crypto.createHmac("sha256", key).update("logfiber key id v1").digest("hex").slice(0, 8)

/** Why a key or key id is unusable, or undefined; the text never contains key bytes. */
export const keyProblem = (key: unknown, keyId: string | undefined): string | undefined => {
  if (!(key instanceof Uint8Array)) return `expected ${KEY_BYTES} bytes (a Uint8Array or Buffer), got ${typeof key}`
  if (key.length !== KEY_BYTES) return `expected ${KEY_BYTES} bytes, got ${key.length}`
  if (keyId !== undefined && (keyId.length === 0 || Buffer.byteLength(keyId) > 255)) {
    return `keyId must be 1 to 255 bytes of UTF-8, got ${Buffer.byteLength(keyId)}`
  }
  return undefined
}

/** A base64 key from an environment variable, or why not (never quoting the value). */
export const decodeBase64Key = (text: string): Buffer | string => {
  const trimmed = text.trim()
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(trimmed)) return "not base64"
  const bytes = Buffer.from(trimmed, trimmed.includes("-") || trimmed.includes("_") ? "base64url" : "base64")
  return bytes.length === KEY_BYTES ? bytes : `expected base64 of ${KEY_BYTES} bytes, got ${bytes.length} bytes`
}
