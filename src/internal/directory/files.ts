/**
 * Writing one record's file: body to a temporary name in the target directory (`wx`: never
 * an existing file), then `link` to the final name and `unlink` of the temporary name. `link`
 * is the rename that never replaces: a name that exists already (another writer, however
 * unlikely) gets a `-1`, `-2`, ... suffix instead of being overwritten. A reader never sees a
 * partial file under a final name.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { promisify } from "node:util"

/** One file to create: directory, final name, bytes. */
export interface Target {
  readonly dir: string
  readonly name: string
  readonly body: Uint8Array
}

const MAX_SUFFIX = 100

let temps = 0
/** Hidden, and unique per attempt (a retried batch never meets its own earlier temporary file). */
const tempName = (target: Target): string => path.join(target.dir, `.${target.name}.${(temps++).toString(36)}.tmp`)

const withSuffix = (name: string, n: number): string => {
  if (n === 0) return name
  const dot = name.indexOf(".", name.indexOf("Z-"))
  return `${name.slice(0, dot)}-${n}${name.slice(dot)}`
}

// the callback API: fs.promises.writeFile goes through a FileHandle (open, write, close as
// separate round trips), measured three times slower per small file
const writeFile = promisify(fs.writeFile)

const isCode = (error: unknown, code: string): boolean => (error as NodeJS.ErrnoException)?.code === code

/** Write `target` asynchronously; resolves to the name used. */
export const writeTarget = async (target: Target, mode: number, ensureDir: (dir: string) => Promise<void>): Promise<string> => {
  const temp = tempName(target)
  try {
    await writeFile(temp, target.body, { flag: "wx", mode })
  } catch (error) {
    // the directory was removed (or never made): make it and try once more
    if (!isCode(error, "ENOENT")) throw error
    await ensureDir(target.dir)
    await writeFile(temp, target.body, { flag: "wx", mode })
  }
  try {
    for (let n = 0; n <= MAX_SUFFIX; n++) {
      const name = withSuffix(target.name, n)
      try {
        await fs.promises.link(temp, path.join(target.dir, name))
        return name
      } catch (error) {
        if (!isCode(error, "EEXIST")) throw error
      }
    }
    throw new Error(`${target.name}: ${MAX_SUFFIX} names taken`)
  } finally {
    await fs.promises.unlink(temp).catch(() => undefined)
  }
}

/** The same, synchronously (the sink's `writeSync`, used for critical records and at exit). */
export const writeTargetSync = (target: Target, mode: number): string => {
  const temp = tempName(target)
  fs.mkdirSync(target.dir, { recursive: true })
  fs.writeFileSync(temp, target.body, { flag: "wx", mode })
  try {
    for (let n = 0; n <= MAX_SUFFIX; n++) {
      const name = withSuffix(target.name, n)
      try {
        fs.linkSync(temp, path.join(target.dir, name))
        return name
      } catch (error) {
        if (!isCode(error, "EEXIST")) throw error
      }
    }
    throw new Error(`${target.name}: ${MAX_SUFFIX} names taken`)
  } finally {
    try {
      fs.unlinkSync(temp)
    } catch {
      // already gone
    }
  }
}
