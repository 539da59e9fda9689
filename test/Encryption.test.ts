import { describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Redacted from "effect/Redacted"
import * as Layer from "effect/Layer"
import { spawn, spawnSync } from "node:child_process"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { AsyncLogger, DirectorySink, Encryption, FileSink, LogRecord, SinkFromEnv } from "../src/index.js"
import { readDirectoryRecords } from "../src/internal/directory/read.js"
import { tempDir } from "./helpers.js"

const fixture = path.join(import.meta.dirname, "fixtures", "directoryWriter.ts")
const newKey = (keyId?: string): Encryption.Options => ({ key: Redacted.make<Uint8Array>(crypto.randomBytes(32)), keyId })
const batchOf = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => LogRecord.make({ seq: from + i, time: 1_000 + from + i, message: `confidential message ${from + i}` }))

/** An encrypted log of `batches` batches of 10 records; returns its path. */
const encryptedFile = (encryption: Encryption.Options, batches: number) =>
  Effect.gen(function*() {
    const file = path.join(tempDir(), "app.log")
    const sink = yield* FileSink.make({ path: file, encryption })
    for (let b = 0; b < batches; b++) yield* sink.write(batchOf(b * 10, 10))
    return file
  }).pipe(Effect.scoped)

const decryptedLines = (blocks: ReadonlyArray<Buffer>) => Buffer.concat(blocks).toString("utf8").split("\n").filter((l) => l.length > 0)

describe("Encryption", () => {
  it.effect("FileSink: one block per batch, no message in the raw bytes, decrypts to exactly the lines written", () =>
    Effect.gen(function*() {
      const key = newKey()
      const file = yield* encryptedFile(key, 3)
      const raw = fs.readFileSync(file)
      expect(raw.subarray(0, 4).toString("latin1")).toBe("LFEB")
      expect(raw.includes("confidential")).toBe(false)
      const { blocks, errors } = yield* Encryption.decryptFile(file, Encryption.keyRing([key]))
      expect(errors).toEqual([])
      expect(blocks).toHaveLength(3)
      const lines = decryptedLines(blocks)
      expect(lines.map((l) => JSON.parse(l).message)).toEqual(batchOf(0, 30).map((r) => r.message))
    }))

  it.effect("each block has a fresh nonce: the same batch twice gives different bytes", () =>
    Effect.gen(function*() {
      const key = newKey("k1")
      const seal = yield* Encryption.sealer(key)
      const a = seal(Buffer.from("same text\n"), false)
      const b = seal(Buffer.from("same text\n"), false)
      expect(a.subarray(7 + 2, 7 + 2 + 12).equals(b.subarray(9, 21))).toBe(false)
      expect(a.equals(b)).toBe(false)
    }))

  it.effect("a wrong key: the error names the file, the block and the key id, never key bytes", () =>
    Effect.gen(function*() {
      const key = newKey()
      const file = yield* encryptedFile(key, 2)
      const other = newKey()
      const unknown = yield* Encryption.decryptFile(file, Encryption.keyRing([other]))
      expect(unknown.blocks).toEqual([])
      expect(unknown.errors.map((e) => e.message)[0]).toBe(
        `${file}: block 1 (byte offset 0): no key for key id "${Encryption.keyId(key.key)}" (keys given: "${Encryption.keyId(other.key)}")`
      )
      // the same key id on a different key: authentication fails, block by block
      const sameId = yield* Encryption.decryptFile(file, new Map([[Encryption.keyId(key.key), Redacted.value(other.key)]]))
      expect(sameId.errors.map((e) => [e.block, e.reason])).toEqual([
        [1, "authentication failed: wrong key, or the block was modified"],
        [2, "authentication failed: wrong key, or the block was modified"]
      ])
      const keyHex = Buffer.from(Redacted.value(key.key)).toString("hex")
      const keyB64 = Buffer.from(Redacted.value(key.key)).toString("base64")
      for (const e of [...unknown.errors, ...sameId.errors]) {
        expect(`${e.message} ${e.stack} ${JSON.stringify(e)}`).not.toContain(keyHex)
        expect(`${e.message} ${e.stack} ${JSON.stringify(e)}`).not.toContain(keyB64)
      }
    }))

  it.effect("a flipped byte: that block fails authentication, the blocks before and after still read", () =>
    Effect.gen(function*() {
      const key = newKey()
      const file = yield* encryptedFile(key, 3)
      const raw = fs.readFileSync(file)
      const firstLength = raw.length / 3 // blocks of nearly equal size: the middle byte is in block 2
      raw[Math.floor(firstLength * 1.5)]! ^= 0x01
      fs.writeFileSync(file, raw)
      const { blocks, errors } = yield* Encryption.decryptFile(file, Encryption.keyRing([key]))
      expect(errors.map((e) => `block ${e.block}: ${e.reason}`)).toEqual(["block 2: authentication failed: wrong key, or the block was modified"])
      expect(decryptedLines(blocks).map((l) => JSON.parse(l).seq)).toEqual([...batchOf(0, 10), ...batchOf(20, 10)].map((r) => r.seq))
    }))

  it.effect("a truncated last block is reported as torn; every record before it reads", () =>
    Effect.gen(function*() {
      const key = newKey()
      const file = yield* encryptedFile(key, 3)
      const size = fs.statSync(file).size
      fs.truncateSync(file, size - 5)
      const { blocks, errors } = yield* Encryption.decryptFile(file, Encryption.keyRing([key]))
      expect(errors).toHaveLength(1)
      expect(errors[0]!.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: block 3 \\(byte offset \\d+\\): truncated block`))
      expect(decryptedLines(blocks)).toHaveLength(20)
    }))

  it.effect("a torn last block, then a restart appending to the same file: the torn block reported, every block after it read", () =>
    Effect.gen(function*() {
      const key = newKey()
      const file = yield* encryptedFile(key, 2)
      fs.truncateSync(file, fs.statSync(file).size - 7)
      yield* Effect.scoped(Effect.flatMap(FileSink.make({ path: file, encryption: key }), (s) => s.write(batchOf(100, 10))))
      const { blocks, errors } = yield* Encryption.decryptFile(file, Encryption.keyRing([key]))
      expect(errors.map((e) => e.block)).toEqual([2])
      expect(decryptedLines(blocks).map((l) => JSON.parse(l).seq)).toEqual([...batchOf(0, 10), ...batchOf(100, 10)].map((r) => r.seq))
    }))

  it.effect("key rotation: a file written with an old then a new key reads with both keys given", () =>
    Effect.gen(function*() {
      const old = newKey("2026-10")
      const current = newKey("2026-11")
      const file = path.join(tempDir(), "app.log")
      yield* Effect.scoped(Effect.flatMap(FileSink.make({ path: file, encryption: old }), (s) => s.write(batchOf(0, 5))))
      yield* Effect.scoped(Effect.flatMap(FileSink.make({ path: file, encryption: current }), (s) => s.write(batchOf(5, 5))))
      const both = yield* Encryption.decryptFile(file, Encryption.keyRing([old, current]))
      expect(both.errors).toEqual([])
      expect(decryptedLines(both.blocks)).toHaveLength(10)
      const onlyNew = yield* Encryption.decryptFile(file, Encryption.keyRing([current]))
      expect(onlyNew.errors.map((e) => e.reason)).toEqual(["no key for key id \"2026-10\" (keys given: \"2026-11\")"])
      expect(decryptedLines(onlyNew.blocks)).toHaveLength(5)
    }))

  it.effect("DirectorySink: gzip then encryption, one block per file; read back exactly; a wrong key names each file", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const key = newKey()
      const sink = yield* DirectorySink.make({ dir, compress: "gzip", encryption: key })
      const records = batchOf(1, 25)
      yield* sink.write(records)
      const names = fs.readdirSync(dir)
      expect(names.every((n) => n.endsWith(".json.gz.enc"))).toBe(true)
      for (const name of names) expect(fs.readFileSync(path.join(dir, name)).includes("confidential")).toBe(false)
      const read = [...readDirectoryRecords(dir, Encryption.keyRing([key]))]
      expect(read.map((r) => r._tag === "ok" ? JSON.parse(r.text).message : r.reason)).toEqual(records.map((r) => r.message))
      const wrong = [...readDirectoryRecords(dir, Encryption.keyRing([newKey("other")]))]
      expect(wrong.every((r) => r._tag === "failed" && r.reason.startsWith(`${r.file}: block 1 (byte offset 0): no key for key id`))).toBe(true)
    }))

  it.effect("a bad key fails the sink's Layer and Config with the setting named, never the value", () =>
    Effect.gen(function*() {
      const short = yield* Effect.exit(Effect.scoped(FileSink.make({ path: path.join(tempDir(), "a.log"), encryption: { key: Redacted.make<Uint8Array>(Buffer.alloc(16, 7)) } })))
      expect(Exit.isFailure(short) && String(short.cause)).toContain("encryption: expected 32 bytes, got 16")
      const secret = Buffer.alloc(20, 9).toString("base64")
      const bad = yield* Effect.exit(Effect.withConfigProvider(
        Encryption.config(),
        ConfigProvider.fromMap(new Map([["LOG_ENCRYPTION_KEY", secret]]))
      ))
      expect(Exit.isFailure(bad) && String(bad.cause)).toContain("LOG_ENCRYPTION_KEY: expected base64 of 32 bytes, got 20 bytes")
      expect(String(Exit.isFailure(bad) && bad.cause)).not.toContain(secret)
      const good = Buffer.alloc(32, 3)
      const ok = yield* Effect.withConfigProvider(Encryption.config(), ConfigProvider.fromMap(new Map([["LOG_ENCRYPTION_KEY", good.toString("base64")]])))
      expect(Buffer.from(Redacted.value(ok.key)).equals(good)).toBe(true)
      expect(String(ok.key)).toBe("<redacted>")
      const withId = yield* Effect.withConfigProvider(
        Encryption.config("AUDIT_KEY", "AUDIT_KEY_ID"),
        ConfigProvider.fromMap(new Map([["AUDIT_KEY", good.toString("base64url")], ["AUDIT_KEY_ID", "2026-11"]]))
      )
      expect(withId.keyId).toBe("2026-11")
      expect(Buffer.from(Redacted.value(withId.key)).equals(good)).toBe(true)
    }))

  it.effect("SinkFromEnv: LOG_SINK=file with LOG_ENCRYPTION_KEY encrypts the file; a bad key names the variable only", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "env.log")
      const key = crypto.randomBytes(32)
      const env = (value: string) => ConfigProvider.fromMap(new Map([["LOG_SINK", "file"], ["LOG_FILE", file], ["LOG_ENCRYPTION_KEY", value]]))
      yield* Effect.logInfo("from the environment").pipe(
        Effect.provide(AsyncLogger.layer().pipe(Layer.provide(SinkFromEnv.layer))),
        Effect.withConfigProvider(env(key.toString("base64")))
      )
      expect(fs.readFileSync(file).includes("from the environment")).toBe(false)
      const { blocks, errors } = yield* Encryption.decryptFile(file, Encryption.keyRing([{ key: Redacted.make<Uint8Array>(key) }]))
      expect(errors).toEqual([])
      expect(JSON.parse(decryptedLines(blocks)[0]!).message).toBe("from the environment")
      const bad = yield* Effect.exit(Layer.build(SinkFromEnv.layer).pipe(Effect.scoped, Effect.withConfigProvider(env("c2hvcnQ="))))
      expect(Exit.isFailure(bad) && String(bad.cause)).toContain("LOG_ENCRYPTION_KEY: expected base64 of 32 bytes, got 5 bytes")
      expect(String(Exit.isFailure(bad) && bad.cause)).not.toContain("c2hvcnQ=")
    }))

  it.effect("the key, logged on purpose and in the environment of a real run, appears nowhere in its output, stderr, stats or files", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const key = crypto.randomBytes(32)
      const forms = [key.toString("base64"), key.toString("hex"), key.toString("base64url")]
      const run = yield* Effect.promise(() =>
        new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
          const child = spawn(process.execPath, ["--import", "tsx", fixture, "secret", dir, "200"], {
            env: { ...process.env, LOG_ENCRYPTION_KEY: forms[0] },
            stdio: ["ignore", "pipe", "pipe"]
          })
          let stdout = ""
          let stderr = ""
          child.stdout.on("data", (c) => (stdout += c))
          child.stderr.on("data", (c) => (stderr += c))
          child.once("exit", (code) => resolve({ code: code ?? -1, stdout, stderr }))
        })
      )
      expect(run.stderr).toBe("")
      expect(run.code).toBe(0)
      const stats = JSON.parse(run.stdout)
      expect(stats).toMatchObject({ offered: 201, written: 201, dropped: 0, failed: 0 })
      const keys: Encryption.KeyRing = Encryption.keyRing([{ key: Redacted.make<Uint8Array>(key) }])
      const fileText = decryptedLines((yield* Encryption.decryptFile(path.join(dir, "app.log"), keys)).blocks).join("\n")
      const dirText = [...readDirectoryRecords(path.join(dir, "records"), keys)].map((r) => r._tag === "ok" ? r.text : r.reason).join("\n")
      expect(fileText.split("\n")).toHaveLength(201)
      expect(fileText).toContain("\"key\":\"<redacted>\"")
      const raw = [fs.readFileSync(path.join(dir, "app.log")), ...fs.readdirSync(path.join(dir, "records")).map((n) => fs.readFileSync(path.join(dir, "records", n)))]
      for (const form of forms) {
        for (const text of [run.stdout, run.stderr, fileText, dirText]) expect(text).not.toContain(form)
        for (const bytes of raw) expect(bytes.includes(form)).toBe(false)
      }
      for (const bytes of raw) expect(bytes.includes(key)).toBe(false)
    }), 60_000)
})

/** `logfiber cat` run as a real child process (the package's bin). */
const catBin = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  spawnSync(process.execPath, ["bin/logfiber.mjs", "cat", ...args], { encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 256 * 1024 * 1024 })

describe("logfiber cat --key-env", () => {
  it.effect("encrypted rotated files (gzip before encryption): nothing readable raw, every record back in order with the key", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "app.log")
      const key = crypto.randomBytes(32)
      const encryption: Encryption.Options = { key: Redacted.make<Uint8Array>(key) }
      yield* Effect.forEach(Array.from({ length: 5_000 }, (_, i) => i), (i) => Effect.logInfo(`confidential ${i}`, { i }), { discard: true }).pipe(
        Effect.provide(AsyncLogger.layer({ batchSize: 100 }).pipe(Layer.provide(FileSink.layer({ path: file, encryption, rotate: { maxBytes: 8 * 1024, compress: "gzip" } }))))
      )
      const names = fs.readdirSync(dir)
      expect(names.length).toBeGreaterThan(2)
      expect(names.some((n) => n.endsWith(".gz"))).toBe(false)
      for (const name of names) expect(fs.readFileSync(path.join(dir, name)).includes("confidential")).toBe(false)
      const run = catBin([dir, "--key-env", "TEST_LOG_KEY"], { TEST_LOG_KEY: key.toString("base64") })
      expect(run.stderr).toBe("")
      expect(run.status).toBe(0)
      const lines = run.stdout.trimEnd().split("\n")
      expect(lines.map((l) => JSON.parse(l).fields.i)).toEqual(Array.from({ length: 5_000 }, (_, i) => i))
      // without the key: each file named with its first block, exit 1
      const none = catBin([dir], {})
      expect(none.status).toBe(1)
      expect(none.stderr).toContain(`${file}: block 1 (byte offset 0): no key for key id`)
    }), 60_000)

  it.effect("a wrong key, a flipped byte and a truncated last block: each named with file and block, exit 1, the rest printed", () =>
    Effect.gen(function*() {
      const key = newKey()
      const keyText = Buffer.from(Redacted.value(key.key)).toString("base64")
      const wrongFile = yield* encryptedFile(key, 3)
      const flippedFile = yield* encryptedFile(key, 3)
      const tornFile = yield* encryptedFile(key, 3)
      const flipped = fs.readFileSync(flippedFile)
      flipped[flipped.length - 3]! ^= 0x80 // in block 3's tag
      fs.writeFileSync(flippedFile, flipped)
      fs.truncateSync(tornFile, fs.statSync(tornFile).size - 40)
      const wrong = catBin([wrongFile, "--key-env", "K"], { K: crypto.randomBytes(32).toString("base64") })
      expect(wrong.status).toBe(1)
      expect(wrong.stderr).toMatch(/block 1 \(byte offset 0\): no key for key id/)
      const both = catBin([flippedFile, tornFile, "--key-env", "K"], { K: keyText })
      expect(both.status).toBe(1)
      expect(both.stderr).toContain(`${flippedFile}: block 3 (byte offset`)
      expect(both.stderr).toContain("authentication failed: wrong key, or the block was modified")
      expect(both.stderr).toContain(`${tornFile}: block 3 (byte offset`)
      expect(both.stderr).toContain("truncated block")
      // blocks 1 and 2 of each file: 2 x 20 records
      expect(both.stdout.trimEnd().split("\n")).toHaveLength(40)
      expect(`${wrong.stderr}${both.stderr}`).not.toContain(keyText)
    }), 60_000)

  it.effect("bad --key-env: the variable named, never its value; exit 2", () =>
    Effect.gen(function*() {
      const missing = catBin(["/tmp", "--key-env", "NOT_SET_ANYWHERE"], {})
      expect(missing.status).toBe(2)
      expect(missing.stderr).toContain("--key-env NOT_SET_ANYWHERE: the variable is not set")
      const value = Buffer.alloc(16, 1).toString("base64")
      const short = catBin(["/tmp", "--key-env", "SHORT_KEY"], { SHORT_KEY: value })
      expect(short.status).toBe(2)
      expect(short.stderr).toContain("--key-env SHORT_KEY: expected base64 of 32 bytes, got 16 bytes")
      expect(short.stderr).not.toContain(value)
    }))
})
