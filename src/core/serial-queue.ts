import { AsyncLocalStorage } from "node:async_hooks";

/** The job a queue is running, as its async continuations see it. */
interface Running {
  done: boolean;
}

/**
 * Runs jobs one after another: the arbiter's one queue of state changes. An idle queue starts
 * a job synchronously, so that its first synchronous steps (a watcher turning "stopping") are
 * visible to the next request at once.
 *
 * The queue is reentrant: a job that makes another change (a config reload adding a watcher)
 * runs it inline, where queueing it would wait for itself. Work a job leaves behind (a timer,
 * a background spawn) is not the job: once the job settles, it queues like anyone else.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;
  private readonly running = new AsyncLocalStorage<Running>();

  /** Jobs queued or running. */
  get size(): number {
    return this.pending;
  }

  /** Whether the caller is inside one of this queue's jobs (a change may run inline). */
  get inside(): boolean {
    const job = this.running.getStore();
    return job !== undefined && !job.done;
  }

  /** Queues a job; the promise settles with the job's outcome. */
  push<T>(job: () => Promise<T> | T): Promise<T> {
    if (this.inside) return new Promise<T>((resolve) => resolve(job()));
    this.pending++;
    const run = async (): Promise<T> => {
      const running: Running = { done: false };
      try {
        return await this.running.run(running, job);
      } finally {
        running.done = true;
        this.pending--;
      }
    };
    const result = this.pending === 1 ? run() : this.tail.then(run, run);
    // The chain must go on whatever this job's outcome.
    this.tail = result.catch(() => undefined);
    return result;
  }

  /**
   * Runs a job at once, beside the one running, for the one change that may not wait (the
   * final stop); the changes it makes run inline, as inside any job.
   */
  now<T>(job: () => Promise<T> | T): Promise<T> {
    const running: Running = { done: false };
    return new Promise<T>((resolve) => resolve(this.running.run(running, job))).finally(() => {
      running.done = true;
    });
  }
}
