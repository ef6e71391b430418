/**
 * Python literal expressions, such as a `logging.config.fileConfig` INI file gives in `args`
 * and `kwargs`: tuples, lists and dicts of strings, numbers, True/False/None, and the dotted
 * names the caller's namespace knows. Anything else is refused with a message saying what
 * and where.
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

/**
 * Parses one Python literal expression; throws an Error saying what is wrong.
 *
 * @param resolveName the value of a dotted name (`sys.stdout`); undefined for an unknown one.
 */
export function parsePyLiteral(
  text: string,
  resolveName: (name: string) => PyValue | undefined,
): PyValue {
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
