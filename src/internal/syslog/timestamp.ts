/**
 * Timestamps in local time with the machine's offset: RFC 3339 with microseconds for RFC 5424
 * (`2026-11-30T10:15:42.123000+01:00`), `Mmm dd hh:mm:ss` for RFC 3164.
 */

const pad = (n: number, width = 2): string => String(n).padStart(width, "0")

/** The local wall-clock fields of `time` and its UTC offset in minutes (east positive). */
const local = (time: number) => {
  const offset = -new Date(time).getTimezoneOffset()
  return { date: new Date(time + offset * 60_000), offset }
}

// records in a batch mostly share their millisecond: render once per distinct value
let lastTime = NaN
let lastText = ""

/** RFC 3339 text with six fraction digits (records carry milliseconds) and `+hh:mm` offset. */
export const rfc3339 = (time: number): string => {
  if (time === lastTime) return lastText
  if (!Number.isFinite(time)) return "-" // NILVALUE: an invalid time is not forged
  const { date, offset } = local(time)
  const sign = offset < 0 ? "-" : "+"
  const abs = Math.abs(offset)
  lastTime = time
  lastText = `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}` +
    `T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}` +
    `.${pad(date.getUTCMilliseconds(), 3)}000${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  return lastText
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

/** RFC 3164 text: `Nov  3 09:05:01` (day padded with a space), local time, no year, no zone. */
export const rfc3164 = (time: number): string => {
  const { date } = local(Number.isFinite(time) ? time : Date.now())
  return `${MONTHS[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, " ")} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`
}
