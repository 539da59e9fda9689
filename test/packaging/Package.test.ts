/**
 * The package as a user gets it: `npm pack` (which builds dist/), the tarball's contents, and the
 * tarball installed into fresh projects of their own, run with plain `node` (ESM and CJS), compiled
 * by `tsc` with strict flags, and run against the oldest Effect the peer ranges claim.
 *
 * To cover a new public module: add it as `src/<Name>.ts` and run `npm run exports` (the exports
 * map comes from src/*.ts, see scripts/exports.mjs); the "every exports entry" test below then
 * imports it from the installed package.
 */
import { describe, expect, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { readLines } from "../helpers.js"
import { installProject, run, type Project } from "./npm.js"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
const fixtures = path.join(root, "test", "packaging", "fixtures")
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
  readonly exports: Record<string, string | Record<string, string>>
  readonly peerDependencies: Record<string, string>
  readonly bin?: Record<string, string>
}
const installed = (name: string): string =>
  (JSON.parse(fs.readFileSync(path.join(root, "node_modules", name, "package.json"), "utf8")) as { version: string })
    .version
/** The lower bound of a peer range (`^3.19.19`, `>=0.94.5 <0.98.0`): the oldest version we claim. */
const oldest = (name: string): string => {
  const found = /(\d+\.\d+\.\d+)/.exec(pkg.peerDependencies[name] ?? "")
  if (found === null) throw new Error(`package.json peerDependencies.${name} has no lower bound`)
  return found[1]!
}
const PEERS = ["effect", "@effect/platform", "@effect/platform-node"] as const

interface Packed {
  readonly tarball: string
  readonly files: ReadonlyArray<string>
  /** the versions the repository tests with */
  readonly current: Project
  /** the lower bounds of the peer ranges */
  readonly oldest: Project
}
class PackedTag extends Context.Tag("test/Packed")<PackedTag, Packed>() {}

const PackedLive = Layer.scoped(
  PackedTag,
  Effect.gen(function*() {
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "logfiber-pack-"))),
      (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
    )
    // `npm pack` runs `prepack` = `npm run build`: the tarball holds a fresh dist/
    const packed = yield* run("npm", ["pack", "--json", "--pack-destination", dir], root)
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("["))) as Array<
      { filename: string; files: Array<{ path: string }> }
    >
    const tarball = path.join(dir, info!.filename)
    const [current, old] = yield* Effect.all([
      installProject(path.join(dir, "current"), tarball, [
        ...PEERS.map((name) => `${name}@${installed(name)}`),
        `@types/node@${installed("@types/node")}`
      ]),
      installProject(path.join(dir, "oldest"), tarball, PEERS.map((name) => `${name}@${oldest(name)}`))
    ], { concurrency: 2 })
    for (const project of [current, old]) {
      for (const file of fs.readdirSync(fixtures)) fs.copyFileSync(path.join(fixtures, file), path.join(project.dir, file))
    }
    return { tarball, files: info!.files.map((f) => f.path), current, oldest: old }
  })
)

/** Run a fixture program under plain node; its log file's records, and what it printed. */
const runApp = (project: Project, args: ReadonlyArray<string>, log: string) =>
  Effect.gen(function*() {
    const file = path.join(project.dir, log)
    const result = yield* run("node", [...args, file], project.dir)
    return { result, records: readLines(file).map((line) => JSON.parse(line) as { level: string; message: string }) }
  })

const VERSION_WARNING = /Executing an Effect versioned/

describe("packaging", () => {
  layer(PackedLive, { timeout: "240 seconds" })((it) => {
    it.effect("the tarball holds dist/, the bin, README, LICENSE and package.json, nothing else", () =>
      Effect.gen(function*() {
        const { files } = yield* PackedTag
        const bins = Object.values(pkg.bin ?? {}).map((file) => file.replace(/^\.\//, ""))
        const stray = files.filter((f) =>
          !f.startsWith("dist/") && !["README.md", "LICENSE", "package.json", ...bins].includes(f)
        )
        expect(stray).toEqual([])
        for (const dir of ["test/", "bench/", ".ci/", "scripts/", "src/", "examples/"]) {
          expect(files.filter((f) => f.startsWith(dir))).toEqual([])
        }
        expect(files).toContain("LICENSE")
        // every target of the exports map is in the tarball, with its declarations and source map
        for (const [key, target] of Object.entries(pkg.exports)) {
          if (typeof target === "string") continue
          for (const file of Object.values(target)) expect(files, key).toContain(file.slice(2))
          expect(files, key).toContain(target["import"]!.slice(2) + ".map")
        }
        // a command-line tool (package.json "bin") ships too
        for (const [name, file] of Object.entries(pkg.bin ?? {})) expect(files, name).toContain(file.replace(/^\.\//, ""))
      }))

    it.effect("every exports entry imports under plain node, one per src/*.ts module", () =>
      Effect.gen(function*() {
        const { current } = yield* PackedTag
        // public modules are the PascalCase files of src/ (scripts/exports.mjs)
        const modules = fs.readdirSync(path.join(root, "src")).filter((f) => /^[A-Z]\w*\.ts$/.test(f))
        const specifiers = Object.keys(pkg.exports).filter((k) => k !== "./package.json").map((k) =>
          k === "." ? "logfiber" : `logfiber/${k.slice(2)}`
        )
        expect(specifiers.length).toBe(modules.length + 1)
        const script = `const names = ${JSON.stringify(specifiers)};
for (const n of names) { const m = await import(n); if (Object.keys(m).length === 0) throw new Error(n + " exports nothing") }
console.log("imported " + names.length)`
        const { stdout } = yield* run("node", ["--input-type=module", "-e", script], current.dir)
        expect(stdout.trim()).toBe(`imported ${specifiers.length}`)
      }))

    it.effect("an ESM program under NodeRuntime.runMain writes its lines to the file", () =>
      Effect.gen(function*() {
        const { current } = yield* PackedTag
        const { records, result } = yield* runApp(current, ["app.mjs"], "esm.log")
        expect(records.map((r) => r.message)).toEqual(["esm line 1", "esm line 2", "esm line 3"])
        expect(result.stderr).toBe("")
        // the installed command reads the file back
        for (const name of Object.keys(pkg.bin ?? {})) {
          const cat = yield* run(path.join(current.dir, "node_modules", ".bin", name), ["cat", "esm.log"], current.dir)
          expect(cat.stdout, name).toContain("esm line 3")
        }
      }))

    it.effect("a CommonJS program that requires the package writes its lines to the file", () =>
      Effect.gen(function*() {
        const { current } = yield* PackedTag
        const { records, result } = yield* runApp(current, ["app.cjs"], "cjs.log")
        expect(records.map((r) => r.message)).toEqual(["cjs line 1", "cjs line 2", "cjs line 3"])
        expect(result.stderr).toBe("")
      }))

    it.effect("a program compiled by tsc with strict flags (no skipLibCheck) runs and writes its lines", () =>
      Effect.gen(function*() {
        const { current } = yield* PackedTag
        yield* run(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.app.json"], current.dir)
        const { records, result } = yield* runApp(current, ["out/app.js"], "ts.log")
        expect(records.map((r) => r.message)).toEqual(["ts line 1", "ts line 2", "ts line 3"])
        expect(fs.readFileSync(path.join(current.dir, "ts.log.audit"), "utf8")).toBe("INFO 1\nINFO 2\nINFO 3\n")
        expect(result.stderr).toBe("")
      }))

    it.effect("the oldest effect the peer ranges claim: one copy of Effect, no version warning, the lines in the file", () =>
      Effect.gen(function*() {
        const { oldest: project } = yield* PackedTag
        const listed = yield* run("npm", ["ls", "effect", "--all", "--parseable"], project.dir)
        const copies = [...new Set(listed.stdout.trim().split("\n"))]
        expect(copies).toEqual([path.join(fs.realpathSync(project.dir), "node_modules", "effect")])
        const version = (JSON.parse(fs.readFileSync(path.join(copies[0]!, "package.json"), "utf8")) as { version: string })
          .version
        expect(version).toBe(oldest("effect"))
        const { records, result } = yield* runApp(project, ["app.mjs"], "esm.log")
        expect(records.map((r) => r.message)).toEqual(["esm line 1", "esm line 2", "esm line 3"])
        expect(result.stderr).not.toMatch(VERSION_WARNING)
        expect(result.stdout).not.toMatch(VERSION_WARNING)
        expect(fs.readFileSync(path.join(project.dir, "esm.log"), "utf8")).not.toMatch(VERSION_WARNING)
        expect(result.stderr).toBe("")
      }))
  })
})
