import { parseArgs } from "node:util"
import type { Level } from "../../LogRecord.js"

export type OutputFormat = "json" | "logfmt" | "pretty" | "pino"

export interface CatOptions {
  readonly inputs: ReadonlyArray<string>
  readonly format: OutputFormat
  /** Records below this level are left out. */
  readonly level: number
  readonly since: number
  readonly until: number
  readonly grep: RegExp | undefined
  readonly follow: boolean
  /** `--key-env NAME[=KEYID]`, repeatable: environment variables holding base64 keys. */
  readonly keyEnv: ReadonlyArray<string>
}

export const USAGE = `Usage: logfiber cat [options] <file|dir>...

Print the records of log files written by logfiber (JSON or pino lines), oldest first:
active and rotated files (.gz decompressed) merged by time, then sequence number.
A directory stands for every file in it, and for the DirectorySink record files under it
(subdirectories included), merged in time order. Encrypted files are recognised by their
first bytes and need --key-env.

Options:
  --format <json|logfmt|pretty|pino>  output format (default json: the lines as written)
  --level <level>                     minimum level: trace, debug, info, warn, error, fatal
  --since <time>                      records at or after: ISO-8601 time, or an age (30s, 15m, 2h, 7d)
  --until <time>                      records before: the same forms
  --grep <regex>                      records whose line matches (JavaScript regular expression)
  -f, --follow                        keep printing as the files grow, across rotations
  --key-env <NAME[=KEYID]>            decrypt with the base64 key in environment variable NAME
                                      (repeatable: one per key id; KEYID when the writer set one)
  -h, --help                          this text
`

const LEVEL_ORDER: ReadonlyArray<Level> = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]
export const levelRank = (level: Level): number => {
  const i = LEVEL_ORDER.indexOf(level)
  return i === -1 ? (level === "ALL" ? -1 : LEVEL_ORDER.length) : i
}

const AGE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/
const UNIT: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }
/** The ISO-8601 forms accepted: a date, or a date and time (minutes at least) with an optional zone. */
const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(?:Z|[+-](\d{2}):(\d{2}))?)?$/

/**
 * Whether each field of an `ISO_TIME` match is in range. `Date.parse` alone is not enough: it
 * rolls 2026-02-31 over to March 3 and reads a bare `1` as the year 2001.
 */
const isRealTime = (m: RegExpExecArray): boolean => {
  const [year, month, day, hour = 0, minute = 0, second = 0, zoneHour = 0, zoneMinute = 0] = m.slice(1).map(
    (field) => field === undefined ? undefined : Number(field)
  )
  const date = new Date(Date.UTC(year!, month! - 1, day!))
  return date.getUTCFullYear() === year && date.getUTCMonth() === month! - 1 && date.getUTCDate() === day &&
    hour <= 23 && minute <= 59 && second <= 59 && zoneHour <= 23 && zoneMinute <= 59
}

/** An ISO-8601 time or an age before `now`; throws a message naming the option. */
const timeArg = (option: string, value: string | undefined, fallback: number, now: number): number => {
  if (value === undefined) return fallback
  const age = AGE.exec(value)
  if (age !== null) return now - Number(age[1]) * UNIT[age[2]!]!
  const iso = ISO_TIME.exec(value)
  const time = iso !== null && isRealTime(iso) ? Date.parse(value) : Number.NaN
  if (Number.isNaN(time)) {
    throw new Error(
      `--${option} ${value}: expected an ISO-8601 date or time (2026-11-30, 2026-11-30T10:00:00Z) or an age (30s, 15m, 2h, 7d)`
    )
  }
  return time
}

export type Parsed = { readonly _tag: "help" } | { readonly _tag: "cat"; readonly options: CatOptions }

/** Parse `argv` (without node and the script); throws an Error whose message is for the user. */
export const parse = (argv: ReadonlyArray<string>, now: number): Parsed => {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      format: { type: "string" },
      level: { type: "string" },
      since: { type: "string" },
      until: { type: "string" },
      grep: { type: "string" },
      follow: { type: "boolean", short: "f" },
      "key-env": { type: "string", multiple: true },
      help: { type: "boolean", short: "h" }
    }
  })
  if (values.help === true) return { _tag: "help" }
  const [command, ...inputs] = positionals
  if (command !== "cat") throw new Error(command === undefined ? "missing command: cat" : `unknown command: ${command}`)
  if (inputs.length === 0) throw new Error("cat: no file or directory given")
  const format = values.format ?? "json"
  if (format !== "json" && format !== "logfmt" && format !== "pretty" && format !== "pino") {
    throw new Error(`--format ${format}: expected json, logfmt, pretty or pino`)
  }
  let level = -1
  if (values.level !== undefined) {
    level = LEVEL_ORDER.indexOf(values.level.toUpperCase() as Level)
    if (level === -1) throw new Error(`--level ${values.level}: expected trace, debug, info, warn, error or fatal`)
  }
  let grep: RegExp | undefined
  if (values.grep !== undefined) {
    try {
      grep = new RegExp(values.grep)
    } catch (error) {
      throw new Error(`--grep ${values.grep}: ${(error as Error).message}`)
    }
  }
  return {
    _tag: "cat",
    options: {
      inputs,
      format,
      level,
      since: timeArg("since", values.since, -Infinity, now),
      until: timeArg("until", values.until, Infinity, now),
      grep,
      follow: values.follow === true,
      keyEnv: values["key-env"] ?? []
    }
  }
}
