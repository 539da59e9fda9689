/**
 * Summarise a V8 .cpuprofile (from `node --cpu-prof`): self time per function, top N.
 * Usage: `npx tsx bench/profile.ts <file.cpuprofile> [N]`
 */
import * as fs from "node:fs"

interface Node {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly hitCount?: number
}
interface Profile {
  readonly nodes: ReadonlyArray<Node>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

const [file, topArg] = process.argv.slice(2)
if (file === undefined) throw new Error("usage: tsx bench/profile.ts <file.cpuprofile> [N]")
const profile = JSON.parse(fs.readFileSync(file, "utf8")) as Profile
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const self = new Map<string, number>()
let total = 0
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0
  const frame = byId.get(id)!.callFrame
  const where = frame.url === "" ? "" : ` ${frame.url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*\/(src|bench)\//, "$1/")}:${frame.lineNumber + 1}`
  const key = `${frame.functionName || "(anonymous)"}${where}`
  self.set(key, (self.get(key) ?? 0) + dt)
  total += dt
})
const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 40))
for (const [key, us] of rows) console.log(`${(us / 1000).toFixed(0).padStart(7)} ms ${((us / total) * 100).toFixed(1).padStart(5)} %  ${key}`)
console.log(`${(total / 1000).toFixed(0).padStart(7)} ms total`)
