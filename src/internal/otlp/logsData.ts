/**
 * A batch of `LogRecord`s as one OTLP `ExportLogsServiceRequest` (one resource, one scope),
 * in the object shape `@effect/opentelemetry`'s `OtlpSerialization` encodes to protobuf or JSON.
 */
import type { Level, LogRecord } from "../../LogRecord.js"
import { type AnyValue, type KeyValue, toAnyValue, toKeyValues } from "./anyValue.js"

/** `opentelemetry.proto.resource.v1.Resource`. */
export interface Resource {
  readonly attributes: ReadonlyArray<KeyValue>
  readonly droppedAttributesCount: number
}

/** `opentelemetry.proto.common.v1.InstrumentationScope`. */
export interface Scope {
  readonly name: string
  readonly version?: string
}

/** `opentelemetry.proto.logs.v1.LogRecord` (times in nanoseconds, as decimal strings). */
export interface OtlpLogRecord {
  readonly timeUnixNano: string
  readonly observedTimeUnixNano: string
  readonly severityNumber: number
  readonly severityText: string
  readonly body: AnyValue
  readonly attributes: ReadonlyArray<KeyValue>
  readonly droppedAttributesCount: number
  readonly flags?: number
  readonly traceId?: string
  readonly spanId?: string
}

export interface LogsData {
  readonly resourceLogs: ReadonlyArray<{
    readonly resource: Resource
    readonly scopeLogs: ReadonlyArray<{ readonly scope: Scope; readonly logRecords: ReadonlyArray<OtlpLogRecord> }>
  }>
}

/** The data model's severity numbers: the first of each range (TRACE 1, DEBUG 5, ... FATAL 21). */
export const severityNumber = (level: Level): number => {
  switch (level) {
    case "TRACE":
      return 1
    case "DEBUG":
      return 5
    case "INFO":
      return 9
    case "WARN":
      return 13
    case "ERROR":
      return 17
    case "FATAL":
      return 21
    default:
      return 0 // "ALL" / "OFF": SEVERITY_NUMBER_UNSPECIFIED
  }
}

/** Epoch milliseconds as nanoseconds, a decimal string: ms x 1e6 is past 2^53. */
export const msToNanos = (ms: number): string =>
  Number.isSafeInteger(ms) ? (ms === 0 ? "0" : `${ms}000000`) : (BigInt(Math.round(ms * 1_000)) * 1_000n).toString()

/** W3C trace flags: bit 0 is "sampled". */
const SAMPLED = 1

/**
 * One record. Attributes: the annotations, then the fields (a field wins over an annotation of
 * the same key: OTLP forbids duplicates), then the log spans (`logfiber.spans`, a kvlist of
 * milliseconds), the fiber id (`thread.name`) and the rendered cause (`exception.stacktrace`).
 */
export const toOtlpLogRecord = (record: LogRecord, observedTimeUnixNano: string): OtlpLogRecord => {
  const attributes: Array<KeyValue> = []
  toKeyValues(record.annotations, record.fields, 0, [], attributes)
  toKeyValues(record.fields, undefined, 0, [], attributes)
  let hasSpans = false
  for (const _ in record.spans) {
    hasSpans = true
    break
  }
  if (hasSpans) attributes.push({ key: "logfiber.spans", value: toAnyValue(record.spans) })
  attributes.push({ key: "thread.name", value: { stringValue: record.fiber } })
  if (record.cause !== undefined) attributes.push({ key: "exception.stacktrace", value: { stringValue: record.cause } })
  const base = {
    timeUnixNano: msToNanos(record.time),
    observedTimeUnixNano,
    severityNumber: severityNumber(record.level),
    severityText: record.level,
    body: { stringValue: record.message },
    attributes,
    droppedAttributesCount: 0
  }
  return record.traceId === undefined || record.spanId === undefined
    ? base
    : { ...base, traceId: record.traceId, spanId: record.spanId, flags: record.traceSampled === false ? 0 : SAMPLED }
}

/** The request for one batch. */
export const toLogsData = (
  batch: ReadonlyArray<LogRecord>,
  resource: Resource,
  scope: Scope,
  observedTimeUnixNano: string
): LogsData => {
  const logRecords: Array<OtlpLogRecord> = new Array(batch.length)
  for (let i = 0; i < batch.length; i++) logRecords[i] = toOtlpLogRecord(batch[i]!, observedTimeUnixNano)
  return { resourceLogs: [{ resource, scopeLogs: [{ scope, logRecords }] }] }
}
