/**
 * Python's three template syntaxes for named fields, as `logging.Formatter` takes them:
 * `%` (`"%(name)-8s" % mapping`), `{` (`str.format_map`: `{name!r:<8}`) and `$`
 * (`string.Template`: `$name`, `${name}`), each parsed once into literal text and fields
 * that know how to print their value.
 */
import { formatValue, parseFormatSpec, percentFormat, type PercentSpec } from "./format.js";
import { pyAscii, pyRepr, pyStr } from "./repr.js";

/** A template Python would refuse; the message quotes the template. */
export class FormatError extends Error {}

/** The syntax of a template. */
export type FormatStyle = "%" | "{" | "$";

/** A field of a template: the name it reads, and how its value prints. */
export interface TemplateField {
  key: string;
  print: (value: unknown) => string;
}

/** Literal text, or a field. */
export type TemplatePiece = string | TemplateField;

/**
 * Called with each field as it is parsed, and whether its conversion needs a number; throws
 * a FormatError for a field the caller cannot give.
 */
export type FieldCheck = (key: string, numeric: boolean) => void;

/** Parses a template of that style; throws FormatError where Python would fail. */
export function parseTemplate(
  format: string,
  style: FormatStyle,
  check: FieldCheck,
): TemplatePiece[] {
  if (style === "%") return parsePercent(format, check);
  return style === "{" ? parseBrace(format, check) : parseDollar(format, check);
}

function parsePercent(format: string, check: FieldCheck): TemplatePiece[] {
  const pieces: TemplatePiece[] = [];
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
    check(key, !"sra".includes(spec.conv));
    fields++;
    if (literal) pieces.push(literal);
    literal = "";
    pieces.push({ key, print: (value) => percentFormat(value, spec) });
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

function parseBrace(format: string, check: FieldCheck): TemplatePiece[] {
  const pieces: TemplatePiece[] = [];
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
    const spec = parseFormatSpec(specText);
    if (!spec) bad(`bad format spec ":${specText}" in {${inner}}`);
    const numericType = spec!.type !== "" && spec!.type !== "s";
    check(key, numericType && !conversion);
    if (conversion && numericType) bad(`{${inner}}: !${conversion} gives text, not a number`);
    fields++;
    if (literal) pieces.push(literal);
    literal = "";
    pieces.push({
      key,
      print: (value) => {
        const v =
          conversion === "r"
            ? pyRepr(value)
            : conversion === "a"
              ? pyAscii(value)
              : conversion === "s"
                ? pyStr(value)
                : value;
        return formatValue(v, spec!);
      },
    });
    i = end + 1;
  }
  if (fields === 0) bad('no field in it (a "{" style format needs {name} fields)');
  if (literal) pieces.push(literal);
  return pieces;
}

function parseDollar(format: string, check: FieldCheck): TemplatePiece[] {
  const pieces: TemplatePiece[] = [];
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
    check(key, false);
    fields++;
    if (literal) pieces.push(literal);
    literal = "";
    pieces.push({ key, print: pyStr });
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
