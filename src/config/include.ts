import { readdirSync, statSync } from "node:fs";
import { isAbsolute, join, parse, resolve, sep } from "node:path";
import { fnmatchToRegExp, hasWildcard } from "./fnmatch.js";

/**
 * Files matching a glob pattern, wildcards allowed in any path component (like Python's
 * `glob.glob`, which Circus uses for `include`). Hidden entries only match a component that
 * itself starts with ".". Only regular files are returned, sorted within each folder so the
 * include order does not depend on the file system.
 */
export function globFiles(pattern: string): string[] {
  const absolute = resolve(pattern);
  const root = parse(absolute).root;
  const parts = absolute
    .slice(root.length)
    .split(sep)
    .filter((part) => part !== "");
  let candidates = [root];
  for (const part of parts) {
    const next: string[] = [];
    if (!hasWildcard(part)) {
      for (const base of candidates) next.push(join(base, part));
    } else {
      const matcher = fnmatchToRegExp(part);
      for (const base of candidates) {
        let entries: string[];
        try {
          entries = readdirSync(base);
        } catch {
          continue;
        }
        for (const entry of entries.sort()) {
          if (entry.startsWith(".") && !part.startsWith(".")) continue;
          if (matcher.test(entry)) next.push(join(base, entry));
        }
      }
    }
    candidates = next;
  }
  return candidates.filter((file) => {
    try {
      return statSync(file, { throwIfNoEntry: false })?.isFile() === true;
    } catch {
      // ENAMETOOLONG, EACCES, ENOTDIR...: no config file there, as a name that is not found.
      return false;
    }
  });
}

/**
 * Turn the `[circus]` `include` and `include_dir` values into the list of files to read.
 *
 * Paths are whitespace separated, absolute or relative to `baseDir` (the main file's folder).
 * Each `include_dir` entry stands for `DIR/*.ini`. A pattern that matches nothing only warns,
 * as in Circus, so an empty `conf.d` folder is not fatal. A file matched twice is read once.
 *
 * The reference documentation writes its example as `include = \*.more.config.ini` (an escape
 * left over from its markup); a backslash before a wildcard is dropped so that example works.
 */
export function resolveIncludes(args: {
  baseDir: string;
  include: string | undefined;
  includeDir: string | undefined;
  warn: (option: "include" | "include_dir", message: string) => void;
}): string[] {
  const files: string[] = [];
  const seen = new Set<string>();
  const scan = (option: "include" | "include_dir", pattern: string): void => {
    const absolute = isAbsolute(pattern) ? pattern : join(args.baseDir, pattern);
    const matches = globFiles(absolute);
    if (matches.length === 0) {
      args.warn(
        option,
        `${JSON.stringify(absolute)} does not lead to any config file (paths are relative to ` +
          `the main config file's folder)`,
      );
    }
    for (const file of matches) {
      if (seen.has(file)) continue;
      seen.add(file);
      files.push(file);
    }
  };
  for (const entry of splitList(args.include)) scan("include", entry.replace(/\\([*?[])/g, "$1"));
  for (const entry of splitList(args.includeDir)) scan("include_dir", join(entry, "*.ini"));
  return files;
}

function splitList(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(/\s+/).filter((entry) => entry !== "");
}
