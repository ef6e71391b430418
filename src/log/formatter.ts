/**
 * Python's `logging.Formatter` for the three format styles: `%` (`%(levelname)-8s`), `{`
 * (`{levelname:<8}`) and `$` (`${levelname}`). A format is compiled once; fields a LogRecord
 * does not have, or conversions that cannot apply to a field, are refused at configuration
 * time (Python would print a "Logging error" traceback at every line instead).
 */
import { compileStrftime } from "../python/strftime.js";
import { FormatError, parseTemplate, type FormatStyle } from "../python/template.js";
import { RECORD_FIELDS, recordField, type LogRecord } from "./record.js";

export { FormatError, type FormatStyle };

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

/** Refuses a field a LogRecord lacks, or a numeric conversion of a field that holds text. */
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

/** A field of the format, reading its value from the record (asctime: from the formatter). */
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
    this.pieces = parseTemplate(format, style, (key, numeric) =>
      checkField(key, numeric, format),
    ).map((piece) => (typeof piece === "string" ? piece : fieldPiece(piece.key, piece.print)));
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
