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
 * Every walk has a `Budget` (in the units of `recordSize.ts`; `DEFAULT_BUDGET` when none is
 * given): strings are truncated with a visible marker and objects, arrays, Maps and Sets cut
 * short once it is spent, and at most `visitLimit(budget)` entries are visited, so the work is
 * bounded whatever the value (docs/reliability.md). Keys are enumerated with `for...in`, never
 * copied whole; each value is read once. With a redact tree (`redact.ts`), values at its paths
 * are replaced by `"[REDACTED]"` without being read.
 */
import {
  ENTRY_OVERHEAD,
  MARKER_COST,
  QUOTES,
  SCALAR,
  stringCost,
  truncateString,
  WORST_PER_UNIT
} from "./recordSize.js"
import { REDACTED, type RedactNode, step } from "./redact.js"

/** Objects and arrays nested deeper than this are replaced by a tag. */
export const DEPTH_LIMIT = 32

/** Room kept for the markers that say what was cut ("…[3 more items]"). */
const MARKER_ROOM = 2 * MARKER_COST

/**
 * The budget of a walk given none (a format called on a record built by hand): 16 Mi units,
 * so that even then no value costs more than a bounded walk.
 */
export const DEFAULT_BUDGET = 16 * 1024 * 1024

/** A remaining size allowance, spent while rendering (see `recordSize.ts`). */
export interface Budget {
  remaining: number
  /** Set when something was cut to stay within the budget. */
  cut?: boolean
}

/**
 * Most entries, items and keys a walk with `budget` units visits: each visit costs at least
 * `ENTRY_OVERHEAD` units, plus a few for the markers (see docs/reliability.md).
 */
export const visitLimit = (budget: number): number => Math.ceil(Math.max(0, budget) / ENTRY_OVERHEAD) + 64

/** One walk's state: the budget, the values on the current path (cycles), the visits left. */
interface Walk {
  readonly budget: Budget
  readonly seen: Array<object>
  visits: number
  /**
   * Keep BigInts as they are (the record snapshot sinks receive: an OTLP sink sends them as
   * integers); rendering to JSON turns them into their digits.
   */
  readonly keepBigInt?: boolean
}

/** Whether the walk must stop visiting entries: budget or visits spent. */
const exhausted = (w: Walk): boolean => w.budget.remaining - ENTRY_OVERHEAD <= MARKER_ROOM || w.visits <= 0

const needsSafePath = (value: unknown, depth: number, nodes: { n: number }): boolean => {
  if (value === null || typeof value !== "object") {
    return typeof value === "bigint" || typeof value === "symbol" || typeof value === "function" ||
      (typeof value === "string" && value.length > LONG_STRING)
  }
  // deep or large values: the safe walker handles cycles cheaply and stops at its budget
  if (depth > 3 || ++nodes.n > 256) return true
  if (Array.isArray(value)) {
    if (value.length > 256) return true
    for (let i = 0; i < value.length; i++) if (needsSafePath(value[i], depth + 1, nodes)) return true
    return false
  }
  if (value instanceof Date) return Number.isNaN(value.getTime())
  if (
    value instanceof Error || value instanceof Map || value instanceof Set || value instanceof RegExp ||
    ArrayBuffer.isView(value) || value instanceof ArrayBuffer ||
    typeof (value as { toJSON?: unknown }).toJSON === "function"
  ) return true
  for (const key in value) {
    if (++nodes.n > 256 || needsSafePath((value as Record<string, unknown>)[key], depth + 1, nodes)) return true
  }
  return false
}

/** Strings longer than this take the safe (budgeted) path in `stringify`. */
const LONG_STRING = 1 << 20

const errorMessage = (e: unknown): string => {
  try {
    return e instanceof Error ? String(e.message).slice(0, 200) : String(e).slice(0, 200)
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

const hasOwn = Object.prototype.hasOwnProperty

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
    return typeof f.name === "string" && f.name.length > 0 ? f.name.slice(0, 200) : "anonymous"
  } catch {
    return "anonymous"
  }
}

/** `s` within the budget: kept when it fits, else cut with a marker. Work is bounded by the budget. */
const str = (s: string, budget: Budget): string => {
  if (s.length * WORST_PER_UNIT + QUOTES <= budget.remaining) {
    // fits even at the worst cost per unit: count it exactly (at most remaining / 7 units)
    budget.remaining -= stringCost(s) + QUOTES
    return s
  }
  const room = Math.max(MARKER_COST, budget.remaining - MARKER_ROOM - QUOTES)
  const cut = truncateString(s, room)
  if (cut === s) {
    budget.remaining -= stringCost(s) + QUOTES
    return s
  }
  budget.remaining -= stringCost(cut) + QUOTES
  budget.cut = true
  return cut
}

/**
 * The safe rendering of any value: plain JSON data (see the module comment). Never throws.
 * The walk stops at `budget` (default `DEFAULT_BUDGET`): at most `visitLimit(budget)` entries,
 * items and keys are read. With `redact`, values at its paths are replaced by `"[REDACTED]"`
 * without being read, on the rendering (after `toJSON`, Map keys, an Error's fields).
 */
export const toSafe = (value: unknown, budget?: Budget, redact?: RedactNode): unknown => {
  const b = budget ?? { remaining: DEFAULT_BUDGET }
  return walk(value, { budget: b, seen: [], visits: visitLimit(b.remaining) }, 0, redact)
}

/**
 * The safe rendering of an object's own entries, as an object (never through its `toJSON`: a
 * record's `fields` is a container of entries, one of which may be named `toJSON`).
 */
export const toSafeEntries = (
  obj: Readonly<Record<string, unknown>>,
  budget: Budget,
  redact?: RedactNode
): Record<string, unknown> => {
  const w: Walk = { budget, seen: [obj], visits: visitLimit(budget.remaining), keepBigInt: true }
  const out: Record<string, unknown> = {}
  try {
    walkKeys(out, obj, w, 0, redact)
  } catch (e) {
    setKey(out, "…", str(`[Unserializable: ${errorMessage(e)}]`, budget))
  }
  return out
}

const walk = (value: unknown, w: Walk, depth: number, redact: RedactNode | undefined): unknown => {
  const budget = w.budget
  switch (typeof value) {
    case "string":
      return str(value, budget)
    case "number":
    case "boolean":
      budget.remaining -= SCALAR
      return value
    case "bigint":
      if (w.keepBigInt === true) {
        budget.remaining -= value.toString().length + QUOTES
        return value
      }
      return str(value.toString(), budget)
    case "symbol":
      return str(symbolText(value), budget)
    case "function":
      return str(`[Function ${functionName(value)}]`, budget)
    case "undefined":
      return undefined
  }
  if (value === null) {
    budget.remaining -= SCALAR
    return null
  }
  const obj = value as object
  if (w.seen.includes(obj)) return str("[Circular]", budget)
  if (depth >= DEPTH_LIMIT) return str(Array.isArray(obj) ? "[Array]" : "[Object]", budget)
  w.seen.push(obj)
  try {
    return walkObject(obj, w, depth, redact)
  } catch (e) {
    return str(`[Unserializable: ${errorMessage(e)}]`, budget)
  } finally {
    w.seen.pop()
  }
}

const symbolText = (value: symbol): string => {
  const description = value.description
  return description === undefined ? "Symbol()" : `Symbol(${description.slice(0, 200)})`
}

const walkObject = (obj: object, w: Walk, depth: number, redact: RedactNode | undefined): unknown => {
  const budget = w.budget
  if (obj instanceof Date) {
    return str(Number.isNaN(obj.getTime()) ? "Invalid Date" : obj.toISOString(), budget)
  }
  if (obj instanceof String || obj instanceof Number || obj instanceof Boolean) {
    return walk(obj.valueOf(), w, depth, redact)
  }
  if (obj instanceof Error) return walkError(obj, w, depth, redact)
  if (ArrayBuffer.isView(obj)) {
    if (obj instanceof DataView) return str(`[DataView ${obj.byteLength} bytes]`, budget)
    const items = obj as unknown as ArrayLike<number | bigint>
    return walkItems(items.length, (i) => items[i], w, depth, redact)
  }
  if (obj instanceof ArrayBuffer) return str(`[ArrayBuffer ${obj.byteLength} bytes]`, budget)
  if (obj instanceof RegExp) return str(String(obj).slice(0, 1 << 16), budget)
  if (Array.isArray(obj)) return walkItems(obj.length, (i) => safeGet(obj, i), w, depth, redact)
  const toJSON = safeGet(obj, "toJSON")
  // the result replaces the value: walked (and redacted) like it, one level deeper
  if (typeof toJSON === "function") return walk(toJSON.call(obj, ""), w, depth + 1, redact)
  if (obj instanceof Map) return walkMap(obj, w, depth, redact)
  if (obj instanceof Set) {
    const values = Set.prototype.values.call(obj)
    return walkItems(obj.size, () => values.next().value, w, depth, redact)
  }
  const out: Record<string, unknown> = {}
  walkKeys(out, obj, w, depth, redact)
  return out
}

const walkMap = (map: Map<unknown, unknown>, w: Walk, depth: number, redact: RedactNode | undefined) => {
  const out: Record<string, unknown> = {}
  const size = map.size
  let i = 0
  for (const [key, value] of Map.prototype.entries.call(map) as IterableIterator<[unknown, unknown]>) {
    if (!visit(out, size - i, w)) break
    i++
    const name = typeof key === "string" ? key : String(walk(key, { budget: { remaining: 1024 }, seen: [], visits: 16 }, DEPTH_LIMIT - 1, undefined))
    entry(out, name, () => value, w, depth, redact)
  }
  return out
}

const ERROR_KEYS = ["name", "message", "stack"]

const walkError = (error: Error, w: Walk, depth: number, redact: RedactNode | undefined) => {
  const out: Record<string, unknown> = {}
  const keys = ERROR_KEYS.slice()
  const cause = safeGet(error, "cause")
  if (cause !== undefined) keys.push("cause")
  const errors = error instanceof AggregateError ? safeGet(error, "errors") : undefined
  if (errors !== undefined) keys.push("errors")
  for (const key of keys) {
    if (!visit(out, 0, w)) return out
    entry(out, key, () => key === "cause" ? cause : key === "errors" ? errors : safeGet(error, key), w, depth, redact)
  }
  walkKeys(out, error, w, depth, redact, keys)
  return out
}

/**
 * One visit: spends a visit and an entry's overhead, or, when the budget is spent, writes the
 * marker naming what is left (`left` entries, when known) and returns false.
 */
const visit = (out: Record<string, unknown> | Array<unknown>, left: number, w: Walk): boolean => {
  if (exhausted(w)) {
    w.budget.cut = true
    if (Array.isArray(out)) out.push(str(`…[${left} more items]`, w.budget))
    else setKey(out, "…", str(left > 0 ? `[${left} more keys]` : "[more keys]", w.budget))
    return false
  }
  w.visits--
  w.budget.remaining -= ENTRY_OVERHEAD
  return true
}

/** One entry: redacted without reading it, or read once and walked. */
const entry = (
  out: Record<string, unknown>,
  key: string,
  read: () => unknown,
  w: Walk,
  depth: number,
  redact: RedactNode | undefined
): void => {
  const child = redact === undefined ? undefined : step(redact, key)
  const item = child !== undefined && child.terminal ? REDACTED : walk(read(), w, depth + 1, child)
  if (item !== undefined) setKey(out, str(key, w.budget), item)
}

/** An object's own enumerable string keys, read one by one (`for...in`: no full key list copied, Proxies asked lazily). */
const walkKeys = (
  out: Record<string, unknown>,
  obj: object,
  w: Walk,
  depth: number,
  redact: RedactNode | undefined,
  skip?: ReadonlyArray<string>
): void => {
  for (const key in obj) {
    if (w.visits <= 0) {
      visit(out, 0, w) // writes the marker
      return
    }
    if (!hasOwn.call(obj, key) || skip?.includes(key) === true) {
      w.visits-- // inherited keys count too: the loop stays bounded
      continue
    }
    if (!visit(out, 0, w)) return
    entry(out, key, () => safeGet(obj, key), w, depth, redact)
  }
}

const walkItems = (
  length: number,
  get: (i: number) => unknown,
  w: Walk,
  depth: number,
  redact: RedactNode | undefined
): Array<unknown> => {
  const out: Array<unknown> = []
  for (let i = 0; i < length; i++) {
    if (!visit(out, length - i, w)) break
    const child = redact === undefined ? undefined : step(redact, String(i))
    out.push(child !== undefined && child.terminal ? REDACTED : walk(get(i), w, depth + 1, child) ?? null)
  }
  return out
}

/** JSON text for any value; never throws. Work is bounded (see `toSafe`). */
export const stringify = (value: unknown): string => {
  try {
    if (!needsSafePath(value, 0, { n: 0 })) {
      const text = JSON.stringify(value)
      if (text !== undefined) return escapeLineSeparators(text)
    }
  } catch {
    // fall through to the safe walker
  }
  try {
    return escapeLineSeparators(JSON.stringify(toSafe(value)) ?? "null")
  } catch {
    return "\"[Unserializable]\""
  }
}

/**
 * Characters `JSON.stringify` leaves raw that line-splitting tools other than `\n`-splitters
 * read as line breaks: NEL (U+0085), LINE SEPARATOR and PARAGRAPH SEPARATOR.
 */
const LINE_SEPARATORS = /[\u0085\u2028\u2029]/g
const hex4 = (c: string): string => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0")

/** JSON text with U+0085, U+2028 and U+2029 written as `\uXXXX` escapes (still the same JSON value). */
export const escapeLineSeparators = (json: string): string => {
  LINE_SEPARATORS.lastIndex = 0
  return LINE_SEPARATORS.test(json) ? json.replace(LINE_SEPARATORS, hex4) : json
}

/**
 * JSON string literal, what `JSON.stringify` gives with U+0085, U+2028 and U+2029 escaped too:
 * strings without a quote, backslash, control character, surrogate or one of those (nearly all
 * keys and short values) are wrapped as they are, without a native call.
 */
export const quoteJson = (text: string): string =>
  needsJsonEscape(text) ? escapeLineSeparators(JSON.stringify(text)) : "\"" + text + "\""

/** Whether `quoteJson` could write `text` other than as is between quotes. */
export const needsJsonEscape = (text: string): boolean => {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x20 || c === 0x22 || c === 0x5c) return true
    if (c >= 0x85 && (c === 0x85 || (c >= 0xd800 && c <= 0xdfff) || c === 0x2028 || c === 0x2029)) return true
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
