/**
 * Per-component levels, sampling and rate limits, decided on the caller's fiber before a record
 * is queued. The component of a record is the value of one annotation (`componentKey`, default
 * `component`). Each component has a rule: its own minimum level, the fraction kept by sampling
 * and the records per second kept by the rate limit; records without a component (or with one
 * not named) take the `"*"` rule. Records at or above `Warning` pass sampling and rate limits.
 *
 * Cost: the rule is found once per annotations map (Effect keeps the same map for every log
 * call of a fiber until its annotations change), so a run of log calls pays one comparison.
 */
import * as Cause from "effect/Cause"
import * as FiberId from "effect/FiberId"
import * as HashMap from "effect/HashMap"
import * as List from "effect/List"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import type { LogCall as Captured } from "./normalize.js"

/** The decision of one component. Mutable window fields belong to the rate limit. */
export class Rule {
  /** Start (in whole seconds of the fiber's clock) of the current rate-limit window. */
  window = -1
  /** Records kept in the current window. */
  kept = 0
  /** Records refused by the rate limit in the current window, not yet reported. */
  suppressed = 0

  constructor(
    readonly name: string,
    readonly minimumOrdinal: number,
    readonly sampleRate: number,
    readonly ratePerSecond: number
  ) {}
}

export interface ComponentOptions {
  readonly componentKey: string
  readonly minimumLevel: LogLevel.LogLevel
  readonly levels: ReadonlyMap<string, LogLevel.LogLevel>
  readonly sample: ReadonlyMap<string, number>
  readonly rateLimit: ReadonlyMap<string, number>
}

/** mulberry32: a 32-bit PRNG, enough to spread sampling decisions, seeded from Effect's `Random`. */
const prng = (seed: number): (() => number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6D2B79F5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const WARNING = LogLevel.Warning.ordinal

/** The component named by an annotation value; undefined when it cannot be turned into a string (it must not throw in a log call). */
const componentName = (value: unknown): string | undefined => {
  if (typeof value === "string") return value
  try {
    return String(value)
  } catch {
    return undefined
  }
}

/** The summary record a rate limit leaves when its window ends with records refused. */
const summaryRecord = (key: string, rule: Rule, time: number): Captured => ({
  fiberId: FiberId.none,
  logLevel: LogLevel.Warning,
  message: `${rule.suppressed} records suppressed`,
  fields: { component: rule.name, suppressed: rule.suppressed, rateLimitPerSecond: rule.ratePerSecond },
  cause: Cause.empty,
  spans: List.empty(),
  annotations: rule.name === "*" ? HashMap.empty() : HashMap.make([key, rule.name]),
  time
})

export class Components {
  /** false when no component option is set: the log call then skips this module entirely. */
  readonly active: boolean
  /** The lowest level any rule keeps: Effect's own filter must let those records through. */
  readonly lowestLevel: LogLevel.LogLevel
  private readonly rules = new Map<string, Rule>()
  private readonly fallbackRule: Rule
  private lastAnnotations: HashMap.HashMap<string, unknown> | undefined = undefined
  private lastRule: Rule
  private readonly random: () => number
  /** Where summary records go: set by the log function (they are offered like any record). */
  emit: (record: Captured) => void = () => {}

  constructor(private readonly options: ComponentOptions, seed: number) {
    const { levels, minimumLevel, rateLimit, sample } = options
    this.active = levels.size > 0 || sample.size > 0 || rateLimit.size > 0
    const names = new Set([...levels.keys(), ...sample.keys(), ...rateLimit.keys()])
    names.delete("*")
    const rule = (name: string) =>
      new Rule(
        name,
        (levels.get(name) ?? minimumLevel).ordinal,
        sample.get(name) ?? sample.get("*") ?? 1,
        rateLimit.get(name) ?? rateLimit.get("*") ?? Infinity
      )
    this.fallbackRule = rule("*")
    for (const name of names) this.rules.set(name, rule(name))
    this.lastRule = this.fallbackRule
    let lowest = minimumLevel
    for (const level of levels.values()) if (level.ordinal < lowest.ordinal) lowest = level
    this.lowestLevel = lowest
    this.random = prng(seed)
  }

  /** The rule of the record's component; one comparison while the annotations stay the same. */
  ruleFor(annotations: HashMap.HashMap<string, unknown>): Rule {
    if (annotations === this.lastAnnotations) return this.lastRule
    let rule = this.fallbackRule
    if (HashMap.size(annotations) > 0) {
      const value = HashMap.get(annotations, this.options.componentKey)
      if (Option.isSome(value)) {
        const name = componentName(value.value)
        if (name !== undefined) rule = this.rules.get(name) ?? this.fallbackRule
      }
    }
    this.lastAnnotations = annotations
    this.lastRule = rule
    return rule
  }

  /** Sampling, then the rate limit. false: the record is left out (the caller counts it as sampled). */
  admit(rule: Rule, ordinal: number, date: Date): boolean {
    if (ordinal >= WARNING) return true
    if (rule.sampleRate < 1 && !(this.random() < rule.sampleRate)) return false
    if (rule.ratePerSecond === Infinity) return true
    const time = date.getTime()
    const second = Math.floor(time / 1000)
    if (second !== rule.window) {
      this.report(rule, time)
      rule.window = second
      rule.kept = 0
    }
    if (rule.kept < rule.ratePerSecond) {
      rule.kept++
      return true
    }
    rule.suppressed++
    return false
  }

  /** Emit the summary of a window that refused records (when the limit lifts, on flush, at shutdown). */
  private report(rule: Rule, time: number): void {
    if (rule.suppressed === 0) return
    const record = summaryRecord(this.options.componentKey, rule, time)
    rule.suppressed = 0
    this.emit(record)
  }

  /** Report every window with refused records now. */
  reportAll(time: number): void {
    this.report(this.fallbackRule, time)
    for (const rule of this.rules.values()) this.report(rule, time)
  }
}
