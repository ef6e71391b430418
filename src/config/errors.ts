import type { ConfigSource } from "./types.js";

/**
 * Where a configuration problem is. `file` is null for objects built through the library API,
 * which have no file to point at.
 */
export interface ConfigLocation {
  file: string | null;
  line?: number;
  /** Section name without brackets, e.g. `watcher:web`. */
  section?: string;
  /** Option name as written in the file (lower-cased), or the library field name. */
  option?: string;
}

/**
 * `file:line: [section] option: ` — the prefix shared by errors and warnings, so that both
 * point at the same place in the same words.
 */
export function formatLocation(where: ConfigLocation): string {
  let out = "";
  if (where.file !== null) {
    out += where.file;
    if (where.line !== undefined) out += `:${where.line}`;
    out += ": ";
  }
  if (where.section !== undefined) out += `[${where.section}] `;
  if (where.option !== undefined) out += `${where.option}: `;
  return out;
}

/**
 * Where an option of a config object is, for a problem found after loading (binding a socket,
 * opening a stream): the file the option was read from, its section, the option. `section` is
 * used for objects built through the library, which have no source.
 */
export function sourceLocation(
  source: ConfigSource | null,
  section: string,
  option?: string,
): ConfigLocation {
  const file = (option === undefined ? undefined : source?.optionFiles?.[option]) ?? source?.file;
  return {
    file: file ?? null,
    section: source?.section ?? section,
    ...(option === undefined ? {} : { option }),
  };
}

/**
 * A configuration file (or a library config object) that Circus cannot use. The message is one
 * line naming the file, line, section and option that are known, then what is wrong:
 * `/etc/circus.ini:12: [watcher:web] numprocesses: expected an integer, got "five"`.
 */
export class ConfigError extends Error {
  readonly file: string | null;
  readonly line?: number;
  readonly section?: string;
  readonly option?: string;
  /** What is wrong, without the location prefix. */
  readonly detail: string;

  constructor(detail: string, where: ConfigLocation, options?: { cause?: unknown }) {
    // Multi-line details would break log lines and the "one line" promise.
    const flat = detail.replace(/\s*\n\s*/g, " ");
    super(formatLocation(where) + flat, options);
    this.name = "ConfigError";
    this.file = where.file;
    if (where.line !== undefined) this.line = where.line;
    if (where.section !== undefined) this.section = where.section;
    if (where.option !== undefined) this.option = where.option;
    this.detail = flat;
  }
}

/** A warning about a place in the configuration; the loader formats and de-duplicates it. */
export type LocatedWarn = (where: ConfigLocation, message: string) => void;
