/**
 * Level names. Three spellings meet here: code uses Effect's names (`"Warning"`, with `"Warn"`
 * accepted as an alias), the environment lower case (`warn`), and records and output Effect's
 * labels (`"WARN"`). Every name is accepted in any case.
 */
import * as LogLevel from "effect/LogLevel"

/** A level name as code spells it (Effect's names, plus `"Warn"`), or a `LogLevel`. */
export type LevelInput = LogLevel.Literal | "Warn" | LogLevel.LogLevel

const BY_NAME: ReadonlyMap<string, LogLevel.LogLevel> = new Map([
  ...LogLevel.allLevels.map((l) => [l._tag.toLowerCase(), l] as const),
  ...LogLevel.allLevels.map((l) => [l.label.toLowerCase(), l] as const),
  ["warn", LogLevel.Warning],
  ["off", LogLevel.None]
])

/** The names listed in error messages. */
export const LEVEL_NAMES = "All, Trace, Debug, Info, Warning (or Warn), Error, Fatal, None"

/** The level of a name or `LogLevel`; throws an `Error` naming `setting` and the value. */
export const toLevel = (setting: string, input: LevelInput): LogLevel.LogLevel => {
  // a LogLevel is matched by its tag: one from another copy of Effect is still understood
  const name = typeof input === "string" ? input : (input as { readonly _tag?: unknown })?._tag
  const level = typeof name === "string" ? BY_NAME.get(name.toLowerCase()) : undefined
  if (level !== undefined) return level
  throw new Error(`logfiber: ${setting} must be one of ${LEVEL_NAMES}; got ${JSON.stringify(input)}`)
}

/** A record's level label (`"WARN"`) -> its ordinal; unknown labels rank as Info. */
export const labelOrdinal = (label: string): number => (BY_NAME.get(label.toLowerCase()) ?? LogLevel.Info).ordinal
