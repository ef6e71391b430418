/**
 * Python's formatting of one value, as the `%` operator (`"%-8s" % x`) and `format(x, spec)`
 * print it: the numeric conversions (d, x, e, f, g, ...), widths, fills and signs, with
 * Python's float text (see repr.ts) where JavaScript's differs.
 */
import { PyFloat, pyAscii, pyFloatRepr, pyRepr, pyStr } from "./repr.js";

function numeric(value: unknown): number {
  if (value instanceof PyFloat) return value.value;
  if (typeof value === "number") return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  return NaN;
}

/** `%e` / `{:e}`: Python writes at least two exponent digits. */
function expo(x: number, precision: number, upper: boolean): string {
  const s = x.toExponential(precision).replace(/e([+-])(\d)$/, "e$10$2");
  return upper ? s.toUpperCase() : s;
}

/** `%g` / `{:g}`, with `alt` (`#`) keeping trailing zeros. */
function general(x: number, precision: number, upper: boolean, alt: boolean): string {
  if (!Number.isFinite(x)) return fixedSpecial(x, upper);
  const p = precision === 0 ? 1 : precision;
  if (x === 0) return alt ? `0.${"0".repeat(p - 1)}` : "0";
  const exp = Math.floor(Math.log10(Math.abs(Number(x.toExponential(p - 1)))));
  let s: string;
  if (exp < -4 || exp >= p) {
    s = x.toExponential(p - 1);
    if (!alt) s = s.replace(/\.?0+e/, "e");
    s = s.replace(/e([+-])(\d)$/, "e$10$2");
  } else {
    s = x.toFixed(Math.max(0, p - 1 - exp));
    if (!alt && s.includes(".")) s = s.replace(/\.?0+$/, "");
  }
  return upper ? s.toUpperCase() : s;
}

function fixedSpecial(x: number, upper: boolean): string {
  const s = Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  return upper ? s.toUpperCase() : s;
}

/** One `%` conversion: `%(name)-8.3s` has flags `-`, width 8, precision 3, conv `s`. */
export interface PercentSpec {
  flags: string;
  width: number;
  precision: number; // -1: none
  conv: string;
}

/** Python's `"%<spec>" % value` for one value (a number, or any value for s, r and a). */
export function percentFormat(value: unknown, spec: PercentSpec): string {
  const { flags, precision, conv } = spec;
  let body: string;
  let sign = "";
  const numericConv = !"sra".includes(conv);
  if (numericConv) {
    let x = numeric(value);
    if (conv === "c") {
      body = typeof value === "string" ? value : String.fromCodePoint(x);
    } else {
      if (x < 0 || Object.is(x, -0)) {
        sign = "-";
        x = -x;
      } else if (flags.includes("+")) sign = "+";
      else if (flags.includes(" ")) sign = " ";
      switch (conv) {
        case "d":
        case "i":
        case "u":
          body = Number.isFinite(x) ? String(Math.trunc(x)) : fixedSpecial(x, false);
          if (precision > 0) body = body.padStart(precision, "0");
          break;
        case "o":
          body = Math.trunc(x).toString(8);
          if (precision > 0) body = body.padStart(precision, "0");
          if (flags.includes("#")) body = `0o${body}`;
          break;
        case "x":
        case "X":
          body = Math.trunc(x).toString(16);
          if (precision > 0) body = body.padStart(precision, "0");
          if (flags.includes("#")) body = `0x${body}`;
          if (conv === "X") body = body.toUpperCase();
          break;
        case "e":
        case "E":
          body = Number.isFinite(x)
            ? expo(x, precision < 0 ? 6 : precision, conv === "E")
            : fixedSpecial(x, conv === "E");
          break;
        case "f":
        case "F":
          body = Number.isFinite(x)
            ? x.toFixed(precision < 0 ? 6 : precision)
            : fixedSpecial(x, conv === "F");
          if (flags.includes("#") && precision === 0) body += ".";
          break;
        default: // g, G
          body = general(x, precision < 0 ? 6 : precision, conv === "G", flags.includes("#"));
      }
    }
  } else {
    body = conv === "s" ? pyStr(value) : conv === "r" ? pyRepr(value) : pyAscii(value);
    if (precision >= 0) body = [...body].slice(0, precision).join("");
  }
  // Counted only when a width asks (every field of every log line goes through here).
  const length = spec.width > 0 ? sign.length + [...body].length : 0;
  if (spec.width > length) {
    const fill = spec.width - length;
    if (flags.includes("-")) return sign + body + " ".repeat(fill);
    if (flags.includes("0") && numericConv && conv !== "c") {
      // Zeros go after the sign and the 0x prefix.
      const prefix = /^0[xXo]/.exec(body)?.[0] ?? "";
      return sign + prefix + "0".repeat(fill) + body.slice(prefix.length);
    }
    return " ".repeat(fill) + sign + body;
  }
  return sign + body;
}

/** A parsed format spec of Python's `format()` mini-language (`<8`, `06d`, `,.2f`). */
export interface BraceSpec {
  fill: string;
  align: string; // "", "<", ">", "^", "="
  sign: string;
  alt: boolean;
  zero: boolean;
  width: number;
  grouping: string;
  precision: number;
  type: string;
}

const BRACE_SPEC =
  /^(?:(.)?([<>=^]))?([-+ ])?(z)?(#)?(0)?(\d+)?([_,])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/su;

/** The spec after a field's `:`; null when Python would refuse it. */
export function parseFormatSpec(text: string): BraceSpec | null {
  const sm = BRACE_SPEC.exec(text);
  if (!sm) return null;
  return {
    fill: sm[1] ?? "",
    align: sm[2] ?? "",
    sign: sm[3] ?? "",
    alt: sm[5] !== undefined,
    zero: sm[6] !== undefined,
    width: sm[7] ? Number(sm[7]) : 0,
    grouping: sm[8] ?? "",
    precision: sm[9] !== undefined ? Number(sm[9]) : -1,
    type: sm[10] ?? "",
  };
}

function group(digits: string, sep: string, every = 3): string {
  if (!sep) return digits;
  let out = "";
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % every === 0) out += sep;
    out += digits[i];
  }
  return out;
}

/** Python's `format(value, spec)`: numbers by their type, anything else as `str()`. */
export function formatValue(value: unknown, spec: BraceSpec): string {
  const isNumber = typeof value === "number" || value instanceof PyFloat;
  let body: string;
  let sign = "";
  if (!isNumber || spec.type === "s") {
    body = pyStr(value);
    if (spec.precision >= 0) body = [...body].slice(0, spec.precision).join("");
  } else {
    let x = numeric(value);
    const isFloat = value instanceof PyFloat;
    if (x < 0 || Object.is(x, -0)) {
      sign = "-";
      x = -x;
    } else if (spec.sign === "+") sign = "+";
    else if (spec.sign === " ") sign = " ";
    const type = spec.type || (isFloat ? "" : "d");
    switch (type) {
      case "d":
      case "n":
        body = group(String(Math.trunc(x)), spec.grouping);
        break;
      case "b":
        body = (spec.alt ? "0b" : "") + Math.trunc(x).toString(2);
        break;
      case "o":
        body = (spec.alt ? "0o" : "") + Math.trunc(x).toString(8);
        break;
      case "x":
        body = (spec.alt ? "0x" : "") + Math.trunc(x).toString(16);
        break;
      case "X":
        body = (spec.alt ? "0X" : "") + Math.trunc(x).toString(16).toUpperCase();
        break;
      case "c":
        body = String.fromCodePoint(Math.trunc(x));
        break;
      case "e":
      case "E":
        body = expo(x, spec.precision < 0 ? 6 : spec.precision, type === "E");
        break;
      case "f":
      case "F": {
        const [int = "", frac] = x.toFixed(spec.precision < 0 ? 6 : spec.precision).split(".");
        body = group(int, spec.grouping) + (frac !== undefined ? `.${frac}` : "");
        break;
      }
      case "%":
        body = `${(x * 100).toFixed(spec.precision < 0 ? 6 : spec.precision)}%`;
        break;
      case "g":
      case "G":
        body = general(x, spec.precision < 0 ? 6 : spec.precision, type === "G", spec.alt);
        break;
      default:
        // A float without a type: repr, or %g-like with a precision.
        body =
          spec.precision >= 0
            ? general(x, spec.precision, false, false)
            : pyFloatRepr(x).replace(/^-/, "");
    }
  }
  const length = spec.width > 0 ? sign.length + [...body].length : 0;
  let align = spec.align || (isNumber && spec.type !== "s" ? ">" : "<");
  let fill = spec.fill || " ";
  if (!spec.align && spec.zero && isNumber) {
    align = "=";
    fill = "0";
  }
  if (spec.width <= length) return sign + body;
  const n = spec.width - length;
  switch (align) {
    case "<":
      return sign + body + fill.repeat(n);
    case "^":
      return fill.repeat(Math.floor(n / 2)) + sign + body + fill.repeat(n - Math.floor(n / 2));
    case "=":
      return sign + fill.repeat(n) + body;
    default:
      return fill.repeat(n) + sign + body;
  }
}
