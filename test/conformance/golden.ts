/**
 * Golden files: a scenario's normalized record from the reference, as Python's JSON (floats
 * written as floats, keys sorted) so that diffs between recordings read well.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parsePythonJson, pythonJson } from "../../src/python/json.js";
import type { Transcript } from "./scenario.js";

const GOLDEN_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "golden");

/** Where a scenario's golden file lives. */
export function goldenPath(name: string): string {
  return path.join(GOLDEN_DIR, `${name}.json`);
}

/** A scenario's golden record; throws when it was never recorded. */
export function readGolden(name: string): Transcript {
  return parsePythonJson(readFileSync(goldenPath(name), "utf8")) as Transcript;
}

/** Writes a scenario's golden record. */
export function writeGolden(transcript: Transcript): void {
  writeFileSync(goldenPath(transcript.scenario), pythonJson(transcript, true) + "\n");
}
