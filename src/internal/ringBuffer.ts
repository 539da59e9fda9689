/**
 * A fixed-capacity ring buffer of captured log calls. The hot path only does an array store
 * and two integer updates; no node allocation, no Chunk, no Effect.
 */
export class RingBuffer<A> {
  private readonly items: Array<A | undefined>
  private readonly seqs: Float64Array
  private head = 0
  size = 0

  constructor(readonly capacity: number) {
    this.items = new Array<A | undefined>(capacity)
    this.seqs = new Float64Array(capacity)
  }

  /** false when full */
  offer(item: A, seq: number): boolean {
    // No operation runs only on wrap-around: code that first runs at the first wrap (record
    // 65,536 of a burst) has no type feedback yet and deoptimized the caller's log call there.
    const capacity = this.capacity
    if (this.size === capacity) return false
    const end = this.head + this.size
    const wrapped = end - capacity
    const tail = wrapped >= 0 ? wrapped : end
    this.items[tail] = item
    this.seqs[tail] = seq
    this.size++
    return true
  }

  /** Sequence number of the oldest item, or Infinity when empty. */
  oldestSeq(): number {
    return this.size === 0 ? Infinity : this.seqs[this.head]!
  }

  /** How many queued items have a seq of at most `target` (they are in seq order). */
  countUpTo(target: number): number {
    let lo = 0
    let hi = this.size
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const index = this.head + mid
      if (this.seqs[index >= this.capacity ? index - this.capacity : index]! <= target) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** Remove the oldest item (for the sliding strategy). */
  shift(): { readonly item: A; readonly seq: number } | undefined {
    if (this.size === 0) return undefined
    const item = this.items[this.head]!
    const seq = this.seqs[this.head]!
    this.items[this.head] = undefined
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1
    this.size--
    return { item, seq }
  }

  /** Move up to `max` oldest items into `f`, in order; returns how many. */
  drainInto(max: number, f: (item: A, seq: number) => void): number {
    const n = Math.min(max, this.size)
    let index = this.head
    let i = 0
    try {
      for (; i < n; i++) {
        const item = this.items[index]!
        const seq = this.seqs[index]!
        this.items[index] = undefined
        index = index + 1 === this.capacity ? 0 : index + 1
        f(item, seq)
      }
    } finally {
      // an item `f` threw on is taken too: a record that throws every time must not be handed
      // again to a restarted writer, forever
      if (i < n) i++
      this.head = index
      this.size -= i
    }
    return n
  }
}
