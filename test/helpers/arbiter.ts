/** The library tests' in-process arbiter (test/circusd-library, the QueueStream tests). */
import { getArbiter, type Arbiter } from "../../src/index.js";
import { defer } from "./cleanup.js";

/** getArbiter(...), stopped at cleanup (a no-op once the test stopped it itself). */
export function arbiterOf(...args: Parameters<typeof getArbiter>): Arbiter {
  const arbiter = getArbiter(...args);
  defer(() => arbiter.stop());
  return arbiter;
}
