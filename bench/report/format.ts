/** Number formatting shared by the report, the targets and the case notes. */

/** An integer with thousands separators, or "n/a". */
export const int = (n: number): string => Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a"

/** A fixed-point number, or "n/a". */
export const fixed = (n: number, digits = 2): string => Number.isFinite(n) ? n.toFixed(digits) : "n/a"

/** Nanoseconds shown as microseconds with one decimal. */
export const micros = (ns: number | undefined): string => ns === undefined ? "n/a" : fixed(ns / 1000, 1)

/** A ratio's change as a signed percentage: 1.07 -> "+7.0 %". */
export const signedPercent = (ratio: number): string => `${ratio >= 0 ? "+" : ""}${fixed(ratio * 100, 1)} %`
