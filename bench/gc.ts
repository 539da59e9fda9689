/**
 * Summarise V8's `--trace-gc-nvp` output read from stdin: scavenges, mark-compacts, total GC
 * pause and the mean bytes promoted per scavenge (lines that are not GC traces, such as a case's
 * RESULT line, are ignored). Usage, after any `npm run bench` has built bench/.build/:
 *   BENCH_RECORDS=1000000 node --trace-gc-nvp bench/.build/logfiber.mjs logfiber | npx tsx bench/gc.ts
 */
import * as fs from "node:fs"

const number = (line: string, key: string): number => Number(new RegExp(`(?:^|\\s)${key}=([0-9.]+)`).exec(line)?.[1] ?? 0)

let [scavenges, markCompacts, pauseMs, promoted] = [0, 0, 0, 0]
for (const line of fs.readFileSync(0, "utf8").split("\n")) {
  if (!/\sgc=/.test(line)) continue
  pauseMs += number(line, "pause")
  if (/\sgc=s\s/.test(line)) {
    scavenges++
    promoted += number(line, "promoted")
  } else if (/\sgc=mc\s/.test(line)) markCompacts++
}
console.log(
  `scavenges ${scavenges}, mark-compacts ${markCompacts}, GC pauses ${pauseMs.toFixed(0)} ms, ` +
    `promoted per scavenge ${scavenges === 0 ? 0 : (promoted / scavenges / 1024).toFixed(0)} KB`
)
