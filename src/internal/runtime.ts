/**
 * Wires the parts into one running logger: the ring buffer, the accounting, the backpressure
 * policy, the fallback path, the writer fiber (forked in the current scope) and the log function
 * the installed `Logger` calls. The flow of one log call through these files is in
 * docs/design.md.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import type * as LogLevel from "effect/LogLevel"
import * as Random from "effect/Random"
import type * as Scope from "effect/Scope"
import type { LogSinkService } from "../LogSink.js"
import { Accounting, liveMetricSyncs, type Stats } from "./accounting.js"
import { Backpressure } from "./backpressure.js"
import { type Captured, criticalReserve, makeLog } from "./capture.js"
import { Components } from "./components.js"
import { Fallback, guardNormalize } from "./fallback.js"
import { copyLimit, makeNormalize } from "./normalize.js"
import type { ResolvedOptions } from "./options.js"
import { RingBuffer } from "./ringBuffer.js"
import { type FlushResult, makeWindowWait, Writer } from "./writer.js"

/** Every running logger's exit hook, behind one `exit` listener (no MaxListeners warning with many loggers). */
const exitHooks = new Set<() => void>()
const runExitHooks = (): void => {
  for (const hook of exitHooks) hook()
}

/** Run `f` on the process's `exit` event while the scope is open. */
const onProcessExit = (f: () => void): Effect.Effect<void, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      if (exitHooks.size === 0) process.on("exit", runExitHooks)
      exitHooks.add(f)
    }),
    () =>
      Effect.sync(() => {
        exitHooks.delete(f)
        if (exitHooks.size === 0) process.off("exit", runExitHooks)
      })
  )

const onSignal = (signal: NodeJS.Signals, f: () => void): Effect.Effect<void, never, Scope.Scope> =>
  Effect.acquireRelease(Effect.sync(() => void process.on(signal, f)), () => Effect.sync(() => void process.off(signal, f)))

export interface Runtime {
  readonly logger: Logger.Logger<unknown, void>
  readonly stats: Effect.Effect<Stats>
  readonly flush: Effect.Effect<FlushResult>
  readonly backpressure: Backpressure
  /** The lowest level any component keeps: Effect's own minimum level must let it through. */
  readonly lowestLevel: LogLevel.LogLevel
}

export const make = (options: ResolvedOptions, sink: LogSinkService): Effect.Effect<Runtime, never, Scope.Scope> =>
  Effect.gen(function*() {
    const syncMode = options.mode === "sync"
    // A sink with writeSync takes a critical record on a full queue at once (fallback.writeNow);
    // one without gets a reserve past `capacity`, so the record still reaches it, in order.
    const reserve = sink.writeSync === undefined ? criticalReserve(options.capacity) : 0
    const queue = new RingBuffer<Captured>(options.capacity + reserve)
    const backpressure = new Backpressure(options.capacity, queue)
    const accounting = new Accounting()

    const normalize = guardNormalize(makeNormalize({ redact: options.redact, maxRecordBytes: options.maxRecordBytes }))
    const fallback = new Fallback(sink, accounting, normalize)
    const writer = new Writer({
      queue,
      accounting,
      backpressure,
      sink,
      normalize,
      // a full queue is a full batch: the writer never waits for more records than fit
      batchSize: Math.min(options.batchSize, options.capacity),
      retry: options.retry,
      shutdownTimeout: options.shutdownTimeout,
      writeTimeout: options.writeTimeout,
      flushTimeout: options.flushTimeout,
      windowWait: yield* makeWindowWait(options.batchWindow),
      runtime: yield* Effect.runtime<never>()
    })
    // sampling draws from a generator seeded here, from Effect's Random: a fixed Random fixes it
    const components = new Components(options, yield* Random.nextInt)
    const log = makeLog({
      capacity: options.capacity,
      criticalOrdinal: options.criticalLevel.ordinal,
      sliding: options.overflow === "sliding",
      syncMode,
      criticalSync: options.durability === "critical-sync",
      queue,
      accounting,
      backpressure,
      fallback,
      writer,
      components,
      copyLimit: copyLimit(options.maxRecordBytes)
    })
    // summaries of rate limits still refusing records: before a flush and at shutdown
    const reportSuppressed = Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => components.reportAll(now)))

    // The writer drains everything queued before it gives the thread back: with the default
    // budget (2,048 operations) it would get one turn per round of N producer fibers and fall behind.
    const writerFiber = syncMode
      ? undefined
      : yield* Effect.forkDaemon(
        Effect.interruptible(Effect.withMaxOpsBeforeYield(writer.run, Number.MAX_SAFE_INTEGER)).pipe(
          // a pending window timer must not keep the process alive after the logger is gone
          Effect.ensuring(writer.stopWindow)
        )
      )

    const syncMetrics = (): void => {
      accounting.observeQueue(queue.size)
      accounting.syncMetrics(writer.pending())
    }
    yield* Effect.acquireRelease(
      Effect.sync(() => void liveMetricSyncs.add(syncMetrics)),
      () => Effect.sync(() => void liveMetricSyncs.delete(syncMetrics))
    )

    yield* onProcessExit(() => {
      // process.exit() or an uncaught exception: no fiber runs again, so write what is left now
      writer.drainAtExit(fallback)
    })
    for (const signal of options.terminateOn) yield* onSignal(signal, () => process.kill(process.pid, "SIGTERM"))

    yield* Effect.addFinalizer(() =>
      Effect.zipRight(
        Effect.zipRight(reportSuppressed, writer.close(writerFiber)),
        Effect.sync(() => {
          // the sink's own finalizer runs next: from here on, late records go to stderr
          fallback.closed = true
          accounting.syncMetrics(writer.pending())
        })
      )
    )

    return {
      logger: Logger.make<unknown, void>(log),
      stats: Effect.sync(() => {
        accounting.observeQueue(queue.size)
        return accounting.stats(writer.pending())
      }).pipe(
        Effect.zipWith(sink.stats ?? Effect.succeed(undefined), (stats, sinks) => sinks === undefined ? stats : { ...stats, sinks })
      ),
      flush: Effect.zipRight(reportSuppressed, writer.flush),
      backpressure,
      lowestLevel: components.lowestLevel
    }
  })
