/**
 * Read log files back: what `npx logfiber cat` runs, importable to use from code or tests.
 * It decompresses `.gz` files, merges the active and rotated files of a log (by time, then
 * `seq`), filters by level, time and a regular expression, and prints JSON (the lines as
 * written), logfmt, pretty or pino lines; `--follow` keeps printing as the file grows and
 * across rotations. A missing file, a corrupt `.gz` or a line that is not JSON is reported on
 * stderr, the rest is still printed, and the exit code is 1.
 *
 * @example
 * ```sh
 * npx logfiber cat logs/ --level warn --since 2h --format pretty
 * npx logfiber cat logs/app.log --follow
 * ```
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import { runCat } from "./internal/reader/cat.js"
import type { CatIO } from "./internal/reader/printer.js"

/**
 * Where `cat` prints: `out` receives records (its promise is awaited: back-pressure), `err`
 * the messages; `signal` ends `--follow`.
 *
 * @since 0.2.0
 */
export type IO = CatIO

/**
 * Run `logfiber cat` with `args` (everything after `logfiber`, e.g. `["cat", "logs/", "--level",
 * "warn"]`); succeeds with the exit code: 0 everything read, 1 something could not be read
 * (each reported on `err`), 2 bad arguments.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Reader } from "logfiber"
 *
 * let text = ""
 * const code = await Effect.runPromise(Reader.cat(["cat", "logs/app.log"], {
 *   out: async (chunk) => { text += chunk },
 *   err: (message) => process.stderr.write(message)
 * }))
 * ```
 * @since 0.2.0
 */
export const cat = (args: ReadonlyArray<string>, io: IO): Effect.Effect<number> =>
  Effect.promise(() => runCat(args, io))

/**
 * The command-line entry: reads `process.argv`, prints to stdout/stderr, sets the exit code;
 * Ctrl-C ends `--follow` cleanly, and a closed stdout (`| head`) ends the run quietly.
 *
 * @example
 * ```ts
 * await Reader.main(process.argv.slice(2))
 * ```
 * @since 0.2.0
 */
export const main = async (args: ReadonlyArray<string>): Promise<void> => {
  const stop = new AbortController()
  process.once("SIGINT", () => stop.abort())
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0)
  })
  const out = (text: string): Promise<void> =>
    new Promise((resolve) => {
      if (process.stdout.write(text)) resolve()
      else process.stdout.once("drain", resolve)
    })
  process.exitCode = await runCat(args, { out, err: (text) => void process.stderr.write(text), signal: stop.signal })
}
