/**
 * Helpers of the output stream tests: watchers running test/fixtures/streams/writer.mjs,
 * the numbered lines it writes, files read back, /proc looks at circusd, and small tmpfs
 * mounts (unmounted at cleanup, even after a failed assertion).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import {
  ROOT,
  iniSection,
  openFds,
  procArgv,
  procStatusField,
  type Circusd,
  type SectionOptions,
} from "./circusd.js";
import { defer } from "./cleanup.js";

/** The stream tests' child. */
export const WRITER = path.join(ROOT, "test/fixtures/streams/writer.mjs");
/** Folder of the stream fixtures (writer, user stream classes). */
export const STREAM_FIXTURES = path.join(ROOT, "test/fixtures/streams");

/** Base64 of a text or bytes, for writer.mjs --mode raw. */
export function b64(data: string | Buffer | number[]): string {
  return (typeof data === "string" ? Buffer.from(data) : Buffer.from(data)).toString("base64");
}

/**
 * The command of a watcher running writer.mjs. It carries the test folder (so that
 * cleanup finds the process) and `--watcher NAME` (so that {@link pidsOf} finds it).
 */
export function writerCmd(dir: string, name: string, args: string): string {
  return `${process.execPath} ${WRITER} --watcher ${name} --marker ${dir} ${args}`.trimEnd();
}

/** A `[watcher:NAME]` section running writer.mjs with `args`, then `options` as they are. */
export function writerSection(
  dir: string,
  name: string,
  args: string,
  options: SectionOptions = {},
): string {
  const cmd = `cmd = ${writerCmd(dir, name, args)}`;
  return iniSection(`watcher:${name}`, [cmd], { graceful_timeout: 1, ...options }) + "\n";
}

/** The live children of circusd that run writer.mjs for watcher `name`. */
export function pidsOf(d: Circusd, name: string): number[] {
  return d
    .children()
    .map((c) => c.pid)
    .filter((pid) => {
      const argv = procArgv(pid);
      const i = argv.indexOf("--watcher");
      return i >= 0 && argv[i + 1] === name;
    })
    .sort((a, b) => a - b);
}

/** Numbered line n as writer.mjs writes it (fixed `width`, or --vary). */
export function numberedLine(tag: string, n: number, vary = false, width = 64): string {
  const head = `${tag}:${String(n).padStart(10, "0")} `;
  const fill = vary ? 13 + ((n * 7) % 53) : Math.max(0, width - head.length - 1);
  return head + "x".repeat(fill) + "\n";
}

/** Lines 0 .. count-1, joined. */
export function numberedText(tag: string, count: number, vary = false, width = 64): string {
  let text = "";
  for (let n = 0; n < count; n++) text += numberedLine(tag, n, vary, width);
  return text;
}

/** Matches one numbered line (without its "\n"), anywhere in a longer line; groups tag, n. */
export const NUMBERED = /([\w-]+):(\d{10}) x*$/;

/** The numbers of the numbered lines of `tag` in a text, in order. */
export function numbersIn(text: string, tag?: string): number[] {
  const numbers: number[] = [];
  for (const line of text.split("\n")) {
    const m = NUMBERED.exec(line);
    if (m && (tag === undefined || m[1] === tag)) numbers.push(Number(m[2]));
  }
  return numbers;
}

/** A file's text, "" when it does not exist (yet). */
export function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/** A file's size, -1 when it does not exist. */
export function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return -1;
  }
}

/** Names in `dir` that start with `prefix`, sorted. */
export function filesStartingWith(dir: string, prefix: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.startsWith(prefix))
    .sort();
}

/** The files a process holds open (targets of /proc/PID/fd/*). */
export function openFiles(pid: number): string[] {
  return [...openFds(pid).values()];
}

/** VmRSS of a process in bytes (0 once it is gone). */
export function rssBytes(pid: number): number {
  const field = procStatusField(pid, "VmRSS");
  return field ? Number(field[0]) * 1024 : 0;
}

/**
 * A Date from strftime-like digits `YYYYmmdd[HH[MM[SS]]]`, read in the zone `offsetMinutes`
 * east of UTC.
 */
export function dateFromDigits(digits: string, offsetMinutes = 0): Date {
  const part = (from: number, len: number) => Number(digits.slice(from, from + len) || "0");
  const utc = Date.UTC(
    part(0, 4),
    part(4, 2) - 1,
    part(6, 2),
    part(8, 2),
    part(10, 2),
    part(12, 2),
  );
  return new Date(utc - offsetMinutes * 60_000);
}

// ---------------------------------------------------------------------------------------------
// tmpfs

/**
 * Mounts a fresh tmpfs of `size` (e.g. "2m") at `dir` (created if needed), unmounted at
 * cleanup. Needs root.
 */
export function mountTmpfs(dir: string, size: string): string {
  mkdirSync(dir, { recursive: true });
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0777`, "tmpfs", dir]);
  defer(() => unmount(dir));
  return dir;
}

/** Unmounts the tmpfs at `dir` (lazily, should a process still hold it), if it is mounted. */
export function unmount(dir: string): void {
  if (isMounted(dir)) execFileSync("umount", ["-l", dir]);
}

/** True when `dir` is a mount point right now. */
export function isMounted(dir: string): boolean {
  if (!existsSync(dir)) return false;
  return readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .some((line) => line.split(" ")[1] === dir);
}
