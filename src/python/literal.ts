/**
 * The Python expressions a `logging.config.fileConfig` INI file gives in `args` and `kwargs`
 * (Python evaluates them in the logging module's namespace): tuples, lists and dicts of
 * strings, numbers, True/False/None, `sys.stdout`/`sys.stderr`, and the SysLogHandler
 * `LOG_*` constants. Anything else is refused with a message saying what and where.
 */

/** A Python name that is not a plain value, such as `sys.stdout`. */
export class PyName {
  constructor(readonly name: string) {}
  toString(): string {
    return this.name;
  }
}

export type PyValue = string | number | boolean | null | PyName | PyValue[] | PyDict;
export interface PyDict {
  [key: string]: PyValue;
}

/** SysLogHandler's class constants (facilities unshifted, priorities). */
const SYSLOG_CONSTANTS: Record<string, number> = {
  LOG_EMERG: 0,
  LOG_ALERT: 1,
  LOG_CRIT: 2,
  LOG_ERR: 3,
  LOG_WARNING: 4,
  LOG_NOTICE: 5,
  LOG_INFO: 6,
  LOG_DEBUG: 7,
  LOG_KERN: 0,
  LOG_USER: 1,
  LOG_MAIL: 2,
  LOG_DAEMON: 3,
  LOG_AUTH: 4,
  LOG_SYSLOG: 5,
  LOG_LPR: 6,
  LOG_NEWS: 7,
  LOG_UUCP: 8,
  LOG_CRON: 9,
  LOG_AUTHPRIV: 10,
  LOG_FTP: 11,
  LOG_NTP: 12,
  LOG_SECURITY: 13,
  LOG_CONSOLE: 14,
  LOG_SOLCRON: 15,
  LOG_LOCAL0: 16,
  LOG_LOCAL1: 17,
  LOG_LOCAL2: 18,
  LOG_LOCAL3: 19,
  LOG_LOCAL4: 20,
  LOG_LOCAL5: 21,
  LOG_LOCAL6: 22,
  LOG_LOCAL7: 23,
};

const LEVEL_CONSTANTS: Record<string, number> = {
  CRITICAL: 50,
  FATAL: 50,
  ERROR: 40,
  WARNING: 30,
  WARN: 30,
  INFO: 20,
  DEBUG: 10,
  NOTSET: 0,
};

function resolveName(name: string): PyValue | undefined {
  const bare = name.replace(/^logging\./, "");
  if (bare === "sys.stdout" || bare === "sys.stderr") return new PyName(bare);
  if (bare === "socket.SOCK_DGRAM" || bare === "socket.SOCK_STREAM") return new PyName(bare);
  const syslog = /^(?:handlers\.)?SysLogHandler\.(LOG_\w+)$/.exec(bare);
  if (syslog) return SYSLOG_CONSTANTS[syslog[1]!];
  if (/^[A-Z]+$/.test(bare)) return LEVEL_CONSTANTS[bare];
  return undefined;
}

/** Parses one Python literal expression; throws an Error saying what is wrong. */
export function parsePyLiteral(text: string): PyValue {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at character ${i + 1} of ${JSON.stringify(text)}`);
  };
  const skip = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };

  const parseString = (): string => {
    let raw = false;
    while (/[rRbBuU]/.test(text[i]!)) {
      if (/[rR]/.test(text[i]!)) raw = true;
      i++;
    }
    const quote = text.startsWith(text[i]!.repeat(3), i) ? text[i]!.repeat(3) : text[i]!;
    i += quote.length;
    let out = "";
    for (;;) {
      if (i >= text.length) fail("unterminated string");
      if (text.startsWith(quote, i)) {
        i += quote.length;
        return out;
      }
      const ch = text[i]!;
      if (ch === "\\" && i + 1 < text.length) {
        const next = text[i + 1]!;
        if (raw) {
          out += ch + next;
          i += 2;
          continue;
        }
        i += 2;
        const simple: Record<string, string> = {
          n: "\n",
          t: "\t",
          r: "\r",
          "0": "\0",
          "\\": "\\",
          "'": "'",
          '"': '"',
          a: "\x07",
          b: "\b",
          f: "\f",
          v: "\v",
          "\n": "",
        };
        if (next in simple) out += simple[next];
        else if (next === "x" || next === "u" || next === "U") {
          const len = next === "x" ? 2 : next === "u" ? 4 : 8;
          const hex = text.slice(i, i + len);
          if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) fail("bad escape");
          out += String.fromCodePoint(parseInt(hex, 16));
          i += len;
        } else out += `\\${next}`;
        continue;
      }
      if (quote.length === 1 && ch === "\n") fail("unterminated string");
      out += ch;
      i++;
    }
  };

  const parseSequence = (close: string): PyValue[] => {
    const items: PyValue[] = [];
    for (;;) {
      skip();
      if (text[i] === close) {
        i++;
        return items;
      }
      items.push(parseValue());
      skip();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === close) {
        i++;
        return items;
      }
      fail(`expected "," or "${close}"`);
    }
  };

  const parseValue = (): PyValue => {
    skip();
    const ch = text[i];
    if (ch === undefined) fail("unexpected end");
    if (ch === "(") {
      i++;
      skip();
      if (text[i] === ")") {
        i++;
        return [];
      }
      const first = parseValue();
      skip();
      if (text[i] === ")") {
        i++;
        return first; // (x) is x, not a tuple
      }
      if (text[i] !== ",") fail('expected "," or ")"');
      i++;
      return [first, ...parseSequence(")")];
    }
    if (ch === "[") {
      i++;
      return parseSequence("]");
    }
    if (ch === "{") {
      i++;
      const dict: PyDict = {};
      for (;;) {
        skip();
        if (text[i] === "}") {
          i++;
          return dict;
        }
        const key = parseValue();
        if (typeof key !== "string") fail("dict keys must be strings");
        skip();
        if (text[i] !== ":") fail('expected ":"');
        i++;
        dict[key as string] = parseValue();
        skip();
        if (text[i] === ",") i++;
        else if (text[i] !== "}") fail('expected "," or "}"');
      }
    }
    if (/['"]/.test(ch!) || (/[rRbBuU]/.test(ch!) && /^[rRbBuU]{1,2}['"]/.test(text.slice(i)))) {
      return parseString();
    }
    const num =
      /^[-+]?(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][-+]?\d+)?)/.exec(
        text.slice(i),
      );
    if (num && num[0] !== "" && /\d/.test(num[0])) {
      i += num[0].length;
      const clean = num[0].replace(/_/g, "");
      const sign = clean.startsWith("-") ? -1 : 1;
      const body = clean.replace(/^[-+]/, "");
      if (/^0[xX]/.test(body)) return sign * parseInt(body.slice(2), 16);
      if (/^0[oO]/.test(body)) return sign * parseInt(body.slice(2), 8);
      if (/^0[bB]/.test(body)) return sign * parseInt(body.slice(2), 2);
      return sign * Number(body);
    }
    const name = /^[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*/.exec(text.slice(i));
    if (name) {
      i += name[0].length;
      if (name[0] === "True") return true;
      if (name[0] === "False") return false;
      if (name[0] === "None") return null;
      const value = resolveName(name[0]);
      if (value === undefined) {
        i -= name[0].length;
        fail(`unsupported name ${name[0]}`);
      }
      return value!;
    }
    return fail(`unexpected ${JSON.stringify(ch)}`);
  };

  const value = parseValue();
  skip();
  if (i < text.length) fail("unexpected text after the value");
  return value;
}
