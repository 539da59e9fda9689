/**
 * The size model behind `maxRecordBytes`.
 *
 * A record's size is counted in "rendered bytes": an upper bound on the UTF-8 bytes any
 * built-in text format spends on it, including the worst case of a string that is escaped
 * twice (logfmt quotes nested JSON). Per UTF-16 unit: printable ASCII 1, `"` and `\` 4,
 * control characters, C1 controls, U+2028/2029 and lone surrogates 7, other BMP characters 3,
 * a surrogate pair 4. Every string adds 4 for its quotes, every object entry or array item
 * adds `ENTRY_OVERHEAD` for separators and (in `pretty`) color codes around its key.
 */

/** Separators, quotes around a key and color codes, per object entry or array item. */
export const ENTRY_OVERHEAD = 16
/** Quotes around a string, counted escaped once more. */
export const QUOTES = 4
/** The longest text of a number, a boolean or null. */
export const SCALAR = 24
/** Worst case for one UTF-16 unit. */
export const WORST_PER_UNIT = 7

/** Upper bound of the rendered bytes of `s` (without quotes). */
export const stringCost = (s: string): number => {
  let cost = 0
  const n = s.length
  for (let i = 0; i < n; i++) cost += unitCost(s, i, n)
  return cost
}

/** The cost of the character starting at `i`; a surrogate pair counts on its first unit, 0 on its second. */
const unitCost = (s: string, i: number, n: number): number => {
  const c = s.charCodeAt(i)
  if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return 7
  if (c === 0x22 || c === 0x5c) return 4
  if (c < 0x7f) return 1
  if (c >= 0xd800 && c <= 0xdbff) {
    const next = i + 1 < n ? s.charCodeAt(i + 1) : 0
    return next >= 0xdc00 && next <= 0xdfff ? 4 : 7
  }
  if (c >= 0xdc00 && c <= 0xdfff) {
    const previous = i > 0 ? s.charCodeAt(i - 1) : 0
    return previous >= 0xd800 && previous <= 0xdbff ? 0 : 7
  }
  if (c === 0x2028 || c === 0x2029) return 7
  return 3
}

/**
 * The visible marker that replaces the end of a truncated string. `atLeast`: the count is a lower
 * bound (the dropped tail was too long to count its UTF-8 bytes within the bounded work).
 */
export const truncationMarker = (droppedBytes: number, atLeast = false): string =>
  `…[truncated ${droppedBytes}${atLeast ? "+" : ""} bytes]`

/** Budget for the marker itself (`…` plus the longest count). */
export const MARKER_COST = stringCost(truncationMarker(Number.MAX_SAFE_INTEGER, true))

/**
 * Longest dropped tail whose UTF-8 bytes are counted exactly (a native scan, ~1 ms); a longer
 * one is reported by its UTF-16 length, a lower bound of its bytes (`…[truncated 314572800+ bytes]`).
 */
export const EXACT_TAIL_UNITS = 1 << 20

/** The cost of `s`, or a number above `limit` as soon as it is known to exceed it (work at most `limit` units). */
export const stringCostUpTo = (s: string, limit: number): number => {
  let cost = 0
  const n = s.length
  for (let i = 0; i < n && cost <= limit; i++) cost += unitCost(s, i, n)
  return cost
}

/**
 * `s` cut so that its cost, marker included, is at most `maxCost` (never less than the marker
 * alone); the cut never splits a surrogate pair. Returns `s` itself when it fits.
 */
export const truncateString = (s: string, maxCost: number): string => {
  const n = s.length
  if (n * WORST_PER_UNIT <= maxCost) return s
  const room = maxCost - MARKER_COST
  let cost = 0
  let i = 0
  let fitsWhole = true
  for (; i < n; i++) {
    const unit = unitCost(s, i, n)
    if (cost + unit > room) {
      fitsWhole = false
      break
    }
    cost += unit
  }
  if (fitsWhole) {
    // the whole string fits within `room`, so within `maxCost`
    return s
  }
  // total cost may still fit without a marker
  let rest = cost
  for (let j = i; j < n && rest <= maxCost; j++) rest += unitCost(s, j, n)
  if (rest <= maxCost) return s
  // do not leave the high half of a pair at the end
  if (i > 0) {
    const last = s.charCodeAt(i - 1)
    if (last >= 0xd800 && last <= 0xdbff) i--
  }
  const kept = s.slice(0, Math.max(0, i))
  const tail = n - kept.length
  return kept + (tail <= EXACT_TAIL_UNITS
    ? truncationMarker(Buffer.byteLength(s.slice(kept.length), "utf8"))
    : truncationMarker(tail, true))
}
