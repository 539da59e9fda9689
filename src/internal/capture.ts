/**
 * Everything the caller pays for: the `Logger`'s log function. It copies the seven parts of
 * Effect's log options it needs and the current span's ids (`capture`), inserts them into the ring
 * buffer and, when the writer waits for that many records, wakes it; the record that fills the
 * queue tells the backpressure policy, which then holds producers until the writer has drained.
 * There is no level check here: Effect's minimum level (which the Layer sets, and
 * `Logger.withMinimumLogLevel` changes for a region) is the one filter. On a full queue a record
 * is dropped and counted; one at or above `criticalLevel` goes through the fallback path (the
 * sink's `writeSync`), or, for a sink without `writeSync`, into the reserve kept for them past
 * `capacity` (so it still reaches the sink, in order), and only when that is full too to stderr.
 * No formatting, no Effect, no allocation beyond the captured call.
 */
import * as FiberRef from "effect/FiberRef"
import type * as FiberRefs from "effect/FiberRefs"
import type * as Logger from "effect/Logger"
import * as Tracer from "effect/Tracer"
import type { Accounting } from "./accounting.js"
import type { Backpressure } from "./backpressure.js"
import type { Components } from "./components.js"
import type { Fallback } from "./fallback.js"
import { type LogCall, snapshotFields, snapshotParts } from "./normalize.js"
import type { RingBuffer } from "./ringBuffer.js"

/** What the queue keeps of a log call: Effect's options without `context` (see `capture`). */
export type Captured = LogCall

/** A class, not an object literal: V8 tracks literal allocation sites and would pretenure this one. */
class CapturedCall implements LogCall {
  constructor(
    readonly fiberId: LogCall["fiberId"],
    readonly logLevel: LogCall["logLevel"],
    readonly message: unknown,
    readonly fields: Record<string, unknown> | undefined,
    readonly cause: LogCall["cause"],
    readonly spans: LogCall["spans"],
    readonly annotations: LogCall["annotations"],
    readonly time: number,
    readonly traceId: string | undefined,
    readonly spanId: string | undefined,
    readonly traceSampled: boolean | undefined
  ) {}
}

const SPAN_KEY = Tracer.ParentSpan.key

/**
 * The span the call runs in (`Effect.withSpan`, `Effect.fn`, an HTTP server span, an
 * OpenTelemetry span): what `Effect.currentSpan` reads, looked up without an `Option` or any
 * other allocation, since every log call pays for it. Outside a span: two failed map lookups.
 */
const currentSpan = (refs: FiberRefs.FiberRefs): Tracer.AnySpan | undefined => {
  const stack = refs.locals.get(FiberRef.currentContext)
  return stack === undefined ? undefined : stack[0][1].unsafeMap.get(SPAN_KEY)
}

/**
 * Keep only what normalization reads. Effect's options also hold `context`, a snapshot of the
 * calling fiber's FiberRefs (in a server: the request, its headers, its spans...); queued for a
 * batch window, it would outlive the young generation and turn cheap scavenges into old-space GC.
 * The message's plain objects are copied one level deep (`snapshotParts`): the record shows the
 * values at the call, and none of the caller's own objects wait in the queue. At most `copyLimit`
 * properties are read for the whole call (`normalize.copyLimit(maxRecordBytes)`): a million-key
 * object costs the caller no million reads.
 */
export const capture = (options: Logger.Logger.Options<unknown>, copyLimit: number): Captured => {
  let message: unknown
  let fields: Record<string, unknown> | undefined
  try {
    fields = snapshotFields(options.message, copyLimit)
    message = fields !== undefined
      ? (options.message as ReadonlyArray<unknown>)[0]
      : snapshotParts(options.message, copyLimit)
  } catch {
    // a hostile value (a Proxy whose traps throw) must not fail the caller's log call: keep the
    // message as logged, and the writer's guarded normalization renders what it can
    fields = undefined
    message = options.message
  }
  // only the ids are kept: the span object holds its attributes, links and parent chain
  const span = currentSpan(options.context)
  return new CapturedCall(
    options.fiberId,
    options.logLevel,
    message,
    fields,
    options.cause,
    options.spans,
    options.annotations,
    options.date.getTime(),
    span?.traceId,
    span?.spanId,
    span?.sampled
  )
}

/** What the log call reads of the writer: whether it waits, for how many records, and whether it is closing. */
export interface WriterSignal {
  readonly waiter: (() => void) | null
  readonly wantSize: number
  readonly closing: boolean
  wake(): void
}

/** Slots kept past `capacity` for critical records: a tenth of it, at least 64. */
export const criticalReserve = (capacity: number): number => Math.max(64, Math.ceil(capacity / 10))

export interface LogParts {
  /** The bound for records below `criticalLevel`; `queue.capacity` adds the critical reserve. */
  readonly capacity: number
  readonly criticalOrdinal: number
  readonly sliding: boolean
  readonly syncMode: boolean
  /** `durability: "critical-sync"`: critical records are written, with the queue before them, before the call returns. */
  readonly criticalSync: boolean
  readonly queue: RingBuffer<Captured>
  readonly accounting: Accounting
  readonly backpressure: Backpressure
  readonly fallback: Fallback
  readonly writer: WriterSignal
  readonly components: Components
  /** Most properties the caller's copy reads for one call (`normalize.copyLimit`). */
  readonly copyLimit: number
}

/**
 * The log function a `Logger.make` wraps: the whole hot path. Without component options it is
 * `offer` alone (Effect's minimum level has already filtered); with them, the component's rule
 * decides first (components.ts).
 */
export const makeLog = (parts: LogParts): (options: Logger.Logger.Options<unknown>) => void => {
  const {
    accounting, backpressure, capacity, components, copyLimit, criticalOrdinal, criticalSync, fallback, queue, sliding, syncMode, writer
  } = parts
  const enqueue = (captured: Captured, seq: number): void => {
    queue.offer(captured, seq)
    if (writer.waiter !== null && queue.size >= writer.wantSize) {
      if (writer.wantSize > 1) backpressure.batchFilled = true
      writer.wake()
    }
  }

  const offer = (options: Logger.Logger.Options<unknown>): void => {
    const seq = ++accounting.offered
    if (syncMode || writer.closing) return fallback.writeNow(capture(options, copyLimit), seq)
    if (criticalSync && options.logLevel.ordinal >= criticalOrdinal) return fallback.drainNow(queue, [], capture(options, copyLimit), seq)
    if (queue.size < capacity) {
      enqueue(capture(options, copyLimit), seq)
      // the record that fills the queue: its fiber waits for the writer's turn, if one is coming
      // (a writer busy in a slow sink write is not waited for: later records drop)
      if (queue.size === capacity) backpressure.queueFilled(options.fiberId)
      return
    }
    // full: a record about to be dropped is not even copied
    if (options.logLevel.ordinal >= criticalOrdinal) {
      if (queue.size === queue.capacity) return fallback.writeNow(capture(options, copyLimit), seq)
      backpressure.reserveUsed = true
      return enqueue(capture(options, copyLimit), seq)
    }
    // the slots past capacity are the critical reserve: a record below criticalLevel never takes one
    if (!sliding || queue.size > capacity) return accounting.drop(options.logLevel)
    const evicted = queue.shift()!
    if (evicted.item.logLevel.ordinal >= criticalOrdinal) fallback.writeNow(evicted.item, evicted.seq)
    else accounting.drop(evicted.item.logLevel)
    queue.offer(capture(options, copyLimit), seq)
  }

  // Effect's minimum level (set by the Layer, changed by Logger.withMinimumLogLevel in a region)
  // is the one filter: no second level check here
  if (!components.active) return offer

  // A rate limit's summary record: offered like any other, through the fallback path when the
  // queue is full (it reports a loss; it must not be lost itself).
  components.emit = (record) => {
    const seq = ++accounting.offered
    if (syncMode || writer.closing || queue.size >= queue.capacity) return fallback.writeNow(record, seq)
    enqueue(record, seq)
  }
  const lowestOrdinal = components.lowestLevel.ordinal
  return (options) => {
    const ordinal = options.logLevel.ordinal
    if (ordinal < lowestOrdinal) return
    const rule = components.ruleFor(options.annotations)
    if (ordinal < rule.minimumOrdinal) return
    if (!components.admit(rule, ordinal, options.date)) {
      accounting.offered++
      accounting.sampled++
      return
    }
    offer(options)
  }
}
