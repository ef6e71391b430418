/**
 * Python's `logging.Formatter` for the three format styles: `%` (`%(levelname)-8s`), `{`
 * (`{levelname:<8}`) and `$` (`${levelname}`). A format is compiled once; fields a LogRecord
 * does not have, or conversions that cannot apply to a field, are refused at configuration
 * time (Python would print a "Logging error" traceback at every line instead).
 */
import { compileStrftime } from "./strftime.js";
import { PyFloat, pyAscii, pyFloatRepr, pyRepr, pyStr } from "../python/repr.js";
import { RECORD_FIELDS, recordField, type LogRecord } from "./record.js";

export type FormatStyle = "%" | "{" | "$";

/** A format Python's logging would refuse (or fail on at every line). */
export class FormatError extends Error {}

/** Fields that hold text: numeric conversions cannot apply to them. */
const TEXT_FIELDS = new Set([
  "name",
  "msg",
  "message",
  "asctime",
  "levelname",
  "processName",
  "threadName",
  "pathname",
  "filename",
  "module",
  "funcName",
]);
/** Fields that are None in our records. */
const NONE_FIELDS = new Set(["exc_info", "exc_text", "stack_info", "taskName"]);

type Piece = string | ((record: LogRecord, asctime: () => string) => string);

// ---------------------------------------------------------------------------
// Numbers of a record's values, for the numeric conversions

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

// ---------------------------------------------------------------------------
// %-style

interface PercentSpec {
  flags: string;
  width: number;
  precision: number; // -1: none
  conv: string;
}

function percentConvert(value: unknown, spec: PercentSpec): string {
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
  const length = sign.length + [...body].length;
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

function checkField(key: string, numericConv: boolean, format: string): void {
  if (!RECORD_FIELDS.has(key)) {
    throw new FormatError(`format ${JSON.stringify(format)}: a log record has no field "${key}"`);
  }
  if (numericConv && (TEXT_FIELDS.has(key) || NONE_FIELDS.has(key) || key === "args")) {
    throw new FormatError(
      `format ${JSON.stringify(format)}: "${key}" is not a number, it cannot be formatted as one`,
    );
  }
}

function parsePercent(format: string): Piece[] {
  const pieces: Piece[] = [];
  const re = /%(?:\((\w*)\)([#0+ -]*)(\d+)?(?:\.(\d+))?([diouxXeEfFgGcrsa])|(%))/g;
  let last = 0;
  let literal = "";
  let fields = 0;
  for (let m = re.exec(format); m; m = re.exec(format)) {
    literal += format.slice(last, m.index);
    last = re.lastIndex;
    if (m[6]) {
      literal += "%";
      continue;
    }
    const key = m[1]!;
    const spec: PercentSpec = {
      flags: m[2] ?? "",
      width: m[3] ? Number(m[3]) : 0,
      precision: m[4] !== undefined ? Number(m[4]) : -1,
      conv: m[5]!,
    };
    checkField(key, !"sra".includes(spec.conv), format);
    fields++;
    if (literal) pieces.push(literal);
    literal = "";
    pieces.push(fieldPiece(key, (value) => percentConvert(value, spec)));
  }
  const rest = format.slice(last);
  // A % that is not a complete `%(name)X` directive nor `%%`.
  if (format.replace(re, "").includes("%")) {
    throw new FormatError(
      `format ${JSON.stringify(format)}: "%" must start a field such as %(message)s, or be doubled (%%)`,
    );
  }
  if (fields === 0) {
    throw new FormatError(
      `format ${JSON.stringify(format)}: no field in it (a "%" style format needs %(name)s fields)`,
    );
  }
  literal += rest;
  if (literal) pieces.push(literal);
  return pieces;
}

// ---------------------------------------------------------------------------
// {-style

interface BraceSpec {
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

function group(digits: string, sep: string, every = 3): string {
  if (!sep) return digits;
  let out = "";
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % every === 0) out += sep;
    out += digits[i];
  }
  return out;
}

function braceConvert(value: unknown, spec: BraceSpec): string {
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
  const length = sign.length + [...body].length;
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

function parseBrace(format: string): Piece[] {
  const pieces: Piece[] = [];
  let literal = "";
  let fields = 0;
  const bad = (why: string): never => {
    throw new FormatError(`format ${JSON.stringify(format)}: ${why}`);
  };
  let i = 0;
  while (i < format.length) {
    const ch = format[i]!;
    if (ch === "}") {
      if (format[i + 1] === "}") {
        literal += "}";
        i += 2;
        continue;
      }
      bad('a single "}" (write "}}" for a brace)');
    }
    if (ch !== "{") {
      literal += ch;
      i++;
      continue;
    }
    if (format[i + 1] === "{") {
      literal += "{";
      i += 2;
      continue;
    }
    const end = format.indexOf("}", i);
    if (end < 0) bad('a "{" that is never closed');
    const inner = format.slice(i + 1, end);
    const m = /^(\w+)(?:!([rsa]))?(?::(.*))?$/su.exec(inner);
    if (!m) bad(`bad field {${inner}}`);
    const key = m![1]!;
    const conversion = m![2];
    const specText = m![3] ?? "";
    const sm = BRACE_SPEC.exec(specText);
    if (!sm) bad(`bad format spec ":${specText}" in {${inner}}`);
    const spec: BraceSpec = {
      fill: sm![1] ?? "",
      align: sm![2] ?? "",
      sign: sm![3] ?? "",
      alt: sm![5] !== undefined,
      zero: sm![6] !== undefined,
      width: sm![7] ? Number(sm![7]) : 0,
      grouping: sm![8] ?? "",
      precision: sm![9] !== undefined ? Number(sm![9]) : -1,
      type: sm![10] ?? "",
    };
    const numericType = spec.type !== "" && spec.type !== "s";
    checkField(key, numericType && !conversion, format);
    if (conversion && numericType) bad(`{${inner}}: !${conversion} gives text, not a number`);
    fields++;
    if (literal) pieces.push(literal);
    literal = "";
    pieces.push(
      fieldPiece(key, (value) => {
        const v =
          conversion === "r"
            ? pyRepr(value)
            : conversion === "a"
              ? pyAscii(value)
              : conversion === "s"
                ? pyStr(value)
                : value;
        return braceConvert(v, spec);
      }),
    );
    i = end + 1;
  }
  if (fields === 0) bad('no field in it (a "{" style format needs {name} fields)');
  if (literal) pieces.push(literal);
  return pieces;
}

// ---------------------------------------------------------------------------
// $-style (string.Template)

function parseDollar(format: string): Piece[] {
  const pieces: Piece[] = [];
  const re = /\$(?:(\$)|([_a-z][_a-z0-9]*)|\{([_a-z][_a-z0-9]*)\}|())/gi;
  let literal = "";
  let last = 0;
  let fields = 0;
  for (let m = re.exec(format); m; m = re.exec(format)) {
    literal += format.slice(last, m.index);
    last = re.lastIndex;
    if (m[1]) {
      literal += "$";
      continue;
    }
    const key = m[2] ?? m[3];
    if (key === undefined) {
      throw new FormatError(
        `format ${JSON.stringify(format)}: a "$" must start a field such as $message or \${message}, or be doubled ($$)`,
      );
    }
    checkField(key, false, format);
    fields++;
    if (literal) pieces.push(literal);
    literal = "";
    pieces.push(fieldPiece(key, pyStr));
  }
  if (fields === 0) {
    throw new FormatError(
      `format ${JSON.stringify(format)}: no field in it (a "$" style format needs $name fields)`,
    );
  }
  literal += format.slice(last);
  if (literal) pieces.push(literal);
  return pieces;
}

// ---------------------------------------------------------------------------

function fieldPiece(key: string, convert: (value: unknown) => string): Piece {
  if (key === "asctime") return (_record, asctime) => convert(asctime());
  const read = recordField(key) ?? (() => undefined);
  return (record) => convert(read(record));
}

const DEFAULT_FORMATS: Record<FormatStyle, string> = {
  "%": "%(message)s",
  "{": "{message}",
  $: "${message}",
};

/** `logging.Formatter(fmt, datefmt, style)`; throws FormatError for a format it cannot use. */
export class Formatter {
  private readonly pieces: Piece[];
  private readonly dateFormat: (date: Date, utc?: boolean) => string;
  /** Python's `Formatter.converter`: time.localtime, or time.gmtime when true. */
  utc = false;

  constructor(
    readonly fmt: string | null = null,
    readonly datefmt: string | null = null,
    readonly style: FormatStyle = "%",
  ) {
    const format = fmt ?? DEFAULT_FORMATS[style];
    this.pieces =
      style === "%"
        ? parsePercent(format)
        : style === "{"
          ? parseBrace(format)
          : parseDollar(format);
    if (datefmt !== null) {
      this.dateFormat = compileStrftime(datefmt);
    } else {
      const seconds = compileStrftime("%Y-%m-%d %H:%M:%S");
      this.dateFormat = (date, utc) =>
        `${seconds(date, utc)},${String(date.getMilliseconds()).padStart(3, "0")}`;
    }
  }

  /** `Formatter.formatTime`. */
  formatTime(record: LogRecord): string {
    return this.dateFormat(record.date, this.utc);
  }

  /** `Formatter.format`: the line, without the handler's terminator. */
  format(record: LogRecord): string {
    let asctime: string | null = null;
    const getTime = (): string => (asctime ??= this.formatTime(record));
    let out = "";
    for (const piece of this.pieces)
      out += typeof piece === "string" ? piece : piece(record, getTime);
    return out;
  }
}
