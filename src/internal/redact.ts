/**
 * Redaction by key path, compiled once into a tree that the safe walk (`safeJson.toSafe`)
 * follows while it reads a record's values: a value at a path is replaced without being read,
 * and paths match what is rendered (after `toJSON`, through getters, in Maps and Errors).
 *
 * Path syntax: segments separated by `.`; `*` matches any one key (or array index); a key
 * that holds a `.`, `*` or `[` is written in brackets: `req.headers["x-api-key"]`; `a[0]` is
 * `a.0`. A path is relative to the record's `fields` (and to each value of `fields.args`) and,
 * separately, to its `annotations`.
 * The walk builds a new rendering: the values the caller logged are never modified.
 */
/** What replaces a redacted value. */
export const REDACTED = "[REDACTED]"

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

/**
 * A compiled set of paths, as a tree walked alongside a value (see `safeJson.toSafe`): `step`
 * gives the node for a key, `terminal` says the value there is redacted.
 */
export interface RedactNode {
  readonly keys: Map<string, RedactNode>
  wildcard: RedactNode | undefined
  terminal: boolean
  /** Nodes for keys matched both by name and by `*`, merged once (see `step`). */
  merged?: Map<string, RedactNode>
}

const node = (): RedactNode => ({ keys: new Map(), wildcard: undefined, terminal: false })

/** Compile paths (throws on a malformed one); `undefined` when there are none. */
export const compile = (paths: ReadonlyArray<string>): RedactNode | undefined => {
  if (paths.length === 0) return undefined
  const root = node()
  for (const path of paths) {
    const segments = parsePath(path)
    // a value logged that is not a plain object (a class instance, an Error) is rendered under
    // `fields.args[i]`: each path applies to it as to the fields themselves
    add(root, segments)
    add(root, ["args", "*", ...segments])
  }
  return root
}

const add = (root: RedactNode, segments: ReadonlyArray<string>): void => {
  let current = root
  for (const segment of segments) {
    if (segment === "*") current = current.wildcard ??= node()
    else {
      let next = current.keys.get(segment)
      if (next === undefined) current.keys.set(segment, next = node())
      current = next
    }
  }
  current.terminal = true
}

/** The node for `key` below `from`: the paths naming it and the paths through `*`, together. */
export const step = (from: RedactNode, key: string): RedactNode | undefined => {
  const exact = from.keys.get(key)
  const wild = from.wildcard
  if (exact === undefined) return wild
  if (wild === undefined) return exact
  const merged = from.merged ??= new Map()
  let both = merged.get(key)
  if (both === undefined) merged.set(key, both = merge(exact, wild))
  return both
}

const merge = (a: RedactNode, b: RedactNode): RedactNode => {
  const out = node()
  out.terminal = a.terminal || b.terminal
  for (const [key, next] of a.keys) out.keys.set(key, next)
  for (const [key, next] of b.keys) {
    const existing = out.keys.get(key)
    out.keys.set(key, existing === undefined ? next : merge(existing, next))
  }
  out.wildcard = a.wildcard === undefined ? b.wildcard : b.wildcard === undefined ? a.wildcard : merge(a.wildcard, b.wildcard)
  return out
}
