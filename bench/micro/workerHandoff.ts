// Would a worker_threads writer win? The main thread must still hand each record over: compare
// what postMessage pays on the sender with formatting in place. Run: npx tsx bench/micro/workerHandoff.ts
import { Format, LogRecord } from "../../src/index.js"
import { MessageChannel } from "node:worker_threads"
const recs = Array.from({ length: 512 }, (_, i) => LogRecord.make({ seq: i, message: "request handled", fields: { n: i, s: "short", path: "/api/items/42" }, fiber: "#3", time: 1_700_000_000_000 + (i >> 4) }))
const { port1, port2 } = new MessageChannel()
port2.on("message", () => {}); port2.unref()
const time = (label: string, f: () => unknown) => {
  for (let w = 0; w < 200; w++) f()
  const t = performance.now()
  for (let r = 0; r < 2000; r++) f()
  console.log(label.padEnd(28), (((performance.now() - t) * 1000) / (2000 * 512)).toFixed(3), "us/record")
}
for (let k = 0; k < 2; k++) {
  time("Format.json (main thread)", () => { let n = 0; for (const r of recs) n += Format.json(r).length; return n })
  time("structuredClone(batch)", () => structuredClone(recs))
  time("port.postMessage(batch)", () => port1.postMessage(recs))
}
process.exit(0)
