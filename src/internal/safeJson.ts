/**
 * JSON rendering that never throws. `toSafe` turns any value into plain JSON data (its
 * "safe rendering"); `stringify` is `JSON.stringify(toSafe(value))`, with a fast path that
 * hands values JSON.stringify already renders faithfully straight to it.
 *
 * Safe rendering rules: cycles become `"[Circular]"` (a repeated, non-cyclic reference is
 * rendered again); BigInt its decimal digits; Symbol `"Symbol(description)"`; functions
 * `"[Function name]"`; `undefined` is omitted from objects and `null` in arrays (as JSON);
 * Dates ISO-8601 (`"Invalid Date"`); Maps objects keyed by `String(key)`; Sets arrays; typed
 * arrays arrays of numbers; `ArrayBuffer`/`DataView` `"[ArrayBuffer n bytes]"`; RegExps their
 * source; Errors `{ name, message, stack, cause, errors, ...own fields }`, causes recursively;
 * an object's `toJSON()` result is used, as JSON.stringify would; a getter that throws becomes
 * `"[Getter threw: message]"`; anything else that throws while read `"[Unserializable: message]"`;
 * nesting deeper than `DEPTH_LIMIT` becomes `"[Object]"` / `"[Array]"`.
 *
 * With a `Budget`, strings are truncated with a visible marker and objects and arrays cut short
 * once the budget (in the units of `recordSize.ts`) is spent.
 */
import {
  ENTRY_OVERHEAD,
  MARKER_COST,
  QUOTES,
  SCALAR,
  stringCost,
  truncateString
} from "./recordSize.js"

/** Objects and arrays nested deeper than this are replaced by a tag. */
export const DEPTH_LIMIT = 32

/** Room kept for the markers that say what was cut ("…[3 more items]"). */
const MARKER_ROOM = 2 * MARKER_COST

/** A remaining size allowance, spent while rendering (see `recordSize.ts`). */
export interface Budget {
  remaining: number
  /** Set when something was cut to stay within the budget. */
  cut?: boolean
}

const needsSafePath = (value: unknown, depth: number): boolean => {
  if (value === null || typeof value !== "object") {
    return typeof value === "bigint" || typeof value === "symbol" || typeof value === "function"
  }
  if (depth > 3) return true // deep values: let the safe walker handle cycles cheaply
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (needsSafePath(value[i], depth + 1)) return true
    return false
  }
  if (value instanceof Date) return Number.isNaN(value.getTime())
  if (
    value instanceof Error || value instanceof Map || value instanceof Set || value instanceof RegExp ||
    ArrayBuffer.isView(value) || value instanceof ArrayBuffer ||
    typeof (value as { toJSON?: unknown }).toJSON === "function"
  ) return true
  for (const key in value) {
    if (needsSafePath((value as Record<string, unknown>)[key], depth + 1)) return true
  }
  return false
}

const errorMessage = (e: unknown): string => {
  try {
    return e instanceof Error ? e.message : String(e)
  } catch {
    return "unknown"
  }
}

const safeGet = (obj: object, key: PropertyKey): unknown => {
  try {
    return (obj as Record<PropertyKey, unknown>)[key]
  } catch (e) {
    return `[Getter threw: ${errorMessage(e)}]`
  }
}

/** Assign without invoking the `__proto__` setter. */
const setKey = (out: Record<string, unknown>, key: string, value: unknown): void => {
  if (key === "__proto__") {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  } else {
    out[key] = value
  }
}

const functionName = (f: Function): string => {
  try {
    return typeof f.name === "string" && f.name.length > 0 ? f.name : "anonymous"
  } catch {
    return "anonymous"
  }
}

const str = (s: string, budget: Budget | undefined): string => {
  if (budget === undefined) return s
  const cost = s.length * 7 + QUOTES <= budget.remaining ? s.length * 7 : stringCost(s)
  if (cost + QUOTES <= budget.remaining) {
    budget.remaining -= cost + QUOTES
    return s
  }
  const cut = truncateString(s, Math.max(MARKER_COST, budget.remaining - MARKER_ROOM - QUOTES))
  budget.remaining -= stringCost(cut) + QUOTES
  budget.cut = true
  return cut
}

/** The safe rendering of any value: plain JSON data (see the module comment). Never throws. */
export const toSafe = (value: unknown, budget?: Budget): unknown => walk(value, [], 0, budget)

const walk = (value: unknown, seen: Array<object>, depth: number, budget: Budget | undefined): unknown => {
  switch (typeof value) {
    case "string":
      return str(value, budget)
    case "number":
    case "boolean":
      if (budget !== undefined) budget.remaining -= SCALAR
      return value
    case "bigint":
      return str(value.toString(), budget)
    case "symbol":
      return str(value.toString(), budget)
    case "function":
      return str(`[Function ${functionName(value)}]`, budget)
    case "undefined":
      return undefined
  }
  if (value === null) {
    if (budget !== undefined) budget.remaining -= SCALAR
    return null
  }
  const obj = value as object
  if (seen.includes(obj)) return str("[Circular]", budget)
  if (depth >= DEPTH_LIMIT) return str(Array.isArray(obj) ? "[Array]" : "[Object]", budget)
  seen.push(obj)
  try {
    return walkObject(obj, seen, depth, budget)
  } catch (e) {
    return str(`[Unserializable: ${errorMessage(e)}]`, budget)
  } finally {
    seen.pop()
  }
}

const walkObject = (obj: object, seen: Array<object>, depth: number, budget: Budget | undefined): unknown => {
  if (obj instanceof Date) {
    return str(Number.isNaN(obj.getTime()) ? "Invalid Date" : obj.toISOString(), budget)
  }
  if (obj instanceof String || obj instanceof Number || obj instanceof Boolean) {
    return walk(obj.valueOf(), seen, depth, budget)
  }
  if (obj instanceof Error) return walkError(obj, seen, depth, budget)
  if (ArrayBuffer.isView(obj)) {
    if (obj instanceof DataView) return str(`[DataView ${obj.byteLength} bytes]`, budget)
    const items = obj as unknown as ArrayLike<number | bigint>
    return walkItems(items.length, (i) => items[i], seen, depth, budget)
  }
  if (obj instanceof ArrayBuffer) return str(`[ArrayBuffer ${obj.byteLength} bytes]`, budget)
  if (obj instanceof RegExp) return str(String(obj), budget)
  if (Array.isArray(obj)) return walkItems(obj.length, (i) => safeGet(obj, i), seen, depth, budget)
  const toJSON = safeGet(obj, "toJSON")
  if (typeof toJSON === "function") return walk(toJSON.call(obj, ""), seen, depth, budget)
  if (obj instanceof Map) {
    const out: Record<string, unknown> = {}
    const entries = Array.from(obj)
    walkEntries(out, entries.length, (i) => String(entries[i]![0]), (i) => entries[i]![1], seen, depth, budget)
    return out
  }
  if (obj instanceof Set) {
    const items = Array.from(obj)
    return walkItems(items.length, (i) => items[i], seen, depth, budget)
  }
  const out: Record<string, unknown> = {}
  const keys = Object.keys(obj)
  walkEntries(out, keys.length, (i) => keys[i]!, (i) => safeGet(obj, keys[i]!), seen, depth, budget)
  return out
}

const walkError = (error: Error, seen: Array<object>, depth: number, budget: Budget | undefined) => {
  const keys = ["name", "message", "stack"]
  const cause = safeGet(error, "cause")
  if (cause !== undefined) keys.push("cause")
  const errors = error instanceof AggregateError ? safeGet(error, "errors") : undefined
  if (errors !== undefined) keys.push("errors")
  for (const key of Object.keys(error)) if (!keys.includes(key)) keys.push(key)
  const out: Record<string, unknown> = {}
  walkEntries(out, keys.length, (i) => keys[i]!, (i) => safeGet(error, keys[i]!), seen, depth, budget)
  return out
}

const walkItems = (
  length: number,
  get: (i: number) => unknown,
  seen: Array<object>,
  depth: number,
  budget: Budget | undefined
): Array<unknown> => {
  const out: Array<unknown> = []
  for (let i = 0; i < length; i++) {
    if (budget !== undefined) {
      if (budget.remaining - ENTRY_OVERHEAD <= MARKER_ROOM) {
        budget.cut = true
        out.push(str(`…[${length - i} more items]`, budget))
        break
      }
      budget.remaining -= ENTRY_OVERHEAD
    }
    out.push(walk(get(i), seen, depth + 1, budget) ?? null)
  }
  return out
}

const walkEntries = (
  out: Record<string, unknown>,
  length: number,
  key: (i: number) => string,
  get: (i: number) => unknown,
  seen: Array<object>,
  depth: number,
  budget: Budget | undefined
): void => {
  for (let i = 0; i < length; i++) {
    if (budget !== undefined) {
      if (budget.remaining - ENTRY_OVERHEAD <= MARKER_ROOM) {
        budget.cut = true
        setKey(out, "…", str(`[${length - i} more keys]`, budget))
        break
      }
      budget.remaining -= ENTRY_OVERHEAD
    }
    const item = walk(get(i), seen, depth + 1, budget)
    if (item !== undefined) setKey(out, str(key(i), budget), item)
  }
}

/** JSON text for any value; never throws. */
export const stringify = (value: unknown): string => {
  try {
    if (!needsSafePath(value, 0)) {
      const text = JSON.stringify(value)
      if (text !== undefined) return text
    }
  } catch {
    // fall through to the safe walker
  }
  try {
    return JSON.stringify(toSafe(value)) ?? "null"
  } catch {
    return "\"[Unserializable]\""
  }
}

/**
 * JSON string literal, byte for byte what `JSON.stringify` gives: strings without a quote,
 * backslash, control character or surrogate (nearly all keys and short values) are wrapped as
 * they are, without a native call.
 */
export const quoteJson = (text: string): string =>
  needsJsonEscape(text) ? JSON.stringify(text) : "\"" + text + "\""

/** Whether `JSON.stringify` could write `text` other than as is between quotes. */
export const needsJsonEscape = (text: string): boolean => {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return true
  }
  return false
}

/**
 * Decimal text of a finite number, as `JSON.stringify` writes it. Not `"" + n`: that goes through
 * V8's number-to-string cache, an old-space table that keeps each new string (a counter, a seq)
 * alive across scavenges; with two per record, scavenges kept ~120 KB more and GC pauses were
 * ~15 % longer in the 1M burst (`node --trace-gc-nvp`).
 */
export const numberJson = (value: number): string => JSON.stringify(value)

/** JSON text of a string, number or boolean; `undefined` for anything else. */
const scalarJson = (value: unknown): string | undefined => {
  switch (typeof value) {
    case "string":
      return quoteJson(value)
    case "number":
      return Number.isFinite(value) ? numberJson(value) : "null"
    case "boolean":
      return value ? "true" : "false"
    default:
      return undefined
  }
}

// Field names repeat from record to record: each one's `"key":` and `,"key":` text is kept, so a
// record's object costs no strings for its keys. Bounded: cleared when it grows past the limit.
const KEY_CACHE_LIMIT = 4096
const firstKeys = new Map<string, string>()
const nextKeys = new Map<string, string>()
const cachedKey = (cache: Map<string, string>, key: string, separator: string): string => {
  let text = cache.get(key)
  if (text === undefined) {
    if (cache.size >= KEY_CACHE_LIMIT) cache.clear()
    text = separator + quoteJson(key) + ":"
    cache.set(key, text)
  }
  return text
}
const firstKeyJson = (key: string): string => cachedKey(firstKeys, key, "")
const nextKeyJson = (key: string): string => cachedKey(nextKeys, key, ",")

/**
 * The common record: an object of strings, numbers and booleans, rendered in one pass
 * (about twice as fast as `JSON.stringify` on it). `undefined` when anything else is in it,
 * or a getter throws: the safe walk handles those.
 */
const stringifyFlat = (obj: Readonly<Record<string, unknown>>): string | undefined => {
  try {
    let out = "{"
    for (const key in obj) {
      const text = scalarJson(obj[key])
      if (text === undefined) return undefined
      out += (out.length === 1 ? firstKeyJson(key) : nextKeyJson(key)) + text
    }
    return out + "}"
  } catch {
    return undefined
  }
}

/**
 * JSON object text for a record's `fields`/`annotations`: flat objects in one pass, anything
 * else key by key, each value through `stringify`; a getter that throws is reported in place.
 */
export const stringifyObject = (obj: Readonly<Record<string, unknown>>): string => {
  const flat = stringifyFlat(obj)
  if (flat !== undefined) return flat
  let out = "{"
  for (const key in obj) {
    let value: unknown
    try {
      value = obj[key]
    } catch (e) {
      value = `[Getter threw: ${errorMessage(e)}]`
    }
    if (value === undefined) continue
    out += (out.length === 1 ? "" : ",") + quoteJson(key) + ":" + (scalarJson(value) ?? stringify(value))
  }
  return out + "}"
}
