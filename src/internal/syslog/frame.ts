/**
 * One record as a syslog message (RFC 5424 or RFC 3164), a batch as one octet-counted buffer
 * (RFC 6587 §3.4.1), and a record as one datagram no larger than a limit.
 */
import type { LogRecord } from "../../LogRecord.js"
import { cutUtf8 } from "../bytes.js"
import { pri } from "./priority.js"
import { structuredData } from "./structuredData.js"
import { rfc3164, rfc3339 } from "./timestamp.js"

/** What every frame of one sink shares. */
export interface FrameOptions {
  readonly protocol: "rfc5424" | "rfc3164"
  readonly facility: number
  readonly hostname: string
  readonly appName: string
  readonly procId: string
  readonly msgId: (record: LogRecord) => string | undefined
  readonly sdId: string
}

/** A message in three parts, so a datagram can be cut in the message first. */
export interface Parts {
  readonly head: string
  readonly sd: string
  readonly msg: string
}

/** A header token: printable US-ASCII only (others become `_`), at most `max` characters, `-` when empty. */
export const headerToken = (text: string | undefined, max: number): string => {
  if (text === undefined || text === "") return "-"
  let out = ""
  for (let i = 0; i < text.length && out.length < max; i++) {
    const c = text.charCodeAt(i)
    out += c > 32 && c < 127 ? text[i] : "_"
  }
  return out
}

const message = (record: LogRecord): string =>
  record.cause === undefined ? record.message : record.message === "" ? record.cause : `${record.message}\n${record.cause}`

/** The parts of `record` in the sink's protocol. */
export const parts = (options: FrameOptions, record: LogRecord): Parts => {
  const p = pri(options.facility, record.level)
  if (options.protocol === "rfc3164") {
    // TAG is at most 32 alphanumeric characters; the pid follows in brackets
    const tag = options.appName.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 32) || "-"
    return {
      head: `<${p}>${rfc3164(record.time)} ${options.hostname} ${tag}[${options.procId}]:`,
      sd: structuredData(record, options.sdId),
      msg: message(record)
    }
  }
  return {
    head: `<${p}>1 ${rfc3339(record.time)} ${options.hostname} ${options.appName} ${options.procId} ${
      headerToken(options.msgId(record), 32)
    }`,
    sd: structuredData(record, options.sdId),
    msg: message(record)
  }
}

/**
 * The message text. RFC 5424: `HEAD SD MSG`. RFC 3164 has no structured data: the same
 * elements follow the message so old relays keep them as text.
 */
export const join = (protocol: FrameOptions["protocol"], p: Parts): string =>
  protocol === "rfc3164"
    ? `${p.head} ${p.msg}${p.sd === "-" ? "" : " " + p.sd}`
    : p.msg === ""
    ? `${p.head} ${p.sd}`
    : `${p.head} ${p.sd} ${p.msg}`

/** The whole batch as one buffer of octet-counted frames: `LEN SP MSG` each. */
export const octetCounted = (options: FrameOptions, batch: ReadonlyArray<LogRecord>): Buffer => {
  let text = ""
  for (const record of batch) {
    const frame = join(options.protocol, parts(options, record))
    text += `${Buffer.byteLength(frame)} ${frame}`
  }
  return Buffer.from(text, "utf8")
}

/** Smallest datagram limit: RFC 5424 §6.1 requires receivers to take 480 octets. */
export const MIN_DATAGRAM_BYTES = 480
/** Largest UDP payload over IPv4 (65,535 - 8 UDP - 20 IP header bytes): a larger one fails with EMSGSIZE. */
export const MAX_DATAGRAM_BYTES = 65_507

/**
 * One record as one datagram of at most `max` bytes: the message is cut with the visible
 * `…[truncated N bytes]` marker; when the header and structured data alone do not fit, the
 * structured data is replaced by `-` and the message says so.
 */
export const datagram = (options: FrameOptions, record: LogRecord, max: number): Buffer => {
  const p = parts(options, record)
  const whole = Buffer.from(join(options.protocol, p), "utf8")
  if (whole.length <= max) return whole
  let fitted = p
  let fixed = Buffer.byteLength(join(options.protocol, { ...p, msg: "" })) + 1
  if (fixed + 64 > max) {
    // keep the room for a marker the reader can see
    fitted = { ...p, sd: "-", msg: `[structured data dropped: ${Buffer.byteLength(p.sd)} bytes] ${p.msg}` }
    fixed = Buffer.byteLength(join(options.protocol, { ...fitted, msg: "" })) + 1
  }
  return Buffer.from(join(options.protocol, { ...fitted, msg: cutUtf8(fitted.msg, max - fixed) }), "utf8")
}
