import { gunzipSync } from "node:zlib"
import { type BlockKey, decodeBlock, describeFailure, encodeBlock, FLAG_GZIP, MAGIC } from "./frame.js"

/** Keys a reader holds, by key id. */
export type KeyRing = ReadonlyMap<string, Uint8Array>

/** A block that could not be read: the file, its 1-based block number, byte offset and reason. */
export interface BlockError {
  readonly file: string
  readonly block: number
  readonly offset: number
  readonly reason: string
}

/** What a file gave: the plaintext of each readable block (in order) and the blocks that failed. */
export interface DecryptedData {
  readonly blocks: ReadonlyArray<Buffer>
  readonly errors: ReadonlyArray<BlockError>
}

/** Seal one plaintext block with the writer's key (gzip it first yourself and pass `gzipped`). */
export const sealBlock = (key: BlockKey, plaintext: Uint8Array, gzipped = false): Buffer =>
  encodeBlock(key, plaintext, gzipped ? FLAG_GZIP : 0)

/**
 * Decrypt every block of `data` (the bytes of `file`). A block that cannot be read (wrong key,
 * modified, torn, not a block) is reported and reading goes on at the next block magic.
 * Blocks compressed before encryption are gunzipped.
 */
export const decryptData = (file: string, data: Buffer, keys: KeyRing): DecryptedData => {
  const blocks: Array<Buffer> = []
  const errors: Array<BlockError> = []
  const ids = [...keys.keys()]
  let offset = 0
  for (let block = 1; offset < data.length; block++) {
    const decoded = decodeBlock(data, offset, keys)
    if (decoded._tag === "failed") {
      errors.push({ file, block, offset, reason: describeFailure(decoded.failure, ids) })
      // go on at the next block start: a torn block may be followed by blocks appended after a
      // restart, whose length field it does not know; a valid block cannot authenticate falsely
      const resume = data.indexOf(MAGIC, offset + 1)
      if (resume === -1) break
      offset = resume
      continue
    }
    offset = decoded.next
    if ((decoded.flags & FLAG_GZIP) === 0) {
      blocks.push(decoded.plaintext)
      continue
    }
    try {
      blocks.push(gunzipSync(decoded.plaintext))
    } catch (error) {
      errors.push({ file, block, offset: decoded.offset, reason: `corrupt gzip data inside the block (${(error as Error).message})` })
    }
  }
  return { blocks, errors }
}

/** `file: block N (byte offset O): reason`. */
export const formatBlockError = (e: BlockError): string => `${e.file}: block ${e.block} (byte offset ${e.offset}): ${e.reason}`
