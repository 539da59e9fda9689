/**
 * The variables `SinkFromEnv` reads for each sink, decoded with Schema like `options.ts` does,
 * each failing with a message that names the variable and the value.
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as JournaldSink from "../JournaldSink.js"
import type * as SyslogSink from "../SyslogSink.js"
import { lower as literals, readVariable as variable } from "./options.js"
import { facilityCode } from "./syslog/priority.js"

/** `LOG_SYSLOG_URL` decoded: transport and address. */
type SyslogAddress = Pick<SyslogSink.Options, "transport" | "host" | "port" | "path">

const parseSyslogUrl = (text: string): SyslogAddress | undefined => {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return undefined
  }
  const transport = url.protocol.slice(0, -1)
  if (transport === "unix") return url.host === "" && url.pathname.length > 1 ? { transport, path: decodeURIComponent(url.pathname) } : undefined
  if (transport !== "udp" && transport !== "tcp") return undefined
  if (url.hostname === "" || (url.pathname !== "" && url.pathname !== "/")) return undefined
  return { transport, host: url.hostname.replace(/^\[(.*)\]$/, "$1"), port: url.port === "" ? 514 : Number(url.port) }
}

const SyslogUrl = Schema.String.pipe(Schema.filter((text) => parseSyslogUrl(text) !== undefined))
const Facility = Schema.String.pipe(Schema.filter((text) => facilityCode(text) !== undefined))
const Name = Schema.String.pipe(Schema.pattern(/^[\x21-\x7e]+$/))
const Namespace = Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9_.-]+$/))

/** `LOG_SYSLOG_URL` (default `udp://127.0.0.1:514`), `LOG_SYSLOG_FACILITY`, `LOG_SYSLOG_PROTOCOL`, `LOG_SYSLOG_APP_NAME`. */
export const syslogOptions: Config.Config<SyslogSink.Options> = Config.map(
  Config.all({
    url: variable("LOG_SYSLOG_URL", "udp://host:port, tcp://host:port or unix:///path", SyslogUrl),
    facility: variable("LOG_SYSLOG_FACILITY", "a facility name such as local0 or a number 0..23", Facility),
    protocol: variable("LOG_SYSLOG_PROTOCOL", "rfc5424 or rfc3164", literals("rfc5424", "rfc3164")),
    appName: variable("LOG_SYSLOG_APP_NAME", "printable ASCII without spaces", Name)
  }),
  (env): SyslogSink.Options => ({
    ...parseSyslogUrl(Option.getOrElse(env.url, () => "udp://127.0.0.1:514")),
    facility: Option.getOrUndefined(Option.map(env.facility, (name) => facilityCode(name)!)),
    protocol: Option.getOrUndefined(env.protocol),
    appName: Option.getOrUndefined(env.appName)
  })
)

/** `LOG_JOURNALD_IDENTIFIER`, `LOG_JOURNALD_NAMESPACE`. */
export const journaldOptions: Config.Config<JournaldSink.Options> = Config.map(
  Config.all({
    identifier: variable("LOG_JOURNALD_IDENTIFIER", "printable ASCII without spaces", Name),
    namespace: variable("LOG_JOURNALD_NAMESPACE", "letters, digits, _, - and .", Namespace)
  }),
  (env): JournaldSink.Options => ({ identifier: Option.getOrUndefined(env.identifier), namespace: Option.getOrUndefined(env.namespace) })
)

/** `LOG_FILE`: required when `LOG_SINK=file`. */
export const filePath: Config.Config<string> = Config.mapOrFail(
  variable("LOG_FILE", "a file path", Schema.String),
  Option.match({
    onNone: () => Either.left(ConfigError.MissingData(["LOG_FILE"], "LOG_FILE: required when LOG_SINK=file (the log file's path)")),
    onSome: (path) => Either.right(path)
  })
)
