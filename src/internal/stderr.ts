import * as fs from "node:fs"

/**
 * Last-resort output. Goes through `process.stderr.write` when the stream is usable (so tests
 * and hosts that capture stderr see it), else straight to file descriptor 2. Never throws.
 */
export const writeStderr = (text: string): void => {
  try {
    if (process.stderr.writable) {
      process.stderr.write(text)
      return
    }
    fs.writeSync(2, text)
  } catch {
    // nowhere left to report to
  }
}
