/**
 * The INI dialect of Python's `configparser.ConfigParser`, as `logging.config.fileConfig`
 * reads it: `key = value` or `key: value`, keys case-insensitive, indented continuation
 * lines, `#`/`;` comment lines, a [DEFAULT] section whose options every section sees, and
 * BasicInterpolation (`%(name)s`, `%%`) for the values not read raw.
 */

export interface IniSection {
  name: string;
  /** Options written in the section itself (lower-cased keys), with their line. */
  own: Map<string, { value: string; line: number }>;
  line: number;
}

export class IniFile {
  constructor(
    readonly sections: Map<string, IniSection>,
    readonly defaults: Map<string, { value: string; line: number }>,
  ) {}

  has(section: string): boolean {
    return this.sections.has(section);
  }

  /** The raw value of an option (the section's, else [DEFAULT]'s); undefined when absent. */
  raw(section: string, key: string): string | undefined {
    const s = this.sections.get(section);
    return s?.own.get(key)?.value ?? this.defaults.get(key)?.value;
  }

  /** The value with `%(name)s` references replaced, as ConfigParser.get does. */
  get(section: string, key: string): string | undefined {
    const value = this.raw(section, key);
    return value === undefined ? undefined : this.interpolate(section, key, value, 1);
  }

  private interpolate(section: string, key: string, value: string, depth: number): string {
    if (depth > 10) throw new Error(`[${section}] ${key}: interpolation nested too deeply`);
    let out = "";
    let i = 0;
    while (i < value.length) {
      const pct = value.indexOf("%", i);
      if (pct < 0) {
        out += value.slice(i);
        break;
      }
      out += value.slice(i, pct);
      if (value[pct + 1] === "%") {
        out += "%";
        i = pct + 2;
        continue;
      }
      const m = /^%\(([^)]*)\)s/.exec(value.slice(pct));
      if (!m) {
        throw new Error(
          `[${section}] ${key}: "%" must be followed by "%" or "(name)s" (write "%%" for a percent sign)`,
        );
      }
      const ref = m[1]!.toLowerCase();
      const target = this.raw(section, ref);
      if (target === undefined) {
        throw new Error(
          `[${section}] ${key}: %(${m[1]})s names no option of [${section}] or [DEFAULT]`,
        );
      }
      out += this.interpolate(section, key, target, depth + 1);
      i = pct + m[0].length;
    }
    return out;
  }
}

/** Parses the text; throws an Error with `line N:` for what configparser would refuse. */
export function parseIni(text: string): IniFile {
  const sections = new Map<string, IniSection>();
  const defaults = new Map<string, { value: string; line: number }>();
  let current: Map<string, { value: string; line: number }> | null = null;
  let currentName = "";
  let lastKey: string | null = null;
  let keyIndent = 0;
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    const lineNo = n + 1;
    const stripped = line.trim();
    const indent = line.length - line.trimStart().length;
    if (stripped === "" || stripped.startsWith("#") || stripped.startsWith(";")) {
      // Blank lines inside a value are kept by configparser; trailing ones are dropped below.
      if (stripped === "" && current && lastKey) {
        const entry = current.get(lastKey)!;
        entry.value += "\n";
      }
      continue;
    }
    if (current && lastKey && indent > keyIndent) {
      const entry = current.get(lastKey)!;
      entry.value = `${entry.value.replace(/\n+$/, "")}\n${stripped}`;
      continue;
    }
    if (current && lastKey) {
      const entry = current.get(lastKey)!;
      entry.value = entry.value.replace(/\n+$/, "");
    }
    const header = /^\[(.+)\]\s*$/.exec(stripped);
    if (header && indent === 0) {
      currentName = header[1]!;
      lastKey = null;
      if (currentName === "DEFAULT") {
        current = defaults;
        continue;
      }
      if (sections.has(currentName)) {
        throw new Error(`line ${lineNo}: section [${currentName}] appears twice`);
      }
      current = new Map();
      sections.set(currentName, { name: currentName, own: current, line: lineNo });
      continue;
    }
    if (!current) throw new Error(`line ${lineNo}: an option before any [section] header`);
    const m = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(stripped);
    if (!m)
      throw new Error(`line ${lineNo}: expected "key = value", got ${JSON.stringify(stripped)}`);
    const key = m[1]!.toLowerCase();
    if (current.has(key)) {
      throw new Error(`line ${lineNo}: [${currentName}] ${key} is set twice`);
    }
    current.set(key, { value: m[2]!, line: lineNo });
    lastKey = key;
    keyIndent = indent;
  }
  const trim = (map: Map<string, { value: string; line: number }>) => {
    for (const entry of map.values()) entry.value = entry.value.replace(/\n+$/, "");
  };
  trim(defaults);
  for (const s of sections.values()) trim(s.own);
  return new IniFile(sections, defaults);
}
