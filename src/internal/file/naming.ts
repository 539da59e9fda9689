import * as fs from "node:fs"
import * as path from "node:path"

/**
 * Names of rotated files. For the active file `dir/app.log` a rotated file is
 * `dir/app.<period>.<n>.log`, `.gz` appended once compressed, where
 * - `<period>` is `YYYY-MM-DD` (daily, and size-only rotation) or `YYYY-MM-DDTHH` (hourly): the
 *   period the file's records belong to (size-only: the day its first record was written);
 * - `<n>` is a counter for this path that only grows: one more than the highest number found in
 *   the directory at start, so a restart never reuses a name. Sorting by `<n>` is time order.
 * A compression in progress writes `app.<period>.<n>.log.gz.tmp`.
 */
export interface Naming {
  readonly dir: string
  readonly active: string
  /** Full path of rotated file number `n` of `period`. */
  readonly rotated: (period: string, n: number) => string
  /** Parse a directory entry; `undefined` for anything that is not one of ours. */
  readonly parse: (entry: string) => RotatedName | undefined
}

export interface RotatedName {
  readonly entry: string
  readonly period: string
  readonly n: number
  readonly kind: "raw" | "gz" | "tmp"
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** Split `app.log` into `app` + `.log`; a name without an extension keeps an empty one. */
const splitName = (base: string): readonly [string, string] => {
  const ext = path.extname(base)
  return ext === "" || ext === base ? [base, ""] : [base.slice(0, -ext.length), ext]
}

export const naming = (activePath: string): Naming => {
  const active = path.resolve(activePath)
  const dir = path.dirname(active)
  const [stem, ext] = splitName(path.basename(active))
  // strict: exactly our stem, a period label, a number, our extension, then nothing or .gz(.tmp)
  const pattern = new RegExp(
    `^${escape(stem)}\\.(\\d{4}-\\d{2}-\\d{2}(?:T\\d{2})?)\\.([1-9]\\d{0,14})${escape(ext)}(\\.gz(?:\\.tmp)?)?$`
  )
  return {
    dir,
    active,
    rotated: (period, n) => path.join(dir, `${stem}.${period}.${n}${ext}`),
    parse: (entry) => {
      const m = pattern.exec(entry)
      if (m === null) return undefined
      const kind = m[3] === undefined ? "raw" : m[3] === ".gz" ? "gz" : "tmp"
      return { entry, period: m[1]!, n: Number(m[2]), kind }
    }
  }
}

/** Every rotated file (and temporary) of this path, sorted oldest first (by number). */
export const scan = (names: Naming): Array<RotatedName> => {
  let entries: Array<string>
  try {
    entries = fs.readdirSync(names.dir)
  } catch {
    return []
  }
  const found: Array<RotatedName> = []
  for (const entry of entries) {
    const parsed = names.parse(entry)
    if (parsed !== undefined) found.push(parsed)
  }
  return found.sort((a, b) => a.n - b.n)
}

/** The number the next rotated file gets: one past the highest in the directory. */
export const nextNumber = (names: Naming): number => {
  let highest = 0
  for (const f of scan(names)) highest = Math.max(highest, f.n)
  return highest + 1
}
