/**
 * strftime(3) as glibc gives it in the C locale, which is what Python's
 * `time.strftime` (and so `logging.Formatter.formatTime`) prints.
 *
 * `compileStrftime` parses a format once and returns a cheap function for hot
 * paths (every log line). Supported: %a %A %b %B %c %C %d %D %e %f %F %g %G %h
 * %H %I %j %k %l %m %M %n %p %P %r %R %s %S %t %T %u %U %V %w %W %x %X %y %Y
 * %z %Z %%, glibc's flags `-` (no padding), `_` (spaces), `0` (zeros), `^`
 * (upper case), `#` (swap case), a field width (`%10Y`) and the ignored `E`/`O`
 * modifiers. An unknown directive is kept as written, as glibc does.
 */
import { zoneAbbreviation } from "./tzname.js";

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const DAY_MS = 86_400_000;

/** The broken-down time one formatting works on. */
interface Tm {
  date: Date;
  utc: boolean;
  year: number;
  mon: number; // 0-11
  mday: number;
  hour: number;
  min: number;
  sec: number;
  ms: number;
  wday: number; // 0 = Sunday
  yday: number; // 0-365
  /** Minutes east of UTC. */
  offset: number;
}

function breakDown(date: Date, utc: boolean): Tm {
  let year, mon, mday, hour, min, sec, wday, offset;
  if (utc) {
    year = date.getUTCFullYear();
    mon = date.getUTCMonth();
    mday = date.getUTCDate();
    hour = date.getUTCHours();
    min = date.getUTCMinutes();
    sec = date.getUTCSeconds();
    wday = date.getUTCDay();
    offset = 0;
  } else {
    year = date.getFullYear();
    mon = date.getMonth();
    mday = date.getDate();
    hour = date.getHours();
    min = date.getMinutes();
    sec = date.getSeconds();
    wday = date.getDay();
    offset = -date.getTimezoneOffset();
  }
  const yday = (Date.UTC(year, mon, mday) - Date.UTC(year, 0, 1)) / DAY_MS;
  const ms = utc ? date.getUTCMilliseconds() : date.getMilliseconds();
  return { date, utc, year, mon, mday, hour, min, sec, ms, wday, yday, offset };
}

/** ISO 8601 week-based year and week number (glibc's %G and %V). */
function isoWeek(tm: Tm): { year: number; week: number } {
  const isoDay = (tm.wday + 6) % 7; // Monday = 0
  const thursday = Date.UTC(tm.year, tm.mon, tm.mday) + (3 - isoDay) * DAY_MS;
  const thursdayYear = new Date(thursday).getUTCFullYear();
  const yday = (thursday - Date.UTC(thursdayYear, 0, 1)) / DAY_MS;
  return { year: thursdayYear, week: Math.floor(yday / 7) + 1 };
}

type Piece = string | ((tm: Tm) => string);

interface Spec {
  flag: string; // "", "-", "_", "0"
  upper: boolean;
  swap: boolean;
  width: number; // -1 when not given
}

function padNum(n: number, width: number, fill: string, spec: Spec): string {
  const neg = n < 0;
  let s = String(Math.abs(n));
  if (spec.flag === "-") return (neg ? "-" : "") + s;
  const f = spec.flag === "_" ? " " : spec.flag === "0" ? "0" : fill;
  const w = spec.width >= 0 ? spec.width : width;
  const target = neg ? w - 1 : w;
  if (s.length < target) s = f.repeat(target - s.length) + s;
  return (neg ? "-" : "") + s;
}

function padStr(s: string, spec: Spec, lowerOnSwap = false): string {
  if (spec.upper) s = s.toUpperCase();
  else if (spec.swap) s = lowerOnSwap ? s.toLowerCase() : s.toUpperCase();
  if (spec.width > s.length && spec.flag !== "-") {
    s = (spec.flag === "0" ? "0" : " ").repeat(spec.width - s.length) + s;
  }
  return s;
}

function offsetText(tm: Tm, spec: Spec): string {
  const abs = Math.abs(tm.offset);
  const body = padNum(Math.floor(abs / 60) * 100 + (abs % 60), 4, "0", {
    ...spec,
    width: spec.width > 0 ? spec.width - 1 : -1,
  });
  return (tm.offset < 0 ? "-" : "+") + body;
}

/** Builds the formatter for one directive; null when glibc does not know it. */
function directive(conv: string, spec: Spec): ((tm: Tm) => string) | null {
  const num =
    (get: (tm: Tm) => number, width = 2, fill = "0") =>
    (tm: Tm): string =>
      padNum(get(tm), width, fill, spec);
  const str =
    (get: (tm: Tm) => string, lowerOnSwap = false) =>
    (tm: Tm): string =>
      padStr(get(tm), spec, lowerOnSwap);
  const sub = (format: string): ((tm: Tm) => string) => {
    const pieces = parse(format);
    return (tm) => padStr(run(pieces, tm), spec);
  };
  const hour12 = (tm: Tm): number => (tm.hour % 12 === 0 ? 12 : tm.hour % 12);
  switch (conv) {
    case "a":
      return str((tm) => DAYS[tm.wday]!.slice(0, 3));
    case "A":
      return str((tm) => DAYS[tm.wday]!);
    case "b":
    case "h":
      return str((tm) => MONTHS[tm.mon]!.slice(0, 3));
    case "B":
      return str((tm) => MONTHS[tm.mon]!);
    case "c":
      return sub("%a %b %e %H:%M:%S %Y");
    case "C":
      return num((tm) => Math.floor(tm.year / 100));
    case "d":
      return num((tm) => tm.mday);
    case "D":
      return sub("%m/%d/%y");
    case "e":
      return num((tm) => tm.mday, 2, " ");
    case "f":
      return num((tm) => tm.ms * 1000, 6);
    case "F":
      return sub("%Y-%m-%d");
    case "g":
      return num((tm) => isoWeek(tm).year % 100);
    case "G":
      return num((tm) => isoWeek(tm).year, 1);
    case "H":
      return num((tm) => tm.hour);
    case "I":
      return num(hour12);
    case "j":
      return num((tm) => tm.yday + 1, 3);
    case "k":
      return num((tm) => tm.hour, 2, " ");
    case "l":
      return num(hour12, 2, " ");
    case "m":
      return num((tm) => tm.mon + 1);
    case "M":
      return num((tm) => tm.min);
    case "n":
      return () => "\n";
    case "p":
      return str((tm) => (tm.hour < 12 ? "AM" : "PM"), true);
    case "P":
      return str((tm) => (tm.hour < 12 ? "am" : "pm"));
    case "r":
      return sub("%I:%M:%S %p");
    case "R":
      return sub("%H:%M");
    case "s":
      return num((tm) => Math.floor(tm.date.getTime() / 1000), 1);
    case "S":
      return num((tm) => tm.sec);
    case "t":
      return () => "\t";
    case "T":
      return sub("%H:%M:%S");
    case "u":
      return num((tm) => (tm.wday === 0 ? 7 : tm.wday), 1);
    case "U":
      return num((tm) => Math.floor((tm.yday + 7 - tm.wday) / 7));
    case "V":
      return num((tm) => isoWeek(tm).week);
    case "w":
      return num((tm) => tm.wday, 1);
    case "W":
      return num((tm) => Math.floor((tm.yday + 7 - ((tm.wday + 6) % 7)) / 7));
    case "x":
      return sub("%m/%d/%y");
    case "X":
      return sub("%H:%M:%S");
    case "y":
      return num((tm) => tm.year % 100);
    case "Y":
      return num((tm) => tm.year, 1);
    case "z":
      return (tm) => offsetText(tm, spec);
    case "Z":
      return str((tm) => (tm.utc ? "UTC" : zoneAbbreviation(tm.date)), true);
    case "%":
      return () => "%";
    default:
      return null;
  }
}

function parse(format: string): Piece[] {
  const pieces: Piece[] = [];
  let literal = "";
  let i = 0;
  while (i < format.length) {
    const pct = format.indexOf("%", i);
    if (pct < 0) {
      literal += format.slice(i);
      break;
    }
    literal += format.slice(i, pct);
    let j = pct + 1;
    const spec: Spec = { flag: "", upper: false, swap: false, width: -1 };
    for (; j < format.length; j++) {
      const c = format[j]!;
      if (c === "-" || c === "_" || c === "0") spec.flag = c;
      else if (c === "^") spec.upper = true;
      else if (c === "#") spec.swap = true;
      else break;
    }
    const widthStart = j;
    while (j < format.length && format[j]! >= "0" && format[j]! <= "9") j++;
    if (j > widthStart) spec.width = Number(format.slice(widthStart, j));
    if (format[j] === "E" || format[j] === "O") j++;
    const conv = format[j];
    const fn = conv === undefined ? null : directive(conv, spec);
    if (fn === null) {
      // glibc copies an unknown (or truncated) directive as it was written.
      literal += format.slice(pct, conv === undefined ? j : j + 1);
    } else {
      if (literal) pieces.push(literal);
      literal = "";
      pieces.push(fn);
    }
    i = j + 1;
  }
  if (literal) pieces.push(literal);
  return pieces;
}

function run(pieces: Piece[], tm: Tm): string {
  let out = "";
  for (const p of pieces) out += typeof p === "string" ? p : p(tm);
  return out;
}

/** Parses `format` once; the returned function formats a date (local time unless `utc`). */
export function compileStrftime(format: string): (date: Date, utc?: boolean) => string {
  const pieces = parse(format);
  if (pieces.length === 0) return () => "";
  if (pieces.length === 1 && typeof pieces[0] === "string") {
    const constant = pieces[0];
    return () => constant;
  }
  return (date, utc = false) => run(pieces, breakDown(date, utc));
}

const compiled = new Map<string, (date: Date, utc?: boolean) => string>();

/** `time.strftime(format, date)` as Python prints it on glibc; local time unless `utc`. */
export function strftime(format: string, date: Date, utc = false): string {
  let fn = compiled.get(format);
  if (!fn) {
    if (compiled.size > 256) compiled.clear();
    fn = compileStrftime(format);
    compiled.set(format, fn);
  }
  return fn(date, utc);
}
