/**
 * Encryption at rest for `FileSink` and `DirectorySink`: AES-256-GCM (node:crypto) with a fresh
 * random 12-byte nonce per block (a batch for `FileSink`, a file for `DirectorySink`), in a small
 * framing (magic, version, flags, key id, nonce, length, ciphertext, tag) that a reader walks
 * block by block; a torn last block is reported as such. Compression, when on, happens before
 * encryption. Keys are `Redacted` values: they never appear in a log line, an error, stats or a
 * stack trace. The key id (default: an 8-hex-digit fingerprint of the key) lets a reader hold
 * several keys at once, which is how keys are rotated. See docs/directory-and-encryption.md.
 *
 * @example
 * ```ts
 * import { Effect, Layer, Redacted } from "effect"
 * import { AsyncLogger, DirectorySink, Encryption } from "logfiber"
 *
 * // LOG_ENCRYPTION_KEY holds 32 random bytes in base64: `openssl rand -base64 32`
 * const Sink = Layer.unwrapEffect(
 *   Effect.map(Encryption.config(), (encryption) => DirectorySink.layer({ dir: "logs/responses", encryption }))
 * )
 * const LogLive = AsyncLogger.layer().pipe(Layer.provide(Sink))
 * ```
 *
 * @since 0.2.0
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import * as fs from "node:fs"
import { decryptData, type DecryptedData, type KeyRing, sealBlock } from "./internal/encryption/file.js"
import { decodeBase64Key, fingerprint, keyProblem } from "./internal/encryption/key.js"

/**
 * The writer's key: 32 bytes inside `Redacted`, and an optional key id written in every block
 * (default: `Encryption.keyId(key)`, a fingerprint). Give a new key a new id to rotate keys.
 *
 * @example
 * ```ts
 * const encryption: Encryption.Options = { key: Redacted.make(crypto.randomBytes(32)), keyId: "2026-11" }
 * ```
 * @since 0.2.0
 */
export interface Options {
  readonly key: Redacted.Redacted<Uint8Array>
  readonly keyId?: string | undefined
}

/**
 * A block or file could not be decrypted, or a key is unusable. `file` and `block` (1-based) say
 * where; `reason` says why, and never contains key material.
 *
 * @example
 * ```ts
 * Effect.catchTag(Encryption.decryptFile("logs/app.log", keys), "EncryptionError", (e) => Effect.logError(e.message))
 * ```
 * @since 0.2.0
 */
export class EncryptionError extends Data.TaggedError("EncryptionError")<{
  readonly file: string
  readonly block: number
  readonly offset: number
  readonly reason: string
}> {
  override get message(): string {
    return this.block > 0 ? `${this.file}: block ${this.block} (byte offset ${this.offset}): ${this.reason}` : `${this.file}: ${this.reason}`
  }
}

/**
 * The default key id of a key: the first 8 hex digits of HMAC-SHA256(key, "logfiber key id v1").
 *
 * @example
 * ```ts
 * Encryption.keyId(Redacted.make(key)) // "3f0c9a12"
 * ```
 * @since 0.2.0
 */
export const keyId = (key: Redacted.Redacted<Uint8Array>): string => fingerprint(Redacted.value(key))

/**
 * Check a key and return the sealing function used by the sinks: `(plaintext, gzipped) => block`.
 * Fails with a message naming `setting` and the problem (a length, never the bytes).
 *
 * @example
 * ```ts
 * const seal = yield* Encryption.sealer({ key }, "encryption.key")
 * const block = seal(Buffer.from("a line\n"), false)
 * ```
 * @since 0.2.0
 */
export const sealer = (
  options: Options,
  setting = "encryption"
): Effect.Effect<(plaintext: Uint8Array, gzipped: boolean) => Buffer, EncryptionError> =>
  Effect.suspend(() => {
    const bytes: unknown = Redacted.isRedacted(options.key) ? Redacted.value(options.key) : undefined
    const problem = bytes === undefined ? "key: expected a Redacted value (Redacted.make(bytes))" : keyProblem(bytes, options.keyId)
    if (problem !== undefined) return Effect.fail(new EncryptionError({ file: setting, block: 0, offset: 0, reason: problem }))
    const key = { id: options.keyId ?? fingerprint(bytes as Uint8Array), bytes: Uint8Array.from(bytes as Uint8Array) }
    return Effect.succeed((plaintext: Uint8Array, gzipped: boolean) => sealBlock(key, plaintext, gzipped))
  })

/**
 * The key from an environment variable (default `LOG_ENCRYPTION_KEY`) holding 32 bytes in base64,
 * read with `Config.redacted`; an optional second variable gives the key id. A bad value fails
 * with a message naming the variable and what is wrong with it, never the value.
 *
 * @example
 * ```ts
 * const encryption = yield* Encryption.config()               // LOG_ENCRYPTION_KEY
 * const other = yield* Encryption.config("AUDIT_KEY", "AUDIT_KEY_ID")
 * ```
 * @since 0.2.0
 */
export const config = (name = "LOG_ENCRYPTION_KEY", keyIdName?: string): Config.Config<Options> =>
  Config.all([
    Config.redacted(name).pipe(Config.mapOrFail((secret) => {
      const decoded = decodeBase64Key(Redacted.value(secret))
      return typeof decoded === "string"
        ? Either.left(ConfigError.InvalidData([name], `${name}: ${decoded}`))
        : Either.right(Redacted.make<Uint8Array>(decoded))
    })),
    keyIdName === undefined ? Config.succeed(undefined) : Config.option(Config.string(keyIdName)).pipe(Config.map((o) => o._tag === "Some" ? o.value : undefined))
  ]).pipe(Config.map(([key, id]) => ({ key, keyId: id })))

/**
 * A reader's keys by key id, from several writer options (old and new keys during a rotation).
 *
 * @example
 * ```ts
 * const keys = Encryption.keyRing([{ key: oldKey, keyId: "2026-10" }, { key: newKey, keyId: "2026-11" }])
 * ```
 * @since 0.2.0
 */
export const keyRing = (keys: ReadonlyArray<Options>): KeyRing =>
  new Map(keys.map((k) => [k.keyId ?? keyId(k.key), Redacted.value(k.key)] as const))

/**
 * Decrypt a whole file: the plaintext of each readable block, in order, and one
 * `EncryptionError` per block that could not be read (wrong key, modified, torn). Fails only
 * when the file itself cannot be read.
 *
 * @example
 * ```ts
 * const { blocks, errors } = yield* Encryption.decryptFile("logs/app.log", keys)
 * ```
 * @since 0.2.0
 */
export const decryptFile = (
  file: string,
  keys: KeyRing
): Effect.Effect<{ readonly blocks: ReadonlyArray<Buffer>; readonly errors: ReadonlyArray<EncryptionError> }, EncryptionError> =>
  Effect.tryPromise({
    try: () => fs.promises.readFile(file),
    catch: (error) => new EncryptionError({ file, block: 0, offset: 0, reason: `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}` })
  }).pipe(Effect.map((data) => fromData(decryptData(file, data, keys))))

const fromData = (decrypted: DecryptedData) => ({
  blocks: decrypted.blocks,
  errors: decrypted.errors.map((e) => new EncryptionError(e))
})

export type { KeyRing }
