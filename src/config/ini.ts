import { readFileSync } from "node:fs";
import { ConfigError, type LocatedWarn } from "./errors.js";

/** One `key = value` of an INI section. */
export interface IniOption {
  /** Lower-cased, except in `[env]` / `[env:...]` sections where case is kept. */
  readonly name: string;
  /** Continuation lines joined with "\n"; surrounding blanks removed. */
  readonly value: string;
  /** 1-based line of the `key = value` line. */
  readonly line: number;
  /** The file the option was read from (a merged section holds options of several files). */
  readonly file: string;
}

/** One `[name]` section with its options in file order. */
export interface IniSection {
  /** As written between the brackets (trimmed), case kept. */
  readonly name: string;
  /** The file the section was first read from. */
  readonly file: string;
  /** 1-based line of the `[name]` header in that file. */
  readonly line: number;
  readonly options: Map<string, IniOption>;
}

export interface IniFile {
  readonly file: string;
  readonly sections: IniSection[];
}

/** `[env]` and `[env:...]`: their keys are environment variable names, so their case matters. */
export function isEnvSectionName(name: string): boolean {
  return name === "env" || name.startsWith("env:");
}

interface PendingOption {
  name: string;
  parts: string[];
  line: number;
  indent: number;
  section: IniSection;
}

/**
 * Parse INI text with the semantics of Python's `configparser` as Circus uses it (strict mode,
 * no interpolation): `key = value` or `key: value` split at the first `=` or `:`; full-line `#`
 * and `;` comments only; lines indented deeper than their option continue its value; option
 * names are case-insensitive except in env sections; a duplicate section or option within the
 * file, a key before any section and a line without separator are errors. (Circus's own reader
 * merges a repeated section silently, keeping the first value of each option; within one file
 * that is almost surely a mistake, so it is refused here. Across files, see
 * {@link mergeIniFiles}.)
 *
 * @param file used in error messages and recorded on every section.
 * @throws ConfigError naming the file and line.
 */
export function parseIni(text: string, file: string): IniFile {
  const sections: IniSection[] = [];
  const byName = new Map<string, IniSection>();
  const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\r|\n/);
  let section: IniSection | null = null;
  let pending: PendingOption | null = null;

  const flush = (): void => {
    if (pending === null) return;
    // configparser keeps blank lines inside a value but drops the trailing ones.
    const value = pending.parts.join("\n").trimEnd();
    const { name, line } = pending;
    pending.section.options.set(name, { name, value, line, file });
    pending = null;
  };
  const syntax = (line: number, detail: string): ConfigError =>
    new ConfigError(`syntax error: ${detail}`, { file, line });

  for (const [index, raw] of lines.entries()) {
    const line = index + 1;
    const trimmed = raw.trim();
    // A comment inside a multi-line value neither ends it nor becomes part of it.
    if (trimmed.startsWith("#") || trimmed.startsWith(";")) continue;
    if (trimmed === "") {
      if (pending !== null) pending.parts.push("");
      continue;
    }
    const indent = raw.search(/\S/);
    if (pending !== null && indent > pending.indent) {
      pending.parts.push(trimmed);
      continue;
    }
    flush();

    if (trimmed.startsWith("[")) {
      if (!trimmed.endsWith("]")) {
        throw syntax(line, `section header ${JSON.stringify(trimmed)} does not end with "]"`);
      }
      const name = trimmed.slice(1, -1).trim();
      if (name === "") throw syntax(line, "empty section name");
      const previous = byName.get(name);
      if (previous !== undefined) {
        throw new ConfigError(`duplicate section (first defined at line ${previous.line})`, {
          file,
          line,
          section: name,
        });
      }
      section = { name, file, line, options: new Map() };
      sections.push(section);
      byName.set(name, section);
      continue;
    }

    if (section === null) {
      throw syntax(line, `${JSON.stringify(trimmed)} comes before any [section] header`);
    }
    const separator = trimmed.search(/[=:]/);
    if (separator < 0) {
      throw syntax(line, `expected "key = value" or a [section], got ${JSON.stringify(trimmed)}`);
    }
    const key = trimmed.slice(0, separator).trim();
    if (key === "") throw syntax(line, `missing option name before "${trimmed[separator]}"`);
    const name = isEnvSectionName(section.name) ? key : key.toLowerCase();
    const first = section.options.get(name);
    if (first !== undefined) {
      throw new ConfigError(`duplicate option (first defined at line ${first.line})`, {
        file,
        line,
        section: section.name,
        option: name,
      });
    }
    pending = {
      name,
      parts: [trimmed.slice(separator + 1).trim()],
      line,
      indent,
      section,
    };
  }
  flush();
  return { file, sections };
}

/**
 * Read and parse an INI file.
 *
 * @throws ConfigError when the file cannot be read or does not parse.
 */
export function readIniFile(file: string): IniFile {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(`cannot read configuration file (${reason})`, { file }, { cause: error });
  }
  return parseIni(text, file);
}

/**
 * The sections of several files read into one parser, as Circus reads a config file and its
 * includes: a section seen again in a later file gets that file's new options, and an option
 * it already has keeps the value read first (Circus's reader never overrides one). A different
 * later value is dropped with a warning naming both places, rather than silently. Each option
 * keeps the file it came from; a merged section keeps the place of its first header.
 *
 * Within one file a repeated section is still an error (see {@link parseIni}).
 */
export function mergeIniFiles(files: readonly IniFile[], warn: LocatedWarn): IniSection[] {
  const merged = new Map<string, IniSection>();
  for (const { sections } of files) {
    for (const section of sections) {
      const first = merged.get(section.name);
      if (first === undefined) {
        merged.set(section.name, { ...section, options: new Map(section.options) });
        continue;
      }
      for (const option of section.options.values()) {
        const kept = first.options.get(option.name);
        if (kept === undefined) first.options.set(option.name, option);
        else if (kept.value !== option.value)
          warn(
            { file: option.file, line: option.line, section: section.name, option: option.name },
            `ignored: already set in ${kept.file}:${kept.line} ` +
              "(the value read first wins, as in Circus)",
          );
      }
    }
  }
  return [...merged.values()];
}

/**
 * A file as `configparser.ConfigParser` (with its default BasicInterpolation) serves it to
 * `logging.config.fileConfig`: every section sees [DEFAULT]'s options, and a value read
 * through {@link InterpolatedIni.get} has its `%(name)s` references replaced and `%%` made
 * `%`. (Circus's own files are read without either: there [DEFAULT] is a plain section.)
 */
export class InterpolatedIni {
  private readonly byName = new Map<string, IniSection>();
  private readonly defaults: Map<string, IniOption>;

  constructor(readonly ini: IniFile) {
    for (const section of ini.sections) this.byName.set(section.name, section);
    this.defaults = this.byName.get("DEFAULT")?.options ?? new Map();
    this.byName.delete("DEFAULT");
  }

  /** The section of that name (not [DEFAULT]), with only the options written in it. */
  section(name: string): IniSection | undefined {
    return this.byName.get(name);
  }

  has(section: string): boolean {
    return this.byName.has(section);
  }

  /** The option as written (the section's, else [DEFAULT]'s); undefined when absent. */
  option(section: string, key: string): IniOption | undefined {
    return this.byName.get(section)?.options.get(key) ?? this.defaults.get(key);
  }

  /** The value as written, as `ConfigParser.get(..., raw=True)` gives it. */
  raw(section: string, key: string): string | undefined {
    return this.option(section, key)?.value;
  }

  /**
   * The value with its references replaced, as `ConfigParser.get` gives it.
   *
   * @throws ConfigError naming the option, for a bad `%` or a reference to no option.
   */
  get(section: string, key: string): string | undefined {
    const option = this.option(section, key);
    if (option === undefined) return undefined;
    const where = { file: option.file, line: option.line, section, option: key };
    return this.interpolate(section, option.value, 1, (detail) => new ConfigError(detail, where));
  }

  private interpolate(
    section: string,
    value: string,
    depth: number,
    error: (detail: string) => ConfigError,
  ): string {
    // configparser's MAX_INTERPOLATION_DEPTH: a reference cycle ends here.
    if (depth > 10) throw error("interpolation nested too deeply");
    return value.replace(/%(%|\(([^)]*)\)s|)/g, (whole, body: string, ref?: string) => {
      if (body === "%") return "%";
      if (ref === undefined)
        throw error('"%" must be followed by "%" or "(name)s" (write "%%" for a percent sign)');
      const target = this.raw(section, ref.toLowerCase());
      if (target === undefined)
        throw error(`${whole} names no option of [${section}] or [DEFAULT]`);
      return this.interpolate(section, target, depth + 1, error);
    });
  }
}
