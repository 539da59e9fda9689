/**
 * The encrypted block framing (see docs/directory-and-encryption.md). A block is
 *
 * ```
 * offset  size  field
 * 0       4     magic "LFEB"
 * 4       1     version (1)
 * 5       1     flags (bit 0: the plaintext is gzip-compressed)
 * 6       1     key id length k (0..255)
 * 7       k     key id (UTF-8)
 * 7+k     12    nonce (random, fresh per block)
 * 19+k    4     ciphertext length n (unsigned, big-endian)
 * 23+k    n     ciphertext (AES-256-GCM)
 * 23+k+n  16    authentication tag
 * ```
 *
 * The header (magic to length) is the GCM additional data, so a changed header fails
 * authentication like a changed ciphertext. Blocks are simply concatenated in a file.
 */
import * as crypto from "node:crypto"

export const MAGIC = Buffer.from("LFEB", "latin1")
export const VERSION = 1
export const FLAG_GZIP = 1
export const NONCE_BYTES = 12
export const TAG_BYTES = 16
export const KEY_BYTES = 32
/** Header bytes before the key id. */
const FIXED_HEAD = 7
/** Nonce and length after the key id. */
const AFTER_ID = NONCE_BYTES + 4

/** The key material a block is sealed with: raw bytes kept out of every message. */
export interface BlockKey {
  readonly id: string
  readonly bytes: Uint8Array
}

/** Encrypt one block; `flags` records how the plaintext was encoded. */
export const encodeBlock = (key: BlockKey, plaintext: Uint8Array, flags = 0): Buffer => {
  const id = Buffer.from(key.id, "utf8")
  const header = Buffer.allocUnsafe(FIXED_HEAD + id.length + AFTER_ID)
  MAGIC.copy(header, 0)
  header[4] = VERSION
  header[5] = flags
  header[6] = id.length
  id.copy(header, FIXED_HEAD)
  const nonce = crypto.randomBytes(NONCE_BYTES)
  nonce.copy(header, FIXED_HEAD + id.length)
  header.writeUInt32BE(plaintext.length, FIXED_HEAD + id.length + NONCE_BYTES)
  const cipher = crypto.createCipheriv("aes-256-gcm", key.bytes, nonce)
  cipher.setAAD(header)
  const body = cipher.update(plaintext)
  const final = cipher.final()
  return Buffer.concat([header, body, final, cipher.getAuthTag()])
}

/** Why a block could not be read. `torn`: the data ends inside the block (a crash mid-write). */
export type BlockFailure =
  | { readonly _tag: "torn"; readonly detail: string }
  | { readonly _tag: "badMagic" }
  | { readonly _tag: "badVersion"; readonly version: number }
  | { readonly _tag: "unknownKey"; readonly keyId: string }
  | { readonly _tag: "authentication" }

/** One parsed block: its plaintext and where the following block starts, or why it failed. */
export type DecodedBlock =
  | { readonly _tag: "ok"; readonly offset: number; readonly next: number; readonly flags: number; readonly plaintext: Buffer }
  | { readonly _tag: "failed"; readonly offset: number; readonly failure: BlockFailure }

/** Whether `data` starts like an encrypted block (cheap test for readers). */
export const isEncrypted = (data: Uint8Array): boolean =>
  data.length >= MAGIC.length && MAGIC.equals(Buffer.from(data.buffer, data.byteOffset, MAGIC.length))

/** Decode the block at `offset` with the key its key id names. */
export const decodeBlock = (data: Buffer, offset: number, keys: ReadonlyMap<string, Uint8Array>): DecodedBlock => {
  const fail = (failure: BlockFailure): DecodedBlock => ({ _tag: "failed", offset, failure })
  const left = data.length - offset
  if (left < FIXED_HEAD) {
    return isPrefixOfMagic(data, offset) ? fail({ _tag: "torn", detail: `${left} bytes of a header` }) : fail({ _tag: "badMagic" })
  }
  if (!MAGIC.equals(data.subarray(offset, offset + 4))) return fail({ _tag: "badMagic" })
  const version = data[offset + 4]!
  if (version !== VERSION) return fail({ _tag: "badVersion", version })
  const idLength = data[offset + 6]!
  const headerLength = FIXED_HEAD + idLength + AFTER_ID
  if (left < headerLength) return fail({ _tag: "torn", detail: `${left} of ${headerLength} header bytes` })
  const length = data.readUInt32BE(offset + headerLength - 4)
  const total = headerLength + length + TAG_BYTES
  if (left < total) return fail({ _tag: "torn", detail: `${left} of ${total} bytes` })
  const next = offset + total
  const keyId = data.toString("utf8", offset + FIXED_HEAD, offset + FIXED_HEAD + idLength)
  const key = keys.get(keyId)
  if (key === undefined) return fail({ _tag: "unknownKey", keyId })
  const nonceAt = offset + FIXED_HEAD + idLength
  try {
    const decipher = crypto.createDecipheriv("aes-256-gcm", key, data.subarray(nonceAt, nonceAt + NONCE_BYTES))
    decipher.setAAD(data.subarray(offset, offset + headerLength))
    decipher.setAuthTag(data.subarray(next - TAG_BYTES, next))
    const plaintext = Buffer.concat([decipher.update(data.subarray(offset + headerLength, next - TAG_BYTES)), decipher.final()])
    return { _tag: "ok", offset, next, flags: data[offset + 5]!, plaintext }
  } catch {
    // node's message ("Unsupported state or unable to authenticate data") says nothing of the key
    return fail({ _tag: "authentication" })
  }
}

const isPrefixOfMagic = (data: Buffer, offset: number): boolean =>
  MAGIC.subarray(0, data.length - offset).equals(data.subarray(offset))

/** The human text of a failure: never any key material, only the key id written in the file. */
export const describeFailure = (failure: BlockFailure, knownIds: ReadonlyArray<string>): string => {
  switch (failure._tag) {
    case "torn":
      return `truncated block (${failure.detail}): the file was cut while this block was written`
    case "badMagic":
      return "not an encrypted logfiber block (bad magic bytes)"
    case "badVersion":
      return `unsupported block version ${failure.version}`
    case "unknownKey":
      return `no key for key id "${failure.keyId}" (keys given: ${knownIds.length === 0 ? "none" : knownIds.map((id) => `"${id}"`).join(", ")})`
    case "authentication":
      return "authentication failed: wrong key, or the block was modified"
  }
}
