/**
 * Record values as OTLP `AnyValue`s (logs data model): types kept, as the Collector's
 * processors and the backends query them (`intValue` is not `stringValue`).
 */
import { stringify } from "../safeJson.js"

/**
 * `opentelemetry.proto.common.v1.AnyValue` in the shape `@effect/opentelemetry`'s encoders read
 * (OTLP/JSON field names); int64 values as numbers or decimal strings.
 */
export interface AnyValue {
  readonly stringValue?: string
  readonly boolValue?: boolean
  readonly intValue?: number | string
  readonly doubleValue?: number
  readonly arrayValue?: { readonly values: ReadonlyArray<AnyValue> }
  readonly kvlistValue?: { readonly values: ReadonlyArray<KeyValue> }
}

/** `opentelemetry.proto.common.v1.KeyValue`. */
export interface KeyValue {
  readonly key: string
  readonly value: AnyValue
}

/** Nesting deeper than this is rendered as a JSON string: bounded work for any input. */
const MAX_DEPTH = 8
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

const isPlainObject = (u: object): u is Record<string, unknown> => {
  const proto = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === null
}

/**
 * One value. `intValue` for safe integers and int64 BigInts (as a decimal string, which both the
 * protobuf encoder and OTLP/JSON accept), `doubleValue` for other finite numbers, `arrayValue`
 * and `kvlistValue` for arrays and plain objects (cycles cut), an empty `AnyValue` for
 * null/undefined, and the safe JSON text of anything else (Errors, class instances, NaN...).
 */
export const toAnyValue = (value: unknown, depth = 0, path: Array<object> = []): AnyValue => {
  switch (typeof value) {
    case "string":
      return { stringValue: value }
    case "boolean":
      return { boolValue: value }
    case "number":
      if (Number.isSafeInteger(value)) return { intValue: value }
      return Number.isFinite(value) ? { doubleValue: value } : { stringValue: String(value) }
    case "bigint":
      return value >= INT64_MIN && value <= INT64_MAX
        ? { intValue: value.toString() }
        : { stringValue: value.toString() }
    case "undefined":
      return {}
    case "object":
      return value === null ? {} : objectValue(value, depth, path)
    default:
      return { stringValue: stringify(value) }
  }
}

const objectValue = (value: object, depth: number, path: Array<object>): AnyValue => {
  if (path.includes(value)) return { stringValue: "[Circular]" }
  if (depth >= MAX_DEPTH || !(Array.isArray(value) || isPlainObject(value))) return { stringValue: stringify(value) }
  path.push(value)
  try {
    if (Array.isArray(value)) {
      const values: Array<AnyValue> = []
      for (let i = 0; i < value.length; i++) values.push(toAnyValue(value[i], depth + 1, path))
      return { arrayValue: { values } }
    }
    return { kvlistValue: { values: toKeyValues(value, undefined, depth + 1, path) } }
  } finally {
    path.pop()
  }
}

/**
 * The entries of an object as `KeyValue`s, appended to `into`; keys already in `skip` are left
 * out (OTLP forbids duplicate keys). A getter that throws leaves a note, never a failed batch.
 */
export const toKeyValues = (
  obj: Readonly<Record<string, unknown>>,
  skip: Readonly<Record<string, unknown>> | undefined,
  depth = 0,
  path: Array<object> = [],
  into: Array<KeyValue> = []
): Array<KeyValue> => {
  for (const key in obj) {
    if (skip !== undefined && key in skip) continue
    let value: unknown
    try {
      value = obj[key]
    } catch (e) {
      value = `[Getter threw: ${e instanceof Error ? e.message : String(e)}]`
    }
    into.push({ key, value: toAnyValue(value, depth, path) })
  }
  return into
}
