/**
 * Redaction by key path, compiled once into a tree so that a record that holds none of the
 * paths costs one own-property check per top-level path segment.
 *
 * Path syntax: segments separated by `.`; `*` matches any one key (or array index); a key
 * that holds a `.`, `*` or `[` is written in brackets: `req.headers["x-api-key"]`; `a[0]` is
 * `a.0`. A path is relative to the record's `fields` and, separately, to its `annotations`.
 * Objects on a redacted path are copied (copy on write): the values the caller logged are never
 * modified. A path through a non-plain object (an Error, a Map, a class instance) redacts in its
 * safe rendering.
 */
import { toSafe } from "./safeJson.js"

/** What replaces a redacted value. */
export const REDACTED = "[REDACTED]"

interface PathNode {
  readonly keys: Map<string, PathNode>
  wildcard: PathNode | undefined
  terminal: boolean
}

const node = (): PathNode => ({ keys: new Map(), wildcard: undefined, terminal: false })

/** Split a path into segments; throws an `Error` describing the first problem. */
export const parsePath = (path: string): Array<string> => {
  const segments: Array<string> = []
  let i = 0
  const fail = (why: string): never => {
    throw new Error(`invalid redact path ${JSON.stringify(path)}: ${why}`)
  }
  if (path.length === 0) fail("it is empty")
  while (i < path.length) {
    if (path[i] === "[") {
      const close = path.indexOf("]", i)
      if (close < 0) fail("unclosed [")
      let inner = path.slice(i + 1, close).trim()
      if (/^(["']).*\1$/.test(inner)) inner = inner.slice(1, -1)
      else if (!/^\d+$/.test(inner) && inner !== "*") fail(`quote the key in ${path.slice(i, close + 1)}`)
      segments.push(inner)
      i = close + 1
      if (i < path.length) {
        if (path[i] === ".") i++
        else if (path[i] !== "[") fail(`expected . or [ after ]`)
        if (i === path.length) fail("it ends with .")
      }
      continue
    }
    let end = i
    while (end < path.length && path[end] !== "." && path[end] !== "[") end++
    const segment = path.slice(i, end).trim()
    if (segment.length === 0) fail("it has an empty segment")
    segments.push(segment)
    i = end
    if (path[i] === ".") {
      i++
      if (i === path.length) fail("it ends with .")
    }
  }
  return segments
}

/** A compiled set of paths: `apply` returns the object itself when nothing matched. */
export interface Redactor {
  readonly apply: (obj: Readonly<Record<string, unknown>>) => Readonly<Record<string, unknown>>
}

/** Compile paths (throws on a malformed one); `undefined` when there are none. */
export const compile = (paths: ReadonlyArray<string>): Redactor | undefined => {
  if (paths.length === 0) return undefined
  const root = node()
  for (const path of paths) {
    let current = root
    for (const segment of parsePath(path)) {
      if (segment === "*") current = current.wildcard ??= node()
      else {
        let next = current.keys.get(segment)
        if (next === undefined) current.keys.set(segment, next = node())
        current = next
      }
    }
    current.terminal = true
  }
  return { apply: (obj) => redactIn(obj, root) as Readonly<Record<string, unknown>> }
}

const hasOwn = Object.prototype.hasOwnProperty

const isPlainOrArray = (u: object): boolean => {
  if (Array.isArray(u)) return true
  const proto = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === null
}

const read = (obj: object, key: string): unknown => {
  try {
    return (obj as Record<string, unknown>)[key]
  } catch {
    return undefined
  }
}

const copy = (obj: object): Record<string, unknown> => {
  if (Array.isArray(obj)) return obj.slice() as unknown as Record<string, unknown>
  const out: Record<string, unknown> = Object.getPrototypeOf(obj) === null ? Object.create(null) : {}
  for (const key of Object.keys(obj)) {
    Object.defineProperty(out, key, { value: read(obj, key), enumerable: true, writable: true, configurable: true })
  }
  return out
}

const redactIn = (value: unknown, tree: PathNode): unknown => {
  if (value === null || typeof value !== "object") return value
  if (!isPlainOrArray(value)) {
    // redact in the safe rendering, but only if something there matches
    const safe = toSafe(value)
    const redacted = redactIn(safe, tree)
    return redacted === safe ? value : redacted
  }
  let out: Record<string, unknown> | undefined
  const visit = (key: string, child: PathNode): void => {
    const current = out ?? (value as Record<string, unknown>)
    if (!hasOwn.call(current, key)) return
    if (child.terminal) {
      out ??= copy(value)
      out[key] = REDACTED
      return
    }
    const before = read(current, key)
    const after = redactIn(before, child)
    if (after !== before) {
      out ??= copy(value)
      out[key] = after
    }
  }
  for (const [key, child] of tree.keys) visit(key, child)
  if (tree.wildcard !== undefined) for (const key of Object.keys(value)) visit(key, tree.wildcard)
  return out ?? value
}
