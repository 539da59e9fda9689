/**
 * A hand-made SVG: for each burst case, a bar for records/s (left) and one for peak RSS (right).
 */
import { caseById } from "../suite.js"
import { burstRecords } from "./markdown.js"
import type { Results } from "./results.js"

const escape = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

const panel = (
  x: number,
  top: number,
  width: number,
  title: string,
  values: ReadonlyArray<{ readonly value: number; readonly highlight: boolean; readonly text: string }>,
  color: string
): string => {
  const max = Math.max(...values.map((v) => v.value), 1)
  const rowHeight = 28
  let out = `<text x="${x}" y="${top - 12}" font-weight="bold">${escape(title)}</text>`
  values.forEach((v, i) => {
    const y = top + i * rowHeight
    const w = Math.max(1, (v.value / max) * width)
    out += `<rect x="${x}" y="${y}" width="${w.toFixed(1)}" height="${rowHeight - 8}" fill="${v.highlight ? color : "#9aa5b1"}"/>`
    out += `<text x="${(x + w + 6).toFixed(1)}" y="${y + rowHeight - 13}">${escape(v.text)}</text>`
  })
  return out
}

export const renderChart = (results: Results): string => {
  const cases = results.burst
  const labelWidth = 300
  const panelWidth = 330
  const top = 60
  const height = top + cases.length * 28 + 30
  const width = labelWidth + 2 * (panelWidth + 110)
  let body = ""
  cases.forEach((r, i) => {
    body += `<text x="${labelWidth - 10}" y="${top + i * 28 + 15}" text-anchor="end">${escape(results.labels[r.id] ?? r.id)}</text>`
  })
  const highlight = (id: string) => caseById(id)?.logfiber === true
  body += panel(
    labelWidth,
    top,
    panelWidth,
    "records/s, end to end (higher is better)",
    cases.map((r) => ({ value: r.recordsPerSec, highlight: highlight(r.id), text: Math.round(r.recordsPerSec).toLocaleString("en-US") })),
    "#2f7ed8"
  )
  body += panel(
    labelWidth + panelWidth + 110,
    top,
    panelWidth,
    "peak RSS, MiB (lower is better)",
    cases.map((r) => ({ value: r.peakRssMiB, highlight: highlight(r.id), text: `${Math.round(r.peakRssMiB)} MiB` })),
    "#e4572e"
  )
  const m = results.machine
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="Helvetica, Arial, sans-serif" font-size="13">` +
    `<rect width="100%" height="100%" fill="#ffffff"/>` +
    `<text x="10" y="22" font-size="15" font-weight="bold">${escape(burstRecords(results))} of JSON to a file, one process per case</text>` +
    `<text x="${width - 10}" y="22" text-anchor="end" fill="#555">${escape(`${m.cpu}, Node ${m.node}, ${m.date.slice(0, 10)}`)}</text>` +
    body + "</svg>\n"
}
