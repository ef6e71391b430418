/**
 * Runs jobs one after another: the arbiter's one queue of state changes. An idle queue starts
 * a job synchronously, so that its first synchronous steps (a watcher turning "stopping") are
 * visible to the next request at once.
 *
 * It is not reentrant: a job that queued another change would wait for itself. A job makes
 * its steps through what its owner hands it (the arbiter's {@link Change}), which runs them at
 * once. (Reentrancy through AsyncLocalStorage would cost every promise of the daemon: on
 * Node 20 its hook doubles the cost of an await, and a start of 1000 processes took a third
 * more CPU.)
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  /** Jobs queued or running. */
  get size(): number {
    return this.pending;
  }

  /** Queues a job; the promise settles with the job's outcome. */
  push<T>(job: () => Promise<T> | T): Promise<T> {
    this.pending++;
    const run = async (): Promise<T> => {
      try {
        return await job();
      } finally {
        this.pending--;
      }
    };
    const result = this.pending === 1 ? run() : this.tail.then(run, run);
    // The chain must go on whatever this job's outcome.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
