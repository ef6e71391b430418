/**
 * `[circus] debug_gc`: Circus turns on Python's garbage collector debug output to help track
 * a leak in circusd. Node's equivalent is V8's: each collection of circusd's heap is logged
 * with its kind (Scavenge, MarkSweepCompact, ...), its duration and the heap used before and
 * after it.
 */
import { GCProfiler } from "node:v8";
import type { Logger } from "../log/logger.js";

/** How often the collected figures are logged. */
const FLUSH_MS = 1000;

const MiB = 1024 * 1024;
const mib = (bytes: number): string => `${(bytes / MiB).toFixed(2)} MiB`;

/** GCProfiler reports heap statistics in camelCase, unlike the types it is declared with. */
interface HeapFigures {
  usedHeapSize: number;
  totalHeapSize: number;
}

/**
 * Logs every garbage collection of this process at info level until the returned function is
 * called. V8's GC profiler records each collection's figures and hands them over only when
 * stopped, so it is stopped and restarted every second: the lines come in batches, each
 * collection once.
 */
export function traceGc(log: Logger): () => void {
  let profiler = new GCProfiler();
  profiler.start();
  const flush = (restart: boolean): void => {
    const { statistics } = profiler.stop();
    if (restart) {
      profiler = new GCProfiler();
      profiler.start();
    }
    for (const gc of statistics) {
      const before = gc.beforeGC.heapStatistics as unknown as HeapFigures;
      const after = gc.afterGC.heapStatistics as unknown as HeapFigures;
      log.info(
        `gc: ${gc.gcType} ${(gc.cost / 1000).toFixed(2)} ms, heap used ` +
          `${mib(before.usedHeapSize)} -> ${mib(after.usedHeapSize)} ` +
          `(heap size ${mib(after.totalHeapSize)})`,
      );
    }
  };
  const timer = setInterval(() => flush(true), FLUSH_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    flush(false);
  };
}
