#!/usr/bin/env node
// `logfiber` command. The compiled entry (dist/bin.js) when the package has been built;
// in a clone without a build, the TypeScript source through tsx (a devDependency).
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"

const compiled = new URL("../dist/bin.js", import.meta.url)
if (existsSync(fileURLToPath(compiled))) {
  await import(compiled.href)
} else {
  const { register } = await import("tsx/esm/api")
  register()
  await import(new URL("../src/bin.ts", import.meta.url).href)
}
