/** Test helpers for the logging tests (test/log-*.test.ts). */
import { copyFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./circusd.js";

/** Copies test/fixtures/log/NAME into dir; returns the copy's path. */
export function copyLogFixture(dir: string, name: string): string {
  const target = path.join(dir, name);
  copyFileSync(path.join(ROOT, "test/fixtures/log", name), target);
  return target;
}

/** Writes a dictConfig (or any value) as dir/NAME in JSON; returns the file's path. */
export function writeJsonConfig(dir: string, name: string, config: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(config));
  return file;
}
