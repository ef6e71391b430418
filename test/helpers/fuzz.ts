/**
 * What the fuzz tests share: one seed (FUZZ_SEED overrides it; fast-check prints the seed
 * and the path of a failing run, so that it can be replayed), bounded run counts, the
 * hostile strings every reader is fed, and circusd's resident memory.
 */
import fc from "fast-check";
import { readFileSync } from "node:fs";

/** The fixed seed of every fuzz test; `FUZZ_SEED=N` replays another. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261206);

/** fast-check's parameters: the fixed seed, `numRuns` runs, no time-based shrinking limit. */
export function fuzzParams(numRuns: number): fc.Parameters<unknown> {
  return {
    seed: FUZZ_SEED,
    numRuns,
    endOnFailure: process.env.FUZZ_SHRINK === undefined,
    verbose: 1,
  };
}

/** Text a reader must survive: any code point, lone surrogates, NUL, controls, odd spaces. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({
    unit: fc.constantFrom(
      "\0",
      "\n",
      "\r",
      "\t",
      " ",
      "$",
      "(",
      ")",
      "%",
      "\\",
      ";",
      "#",
      "=",
      ":",
      "[",
      "]",
      "\u00e9",
      "\u2028",
      "\ufeff",
      "\ud800",
      "\udfff",
      "\u{1f600}",
    ),
    maxLength: 20,
  }),
  fc.constantFrom(
    "",
    "\0",
    "web\0",
    "\0web",
    "\ud800",
    "\u{1f600}",
    "é",
    "*",
    "^.*$",
    "[",
    "(",
    "\\",
    "..",
    "../../etc/passwd",
  ),
);

/** VmRSS of a process, in MiB (from /proc/PID/status). */
export function rssMiB(pid: number): number {
  const text = readFileSync(`/proc/${pid}/status`, "latin1");
  const match = /^VmRSS:\s*(\d+) kB/m.exec(text);
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) / 1024;
}
