import { ConfigError, type ConfigLocation, type LocatedWarn } from "./errors.js";
import { substituteCircusEnv, type EnvMap } from "./env.js";
import type { IniSection } from "./ini.js";
import type { ConfigSource } from "./types.js";
import { closestName, InvalidValueError } from "./values.js";

/** An option value after `$(circus.env.X)` substitution, with its line for messages. */
export interface SectionValue {
  readonly value: string;
  readonly line: number;
}

/**
 * A section as the typed readers see it: values already substituted, and helpers that turn a
 * bad value into a `ConfigError` naming file, line, section and option in one place.
 */
export class SectionView {
  readonly values = new Map<string, SectionValue>();

  /**
   * @param layers `$(circus.env.X)` lookup layers, most specific first.
   */
  constructor(
    readonly section: IniSection,
    layers: readonly EnvMap[],
    private readonly warnFn: LocatedWarn,
  ) {
    for (const option of section.options.values()) {
      const value = substituteCircusEnv(option.value, layers, (_name, text) =>
        this.warn(option.name, `unknown variable ${text} left as is`),
      );
      this.values.set(option.name, { value, line: option.line });
    }
  }

  get name(): string {
    return this.section.name;
  }

  get file(): string {
    return this.section.file;
  }

  /**
   * The NAME of a `[KIND:NAME]` section.
   *
   * @throws ConfigError when it is empty.
   */
  nameAfter(kind: "watcher" | "socket" | "plugin"): string {
    const name = this.name.slice(kind.length + 1).trim();
    if (name === "") this.fail(undefined, `a ${kind} section needs a name: [${kind}:NAME]`);
    return name;
  }

  /** Where the section came from, with the options read from other files (includes). */
  source(): ConfigSource {
    const optionFiles: Record<string, string> = {};
    for (const option of this.section.options.values())
      if (option.file !== this.section.file) optionFiles[option.name] = option.file;
    return {
      file: this.section.file,
      section: this.section.name,
      ...(Object.keys(optionFiles).length > 0 ? { optionFiles } : {}),
    };
  }

  /**
   * Location of an option (in the file it was read from: a section may be merged from
   * several), or of the section header when the option is absent.
   */
  where(option?: string): ConfigLocation {
    const found = option === undefined ? undefined : this.section.options.get(option);
    return {
      file: found?.file ?? this.section.file,
      line: found?.line ?? this.section.line,
      section: this.section.name,
      ...(option === undefined ? {} : { option }),
    };
  }

  fail(option: string | undefined, detail: string): never {
    throw new ConfigError(detail, this.where(option));
  }

  warn(option: string | undefined, message: string): void {
    this.warnFn(this.where(option), message);
  }

  /** Run a converter on an option's value, turning its complaint into a located ConfigError. */
  convert<T>(option: string, parse: (text: string) => T): T {
    const text = this.values.get(option)?.value ?? "";
    try {
      return parse(text);
    } catch (error) {
      if (error instanceof InvalidValueError) this.fail(option, error.message);
      throw error;
    }
  }
}

/** Assigns one typed field of `T` from a text value. */
export type FieldSetter<T> = (target: Partial<T>, text: string) => void;

/** Builds `FieldSetter`s for one target type: `const w = fieldsOf<WatcherConfig>(); w("cmd", s)`. */
export function fieldsOf<T>() {
  return <K extends keyof T>(key: K, parse: (text: string) => T[K]): FieldSetter<T> =>
    (target, text) => {
      target[key] = parse(text);
    };
}

/**
 * Apply a table of known options to `target`; return the unknown ones (name -> value) for the
 * caller, who decides whether to keep or refuse them.
 */
export function applyFields<T>(
  view: SectionView,
  table: Readonly<Record<string, FieldSetter<T>>>,
  target: Partial<T>,
): Map<string, string> {
  const unknown = new Map<string, string>();
  for (const [option, { value }] of view.values) {
    const setter = Object.hasOwn(table, option) ? table[option] : undefined;
    if (setter === undefined) unknown.set(option, value);
    else view.convert(option, (text) => setter(target, text));
  }
  return unknown;
}

/**
 * Warn about an unknown option that is probably a typo of a known one (at most two edits), e.g.
 * `numprocess` or `graceful_timout`, since it would otherwise be kept or ignored silently.
 *
 * @returns whether a warning was given.
 */
export function warnIfMisspelled(
  view: SectionView,
  option: string,
  known: Iterable<string>,
  consequence: string,
): boolean {
  const guess = closestName(option, known);
  if (guess === null) return false;
  view.warn(option, `unknown option ${consequence}; did you mean "${guess}"?`);
  return true;
}
