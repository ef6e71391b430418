/** Where the harness lives and where it may write. */
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** bench/ */
export const BENCH_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
/** The repository root (bench/..). */
export const REPO_DIR = dirname(BENCH_DIR);
/** bench/work/: scratch output, git-ignored. */
export const WORK_DIR = join(BENCH_DIR, "work");

/**
 * Returns bench/work/NAME, created empty (any previous content removed).
 */
export function freshWorkDir(name: string): string {
  const dir = join(WORK_DIR, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}
