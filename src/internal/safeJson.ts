/**
 * JSON rendering that never throws: cycles become "[Circular]", BigInt a string,
 * Errors their name/message/stack/cause, functions and symbols a tag.
 * The fast path is plain `JSON.stringify`; the safe walker runs only when it throws
 * or when the value holds something JSON.stringify would render wrongly.
 */

const needsSafePath = (value: unknown, depth: number): boolean => {
  if (value === null || typeof value !== "object") {
    return typeof value === "bigint" || typeof value === "symbol" || typeof value === "function"
  }
  if (value instanceof Error || value instanceof Map || value instanceof Set) return true
  if (depth > 3) return true // deep values: let the safe walker handle cycles cheaply
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (needsSafePath(value[i], depth + 1)) return true
    return false
  }
  for (const key in value) {
    if (needsSafePath((value as Record<string, unknown>)[key], depth + 1)) return true
  }
  return false
}

/** Convert any value into something JSON.stringify renders faithfully and safely. */
export const toSafe = (value: unknown, seen: Array<unknown> = []): unknown => {
  switch (typeof value) {
    case "bigint":
      return value.toString()
    case "symbol":
      return value.toString()
    case "function":
      return `[Function ${value.name || "anonymous"}]`
    case "undefined":
      return undefined
    case "object":
      break
    default:
      return value
  }
  if (value === null) return null
  if (seen.includes(value)) return "[Circular]"
  seen.push(value)
  try {
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString()
    if (value instanceof Error) {
      const out: Record<string, unknown> = { name: value.name, message: value.message, stack: value.stack }
      if (value.cause !== undefined) out.cause = toSafe(value.cause, seen)
      for (const key of Object.keys(value)) out[key] = toSafe(safeGet(value, key), seen)
      return out
    }
    if (Array.isArray(value)) return value.map((item) => toSafe(item, seen) ?? null)
    if (value instanceof Map) {
      const out: Record<string, unknown> = {}
      for (const [k, v] of value) out[String(k)] = toSafe(v, seen)
      return out
    }
    if (value instanceof Set) return Array.from(value, (item) => toSafe(item, seen))
    if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>)
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value)) out[key] = toSafe(safeGet(value, key), seen)
    return out
  } finally {
    seen.pop()
  }
}

const safeGet = (obj: object, key: string): unknown => {
  try {
    return (obj as Record<string, unknown>)[key]
  } catch (e) {
    return `[Getter threw: ${e instanceof Error ? e.message : String(e)}]`
  }
}

/** JSON text for any value; never throws. */
export const stringify = (value: unknown): string => {
  if (!needsSafePath(value, 0)) {
    try {
      const text = JSON.stringify(value)
      if (text !== undefined) return text
    } catch {
      // fall through to the safe walker
    }
  }
  try {
    return JSON.stringify(toSafe(value)) ?? "null"
  } catch {
    return "\"[Unserializable]\""
  }
}

/**
 * JSON object text for a record's `fields`/`annotations`: primitives are written directly
 * (the common case, no walk, no intermediate object); anything else goes through `stringify`.
 */
export const stringifyObject = (obj: Readonly<Record<string, unknown>>): string => {
  let out = "{"
  let first = true
  for (const key in obj) {
    let value: unknown
    try {
      value = obj[key]
    } catch (e) {
      value = `[Getter threw: ${e instanceof Error ? e.message : String(e)}]`
    }
    let text: string
    switch (typeof value) {
      case "string":
        text = JSON.stringify(value)
        break
      case "number":
        text = Number.isFinite(value) ? "" + value : "null"
        break
      case "boolean":
        text = value ? "true" : "false"
        break
      case "undefined":
        continue
      default:
        text = stringify(value)
    }
    out += (first ? "" : ",") + JSON.stringify(key) + ":" + text
    first = false
  }
  return out + "}"
}
