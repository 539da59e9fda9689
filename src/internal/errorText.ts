/** A thrown value as text, whatever it is (a getter, a trap or `toString` may throw too). */
export const thrownText = (error: unknown): string => {
  try {
    return error instanceof Error ? String(error.message) : String(error)
  } catch {
    return "[unrenderable error]"
  }
}
