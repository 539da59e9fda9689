import * as fs from "node:fs"
import * as path from "node:path"
import type { Naming } from "./naming.js"
import { scan } from "./naming.js"

export interface Retention {
  /** Rotated files kept (the active file not counted). */
  readonly maxFiles?: number | undefined
  /** Rotated files whose last write is older than this many milliseconds are removed. */
  readonly maxAgeMillis?: number | undefined
  /** Rotated files plus the active file stay within this many bytes (oldest removed first). */
  readonly maxTotalBytes?: number | undefined
}

interface Entry {
  readonly n: number
  readonly files: Array<string>
  readonly bytes: number
  readonly mtime: number
}

/** Rotated files grouped by number (a raw file and its `.gz` mid-compression are one), oldest first. */
const entries = (names: Naming, busy: (file: string) => boolean): Array<Entry> => {
  const byNumber = new Map<number, { files: Array<string>; bytes: number; mtime: number }>()
  for (const f of scan(names)) {
    if (f.kind === "tmp") continue
    const full = path.join(names.dir, f.entry)
    // being compressed: not a candidate yet (removing it would only bring its .gz back later)
    if (f.kind === "raw" && busy(full)) continue
    let stat: fs.Stats
    try {
      stat = fs.statSync(full)
    } catch {
      continue
    }
    const e = byNumber.get(f.n) ?? { files: [], bytes: 0, mtime: 0 }
    e.files.push(full)
    e.bytes += stat.size
    e.mtime = Math.max(e.mtime, stat.mtimeMs)
    byNumber.set(f.n, e)
  }
  return [...byNumber].sort((a, b) => a[0] - b[0]).map(([n, e]) => ({ n, ...e }))
}

const activeSize = (names: Naming): number => {
  try {
    return fs.statSync(names.active).size
  } catch {
    return 0
  }
}

/**
 * Apply the retention limits to the files found by a strict-pattern scan of the directory:
 * only names of our scheme for this path are candidates, never the active file. Returns the
 * files removed.
 */
export const applyRetention = (
  names: Naming,
  policy: Retention,
  now: number,
  busy: (file: string) => boolean = () => false
): Array<string> => {
  const all = entries(names, busy)
  const doomed = new Set<Entry>()
  if (policy.maxFiles !== undefined && all.length > policy.maxFiles) {
    for (const e of all.slice(0, all.length - policy.maxFiles)) doomed.add(e)
  }
  if (policy.maxAgeMillis !== undefined) {
    for (const e of all) if (now - e.mtime > policy.maxAgeMillis) doomed.add(e)
  }
  if (policy.maxTotalBytes !== undefined) {
    let total = activeSize(names)
    for (const e of all) if (!doomed.has(e)) total += e.bytes
    for (const e of all) {
      if (total <= policy.maxTotalBytes) break
      if (doomed.has(e)) continue
      doomed.add(e)
      total -= e.bytes
    }
  }
  const removed: Array<string> = []
  for (const e of doomed) {
    for (const file of e.files) {
      if (file === names.active) continue
      fs.rmSync(file, { force: true })
      removed.push(file)
    }
  }
  return removed
}
