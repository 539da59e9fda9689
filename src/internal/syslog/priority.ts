/**
 * Syslog PRI: facility (RFC 5424 §6.2.1, table 1) times 8 plus the severity of the level.
 */
import type { Level } from "../../LogRecord.js"

/** Facility names as rsyslog and syslog.conf spell them. */
export const FACILITIES: Readonly<Record<string, number>> = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  ntp: 12,
  security: 13,
  console: 14,
  clock: 15,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23
}

/** A facility by name (`"local0"`) or number (0..23). */
export type Facility = keyof typeof FACILITIES | number

/** The facility's number, or `undefined` when the name or number is not one. */
export const facilityCode = (facility: string | number): number | undefined => {
  if (typeof facility === "number") {
    return Number.isInteger(facility) && facility >= 0 && facility <= 23 ? facility : undefined
  }
  const trimmed = facility.trim().toLowerCase()
  if (/^\d+$/.test(trimmed)) return facilityCode(Number(trimmed))
  return Object.prototype.hasOwnProperty.call(FACILITIES, trimmed) ? FACILITIES[trimmed] : undefined
}

/**
 * Severity of a level (also journald's PRIORITY): Fatal = crit (2), Error = err (3),
 * Warning = warning (4), Info = info (6), Debug and Trace = debug (7).
 */
export const severity = (level: Level): number => {
  switch (level) {
    case "FATAL":
      return 2
    case "ERROR":
      return 3
    case "WARN":
      return 4
    case "INFO":
      return 6
    default:
      return 7
  }
}

/** PRI value: facility * 8 + severity. */
export const pri = (facility: number, level: Level): number => facility * 8 + severity(level)
