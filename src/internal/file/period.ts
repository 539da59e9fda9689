/**
 * The period (hour or day) a timestamp belongs to, as the label used in rotated names
 * (`2026-11-30`, `2026-11-30T13`), in UTC or in an IANA time zone.
 *
 * Every time zone's offset is a multiple of 15 minutes, so a label is constant within a UTC
 * quarter hour: the label is computed once per quarter hour and a record costs one division.
 */
export type Interval = "hourly" | "daily"

export interface Periods {
  /** The label of the period holding `time` (epoch milliseconds). */
  readonly label: (time: number) => string
}

const QUARTER_HOUR = 15 * 60 * 1000
const pad = (n: number): string => (n < 10 ? "0" : "") + n

const utcLabel = (interval: Interval) => (time: number): string => {
  const d = new Date(time)
  const day = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`
  return interval === "daily" ? day : `${day}T${pad(d.getUTCHours())}`
}

const zonedLabel = (interval: Interval, timeZone: string) => {
  const format = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    hourCycle: "h23"
  })
  return (time: number): string => {
    const parts: Record<string, string> = {}
    for (const p of format.formatToParts(time)) parts[p.type] = p.value
    const day = `${parts.year}-${parts.month}-${parts.day}`
    return interval === "daily" ? day : `${day}T${parts.hour}`
  }
}

/** Validate `timeZone` (throws a RangeError naming it) and build the labeller. */
export const periods = (interval: Interval, timeZone: string | undefined): Periods => {
  const compute = timeZone === undefined || timeZone === "UTC" ? utcLabel(interval) : zonedLabel(interval, timeZone)
  let slot = Number.NaN
  let cached = ""
  return {
    label: (time) => {
      const s = Math.floor(time / QUARTER_HOUR)
      if (s !== slot) {
        slot = s
        cached = compute(time)
      }
      return cached
    }
  }
}
