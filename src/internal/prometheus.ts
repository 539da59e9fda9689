/**
 * Effect's metric registry rendered in the Prometheus text exposition format (version 0.0.4):
 * one family per exposed name with its `# HELP` and `# TYPE` lines, then one sample line per
 * series. Everything here is pure: `render` takes a snapshot and returns the text.
 */
import type * as MetricKey from "effect/MetricKey"
import type * as MetricKeyType from "effect/MetricKeyType"
import type * as MetricLabel from "effect/MetricLabel"
import type * as MetricPair from "effect/MetricPair"
import * as MetricState from "effect/MetricState"
import * as Option from "effect/Option"

type FamilyType = "counter" | "gauge" | "histogram" | "summary"

interface Family {
  readonly name: string
  readonly type: FamilyType
  readonly help: string
  readonly lines: Array<string>
}

/** A metric name Prometheus accepts: `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
export const sanitizeMetricName = (name: string): string => {
  const cleaned = name.replace(/[^a-zA-Z0-9_:]/g, "_")
  return cleaned.length === 0 ? "_" : /^[0-9]/.test(cleaned) ? "_" + cleaned : cleaned
}

/** A label name Prometheus accepts: `[a-zA-Z_][a-zA-Z0-9_]*` (`__` prefixes are reserved). */
export const sanitizeLabelName = (name: string): string => {
  let cleaned = name.replace(/[^a-zA-Z0-9_]/g, "_")
  if (cleaned.length === 0 || /^[0-9]/.test(cleaned)) cleaned = "_" + cleaned
  return cleaned.startsWith("__") ? "x" + cleaned : cleaned
}

/** Label values: backslash, double quote and line feed are escaped. */
export const escapeLabelValue = (value: string): string =>
  value.replace(/\\/g, "\\\\").replace(/"/g, "\\\"").replace(/\n/g, "\\n")

/** HELP text: backslash and line feed are escaped. */
const escapeHelp = (text: string): string => text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")

/** A sample value: Go's float syntax (`NaN`, `+Inf`, `-Inf`), bigints as integers. */
export const formatValue = (value: number | bigint): string => {
  if (typeof value === "bigint") return value.toString()
  if (Number.isNaN(value)) return "NaN"
  if (value === Infinity) return "+Inf"
  if (value === -Infinity) return "-Inf"
  return String(value)
}

const labelSet = (tags: ReadonlyArray<MetricLabel.MetricLabel>, extra?: readonly [string, string]): string => {
  const seen = new Set<string>()
  const parts: Array<string> = []
  const add = (key: string, value: string) => {
    const name = sanitizeLabelName(key)
    if (seen.has(name)) return // a duplicate label makes the whole exposition invalid
    seen.add(name)
    parts.push(`${name}="${escapeLabelValue(value)}"`)
  }
  // the extra label (le, quantile, key) is the one Prometheus reads: it wins a clash
  if (extra !== undefined) add(extra[0], extra[1])
  for (const tag of tags) add(tag.key, tag.value)
  if (extra !== undefined) parts.push(parts.shift()!) // conventionally last
  return parts.length === 0 ? "" : `{${parts.join(",")}}`
}

const sample = (
  name: string,
  tags: ReadonlyArray<MetricLabel.MetricLabel>,
  value: number | bigint,
  extra?: readonly [string, string]
): string => `${name}${labelSet(tags, extra)} ${formatValue(value)}`

const familyType = (state: MetricState.MetricState.Untyped): FamilyType | undefined => {
  if (MetricState.isCounterState(state) || MetricState.isFrequencyState(state)) return "counter"
  if (MetricState.isGaugeState(state)) return "gauge"
  if (MetricState.isHistogramState(state)) return "histogram"
  if (MetricState.isSummaryState(state)) return "summary"
  return undefined
}

/** Counters end in `_total`, as Prometheus' linter asks. */
const exposedName = (key: MetricKey.MetricKey<MetricKeyType.MetricKeyType<unknown, unknown>>, type: FamilyType) => {
  const base = sanitizeMetricName(key.name)
  return type === "counter" && !base.endsWith("_total") ? base + "_total" : base
}

const sampleLines = (
  name: string,
  tags: ReadonlyArray<MetricLabel.MetricLabel>,
  state: MetricState.MetricState.Untyped
): Array<string> => {
  if (MetricState.isCounterState(state)) return [sample(name, tags, state.count)]
  if (MetricState.isGaugeState(state)) return [sample(name, tags, state.value)]
  if (MetricState.isFrequencyState(state)) {
    return [...state.occurrences].map(([key, count]) => sample(name, tags, count, ["key", key]))
  }
  if (MetricState.isHistogramState(state)) {
    const base = name
    const lines = state.buckets
      .filter(([boundary]) => Number.isFinite(boundary))
      .map(([boundary, count]) => sample(`${base}_bucket`, tags, count, ["le", formatValue(boundary)]))
    // Effect's buckets stop at the last boundary; the +Inf bucket holds every observation
    lines.push(sample(`${base}_bucket`, tags, state.count, ["le", "+Inf"]))
    lines.push(sample(`${base}_sum`, tags, state.sum), sample(`${base}_count`, tags, state.count))
    return lines
  }
  if (MetricState.isSummaryState(state)) {
    const lines = state.quantiles.map(([q, value]) =>
      sample(name, tags, Option.getOrElse(value, () => NaN), ["quantile", formatValue(q)])
    )
    lines.push(sample(`${name}_sum`, tags, state.sum), sample(`${name}_count`, tags, state.count))
    return lines
  }
  return []
}

/**
 * The exposition text of a registry snapshot. Series of one name share a family; a name used by
 * metrics of two kinds gets the kind appended for the later ones (`x_gauge`), so that each family
 * has one `# TYPE`.
 */
export const render = (pairs: ReadonlyArray<MetricPair.MetricPair.Untyped>): string => {
  const families = new Map<string, Family>()
  for (const pair of pairs) {
    const state = pair.metricState as MetricState.MetricState.Untyped
    const type = familyType(state)
    if (type === undefined) continue
    const key = pair.metricKey as MetricKey.MetricKey<MetricKeyType.MetricKeyType<unknown, unknown>>
    let name = exposedName(key, type)
    const existing = families.get(name)
    if (existing !== undefined && existing.type !== type) name = `${name}_${type}`
    let family = families.get(name)
    if (family === undefined) {
      const help = Option.getOrElse(key.description, () => `Effect metric ${key.name}`)
      family = { name, type, help, lines: [] }
      families.set(name, family)
    }
    family.lines.push(...sampleLines(name, key.tags, state))
  }
  let text = ""
  for (const family of [...families.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    text += `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`
    for (const line of family.lines) text += line + "\n"
  }
  return text
}
