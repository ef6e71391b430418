/**
 * Python's text of values, wherever we must print what Circus (a Python program) prints: log
 * records, circusctl's console output, error reasons. One place for `str()`, `repr()` and the
 * int/float distinction that JavaScript numbers lack.
 */

/**
 * A number Python holds as a float. JavaScript cannot tell `2` from `2.0`; Python prints them
 * differently (`str(2.0)` is `2.0`) and so does its JSON, so where Circus has a float that may
 * be whole (a timeout, a time, a CPU percentage) we carry this instead of a bare number.
 */
export class PyFloat {
  constructor(readonly value: number) {}
  /** Python's `repr()`: `2.0`, `1e-05`. */
  toString(): string {
    return pyFloatRepr(this.value);
  }
  valueOf(): number {
    return this.value;
  }
  /**
   * `JSON.stringify` (which knows no floats) gets the number, unless an encoder that writes
   * floats (json.ts's wireJson) set {@link PyFloat.encodeJson} for the time of its call.
   */
  toJSON(): number | string {
    return PyFloat.encodeJson ? PyFloat.encodeJson(this.value) : this.value;
  }

  /** What toJSON gives instead of the number, while an encoder that writes floats runs. */
  static encodeJson: ((x: number) => string) | null = null;
}

/** `()`: Python's empty tuple, which a JavaScript array (printed as a list) cannot stand for. */
export const PY_EMPTY_TUPLE = new (class PyTuple {
  toString(): string {
    return "()";
  }
})();

/** `float(x)`: marks a number as a Python float. */
export function float(x: number): PyFloat {
  return new PyFloat(x);
}

/** Python's `time.time()`: seconds since the epoch, as a float. */
export function timeNow(): PyFloat {
  return new PyFloat(Date.now() / 1000);
}

/** Python's `repr(float)`: the shortest round-trip digits, with `.0` or an exponent. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (Object.is(x, -0)) return "-0.0";
  const abs = Math.abs(x);
  if (abs !== 0 && (abs >= 1e16 || abs < 1e-4)) {
    // JS: 1e+21, 1.5e-7; Python: 1e+21, 1.5e-07 (two exponent digits at least).
    return x.toExponential().replace(/e([+-])(\d)$/, "e$10$2");
  }
  const s = String(x);
  if (s.includes("e")) {
    // JS switches to exponents at 1e21 only; write the digits out as Python does below 1e16.
    return x.toFixed(0) + ".0";
  }
  return s.includes(".") ? s : `${s}.0`;
}

/** A JavaScript number as Python prints it: whole numbers as ints, the others as floats. */
export function numberText(x: number): string {
  return Number.isInteger(x) && Math.abs(x) < 1e16 ? String(x) : pyFloatRepr(x);
}

/** Python's `str()`: None, True and False by their names, containers by their repr. */
export function pyStr(value: unknown): string {
  if (typeof value === "string") return value;
  return pyRepr(value);
}

/**
 * Python's `repr()` of a JSON-like value: strings quoted as Python quotes them (single
 * quotes unless the text holds one and no double quote), lists and dicts with `, `.
 */
export function pyRepr(value: unknown): string {
  return repr(value, 0);
}

/**
 * Containers nested deeper than this print as `[...]` and `{...}` (as Python's reprlib
 * does): a client's request nested 20,000 deep must not overflow the stack of its error.
 */
const MAX_REPR_DEPTH = 100;

function repr(value: unknown, depth: number): string {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (value instanceof PyFloat) return pyFloatRepr(value.value);
  if (typeof value === "number") return numberText(value);
  if (typeof value === "string") return stringRepr(value);
  if (Array.isArray(value)) {
    if (depth >= MAX_REPR_DEPTH) return "[...]";
    return `[${value.map((v) => repr(v, depth + 1)).join(", ")}]`;
  }
  if (isPlainObject(value)) {
    if (depth >= MAX_REPR_DEPTH) return "{...}";
    const items = Object.entries(value).map(([k, v]) => `${stringRepr(k)}: ${repr(v, depth + 1)}`);
    return `{${items.join(", ")}}`;
  }
  return String(value);
}

/** A JSON object (a Python dict); other objects (a tuple, a date) print their own text. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function stringRepr(value: string): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out + quote;
}

/** Python's `ascii()`: `repr()` with every non-ASCII character escaped. */
export function pyAscii(value: unknown): string {
  return pyRepr(value).replace(/[\u0080-\u{10ffff}]/gu, (ch) => {
    const code = ch.codePointAt(0)!;
    if (code <= 0xff) return `\\x${code.toString(16).padStart(2, "0")}`;
    if (code <= 0xffff) return `\\u${code.toString(16).padStart(4, "0")}`;
    return `\\U${code.toString(16).padStart(8, "0")}`;
  });
}
