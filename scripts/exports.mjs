#!/usr/bin/env node
// The one place the package's public entry points come from: every top-level `src/<Name>.ts`
// with a PascalCase name is a public module, exported as `logfiber/<Name>` and re-exported by
// `src/index.ts` (lower-case files there, such as `src/bin.ts`, the CLI's entry, are not).
// Adding a module = add `src/<Name>.ts`, add `export * as <Name> from "./<Name>.js"` to
// `src/index.ts`, run `npm run exports` (rewrites package.json's `exports`) and commit both.
// `npm run build` (and so `npm pack`, and the packaging test) runs this with `--check` and fails
// if package.json or src/index.ts is out of step with src/.
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const check = process.argv.includes("--check")

const modules = fs.readdirSync(path.join(root, "src"))
  .filter((f) => /^[A-Z]\w*\.ts$/.test(f))
  .map((f) => f.slice(0, -".ts".length))
  .sort()

const entry = (name) => ({
  types: `./dist/${name}.d.ts`,
  import: `./dist/${name}.js`,
  // `require("logfiber")` on Node >= 20.19 loads the ESM build (require(esm))
  default: `./dist/${name}.js`
})

const exportsMap = { ".": entry("index") }
for (const name of modules) exportsMap[`./${name}`] = entry(name)
exportsMap["./package.json"] = "./package.json"

const problems = []
const index = fs.readFileSync(path.join(root, "src", "index.ts"), "utf8")
for (const name of modules) {
  if (!index.includes(`export * as ${name} from "./${name}.js"`)) {
    problems.push(`src/index.ts lacks: export * as ${name} from "./${name}.js"`)
  }
}

const pkgPath = path.join(root, "package.json")
const pkgText = fs.readFileSync(pkgPath, "utf8")
const pkg = JSON.parse(pkgText)
const same = JSON.stringify(pkg.exports) === JSON.stringify(exportsMap)

if (check) {
  if (!same) problems.push("package.json \"exports\" is out of step with src/*.ts: run `npm run exports`")
  if (problems.length > 0) {
    console.error(`exports: ${problems.join("\n")}`)
    process.exit(1)
  }
} else {
  if (!same) {
    pkg.exports = exportsMap
    fs.writeFileSync(pkgPath, JSON.stringify(pkg, null, 2) + "\n")
    console.log(`exports: package.json now exports ${Object.keys(exportsMap).join(", ")}`)
  }
  for (const p of problems) console.error(`exports: ${p}`)
  if (problems.length > 0) process.exit(1)
}
