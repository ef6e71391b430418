/**
 * The tests' one teardown. Whatever a test starts or makes (a circusd, a temp folder, a
 * control client, a statsd listener, an in-process arbiter) hands its cleanup to
 * {@link defer}. A test file calls {@link cleanupEachTest} once, at its top: what a test
 * deferred runs right after that test, what a `before` hook deferred runs after the file;
 * last deferred first (a client closes before its circusd is killed, which goes before its
 * temp folder), and all of it even when an assertion failed.
 */
import { after, afterEach, beforeEach } from "node:test";

/** Something to undo; may be async. */
export type Cleanup = () => unknown;

/** Deferred outside any test (module level, `before` hooks): undone after the file. */
const fileScope: Cleanup[] = [];
/** Deferred by the running test: undone right after it. Null between tests. */
let testScope: Cleanup[] | null = null;
let registered = false;

/** Registers `cleanup` with the running test, or with the file outside a test. */
export function defer(cleanup: Cleanup): void {
  if (!registered) throw new Error("call cleanupEachTest() at the top of this test file");
  (testScope ?? fileScope).push(cleanup);
}

/** Runs and empties `scope`, last first; every cleanup runs, the first failure is thrown. */
async function unwind(scope: Cleanup[]): Promise<void> {
  const errors: unknown[] = [];
  for (let cleanup = scope.pop(); cleanup; cleanup = scope.pop()) {
    try {
      await cleanup();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw errors[0];
}

/**
 * Registers this file's teardown hooks (see the module comment). The tests of a file must
 * run one at a time (node:test's default), since the running test owns what is deferred.
 */
export function cleanupEachTest(): void {
  if (registered) return;
  registered = true;
  beforeEach(() => {
    if (testScope) throw new Error("cleanupEachTest: tests of one file ran concurrently");
    testScope = [];
  });
  afterEach(async () => {
    const scope = testScope ?? [];
    testScope = null;
    await unwind(scope);
  });
  after(() => unwind(fileScope));
}
