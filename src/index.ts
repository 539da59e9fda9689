/**
 * logfiber: asynchronous, batched, bounded logging for Effect programs.
 * Import the modules as namespaces: `import { AsyncLogger, FileSink } from "logfiber"`.
 * @since 0.1.0
 */
export * as AsyncLogger from "./AsyncLogger.js"
export * as ConsoleSink from "./ConsoleSink.js"
export * as FileSink from "./FileSink.js"
export * as Format from "./Format.js"
export * as LogRecord from "./LogRecord.js"
export * as LogSink from "./LogSink.js"
export * as Metrics from "./Metrics.js"
export * as Monitor from "./Monitor.js"
export * as TestSink from "./TestSink.js"
export * as OtlpSink from "./OtlpSink.js"
export * as Reader from "./Reader.js"
export * as SyslogSink from "./SyslogSink.js"
export * as JournaldSink from "./JournaldSink.js"
export * as SinkFromEnv from "./SinkFromEnv.js"
export * as DirectorySink from "./DirectorySink.js"
export * as Encryption from "./Encryption.js"
