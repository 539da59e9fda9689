/**
 * Hostile and heavy values for the reliability suite: the heaviest are built once (a 100 MiB
 * Buffer, a sparse array of length 2^32-1, a 1,000,000-key object...) and mixed into arbitrary
 * values with `fc.constantFrom`, so a 10,000-value run stays fast. Secrets are only ever placed
 * under a key named `password` at a redacted path (`password` or `<any key>.password`).
 */
import * as Cause from "effect/Cause"
import * as fc from "fast-check"

/** The redact paths of the suite: one literal, one wildcard. */
export const REDACT = ["password", "*.password"]

/** Every secret starts with this; no other generated text can contain it. */
export const SECRET_PREFIX = "SECRET\u00a7"

/** Name a heavy value in fast-check's reports instead of printing it. */
const named = <T extends object>(name: string, value: T): T =>
  Object.defineProperty(value, fc.toStringMethod, { value: () => name, enumerable: false })

const MiB = 1024 * 1024

/** Built once, on first use (the 1,000,000-key object takes a second or so). */
const heavyValues = (() => {
  let cache: ReadonlyArray<unknown> | undefined
  return (): ReadonlyArray<unknown> => {
    if (cache !== undefined) return cache
    const buffer = Buffer.alloc(100 * MiB, 0x61)
    const sparse: Array<unknown> = []
    sparse.length = 2 ** 32 - 1
    sparse[2 ** 32 - 2] = "last"
    const million: Record<string, number> = {}
    for (let i = 0; i < 1_000_000; i++) million["k" + i] = i
    const bigMap = new Map<unknown, unknown>()
    for (let i = 0; i < 100_000; i++) bigMap.set(i % 2 === 0 ? "k" + i : { i }, i)
    const bigSet = new Set<number>()
    for (let i = 0; i < 100_000; i++) bigSet.add(i)
    let deep: Record<string, unknown> = {}
    for (let i = 0; i < 10_000; i++) deep = { deep }
    const cyclic: Record<string, unknown> = { name: "cyclic" }
    cyclic.self = cyclic
    const errorWithBuffer = named("Error{payload: 100 MiB Buffer}", Object.assign(new Error("carries a buffer"), { payload: buffer }))
    const errorWithSparse = named("Error{sparse}", Object.assign(new Error("carries a sparse array"), { sparse }))
    const errorWithMillion = named("Error{million}", Object.assign(new Error("carries a million keys"), million))
    const chain = named("Error chain", new Error("outer", { cause: errorWithBuffer }))
    const hugeMessage = named("Error{8 MiB message}", new Error("m".repeat(8 * MiB)))
    cache = [
      named("100 MiB Buffer", buffer),
      named("Float64Array(1M)", new Float64Array(MiB)),
      named("sparse array, length 2^32-1", sparse),
      named("1,000,000-key object", million),
      named("Map(100k)", bigMap),
      named("Set(100k)", bigSet),
      named("deep 10,000", deep),
      named("cyclic", cyclic),
      named("4 MiB string", { s: "\u2028x\u0085\n".repeat(MiB) }),
      errorWithBuffer,
      errorWithSparse,
      errorWithMillion,
      chain,
      hugeMessage,
      named("Cause.fail(Error{payload})", Cause.fail(errorWithBuffer)),
      named("Cause.die(Error{sparse})", Cause.die(errorWithSparse)),
      named("Cause.parallel(...)", Cause.parallel(Cause.die(chain), Cause.fail(errorWithMillion)))
    ]
    return cache
  }
})()

/** The heavy values, one of them per draw. */
export const heavy: fc.Arbitrary<unknown> = fc.constant(null).chain(() => fc.constantFrom(...heavyValues()))

/** Values whose reading is hostile: getters that throw, Proxies, stateful toJSON. */
export const hostile: fc.Arbitrary<unknown> = fc.constantFrom(
  "throwing getter",
  "throwing traps",
  "changing proxy",
  "stateful toJSON",
  "throwing toJSON",
  "toJSON chain"
).map((kind) => {
  switch (kind) {
    case "throwing getter":
      return named(kind, Object.defineProperty({ ok: 1 }, "bad", {
        enumerable: true,
        get() {
          throw new Error("getter failed")
        }
      }))
    case "throwing traps":
      return new Proxy(named(kind, { a: 1 }), {
        ownKeys() {
          throw new Error("keys trap")
        },
        get(target, key) {
          if (typeof key === "symbol") return Reflect.get(target, key)
          throw new Error("get trap")
        }
      })
    case "changing proxy": {
      let reads = 0
      return new Proxy(named(kind, { a: 1, b: "x" }), {
        get(target, key) {
          if (typeof key === "symbol") return Reflect.get(target, key)
          reads++
          return reads % 2 === 0 ? { nested: reads } : "x".repeat(reads % 50)
        }
      })
    }
    case "stateful toJSON": {
      let calls = 0
      return named(kind, { toJSON: () => (++calls % 2 === 0 ? { calls } : [calls, "odd"]) })
    }
    case "throwing toJSON":
      return named(kind, {
        toJSON() {
          throw new Error("toJSON failed")
        }
      })
    default: {
      // each toJSON returns a new object with its own toJSON: the walk must still end
      const next = (n: number): object => ({ toJSON: () => next(n + 1), n })
      return named(kind, next(0))
    }
  }
})

/**
 * A secret under a key named `password`, hidden in every way a value can be read: a plain
 * value, a getter, a `toJSON` result (stateful too), a Proxy whose reads change, an Error's own
 * field, a Map entry, a class instance.
 */
export const secretHolder = (secret: string): fc.Arbitrary<unknown> =>
  fc.constantFrom(
    () => ({ password: secret }),
    () => Object.defineProperty({}, "password", { enumerable: true, get: () => secret }),
    () => ({ toJSON: () => ({ password: secret }) }),
    () => {
      let calls = 0
      return { toJSON: () => (++calls % 2 === 0 ? { password: secret } : { password: secret + "-first", other: 1 }) }
    },
    () => {
      let reads = 0
      return new Proxy({ password: "" }, {
        get(target, key) {
          if (typeof key === "symbol") return Reflect.get(target, key)
          return `${secret}-${++reads}`
        }
      })
    },
    () => Object.assign(new Error("login failed"), { password: secret }),
    () => new Map([["password", secret], ["user", "ada"]]),
    () => new (class Login {
      readonly password = secret
      readonly user = "ada"
    })()
  ).map((make) => make())

const anyText = fc.string({
  unit: fc.oneof(
    fc.constantFrom("\n", "\r", "\u2028", "\u2029", "\u0085", "\u001b[31m", "\"", "\\", "=", "\ud800"),
    fc.string({ unit: "binary", minLength: 1, maxLength: 1 })
  ),
  maxLength: 40
})

/**
 * Ordinary arbitrary values, with hostile ones mixed in (7 %) and heavy ones now and then
 * (1 in 259: about 39 in 10,000 draws, each heavy value 2 or 3 times).
 */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 180, arbitrary: fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true, withBoxedValues: true, maxDepth: 3 }) },
  { weight: 60, arbitrary: anyText },
  { weight: 18, arbitrary: hostile },
  { weight: 1, arbitrary: heavy }
)

/** How a value reaches the logger. */
export type Shape = "fields" | "fields-object" | "args" | "cause" | "annotations"

/** One log call: a message, a value in one shape, and a secret hidden at a redacted path. */
export interface Call {
  readonly shape: Shape
  readonly message: string
  readonly key: string
  readonly value: unknown
  readonly secret: string
  readonly holder: unknown
}

export const anyCall: fc.Arbitrary<Call> = fc.record({
  shape: fc.constantFrom<Shape>("fields", "fields-object", "args", "cause", "annotations"),
  message: anyText,
  key: fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== "password" && k !== "__proto__"),
  value: anyValue,
  secret: fc.string({ minLength: 4, maxLength: 12, unit: fc.constantFrom(..."abcdefghijklmnop0123456789") }).map(
    (s) => SECRET_PREFIX + s
  )
}).chain((call) => secretHolder(call.secret).map((holder) => ({ ...call, holder })))
