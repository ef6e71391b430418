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
import { readFileSync } from "node:fs";

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

// ---------------------------------------------------------------------------
// Time zone abbreviations (%Z): JavaScript only knows offsets, so read them
// from the tzfile glibc would use (TZ, else /etc/localtime).

interface ZoneInfo {
  /** Transition instants in seconds, ascending, and the abbreviation from each. */
  times: number[];
  names: string[];
  /** Abbreviation of the type in effect before the first transition. */
  initial: string | null;
  /** From the POSIX TZ footer (or a POSIX TZ value): name by offset (seconds east). */
  posix: Map<number, string>;
}

let zoneCacheKey: string | undefined | null = null;
let zoneCache: ZoneInfo | null = null;

/** Parses `std offset [dst [offset]][,rules]` (e.g. `CET-1CEST,M3.5.0,M10.5.0/3`). */
function parsePosixTz(spec: string, into: Map<number, string>): void {
  const re =
    /^(<[^>]*>|[A-Za-z]{3,})([-+]?\d{1,2}(?::\d{2}){0,2})(?:(<[^>]*>|[A-Za-z]{3,})([-+]?\d{1,2}(?::\d{2}){0,2})?)?/;
  const m = re.exec(spec);
  if (!m) return;
  const seconds = (text: string): number => {
    const sign = text.startsWith("-") ? -1 : 1;
    const parts = text.replace(/^[-+]/, "").split(":").map(Number);
    return sign * ((parts[0] ?? 0) * 3600 + (parts[1] ?? 0) * 60 + (parts[2] ?? 0));
  };
  const strip = (name: string): string => name.replace(/^<|>$/g, "");
  const std = -seconds(m[2]!); // POSIX offsets are west of UTC
  into.set(std, strip(m[1]!));
  if (m[3]) {
    const dst = m[4] ? -seconds(m[4]) : std + 3600;
    if (!into.has(dst)) into.set(dst, strip(m[3]));
  }
}

function readTzif(buf: Buffer): ZoneInfo | null {
  if (buf.length < 44 || buf.toString("latin1", 0, 4) !== "TZif") return null;
  const version = buf[4]!;
  let pos = 0;
  type Counts = [number, number, number, number, number, number];
  const header = (at: number): Counts =>
    [0, 1, 2, 3, 4, 5].map((i) => buf.readUInt32BE(at + 20 + i * 4)) as Counts;
  let [isut, isstd, leap, timecnt, typecnt, charcnt] = header(pos);
  let timeSize = 4;
  if (version >= 0x32) {
    // Skip the 32-bit block; use the 64-bit one.
    pos += 44 + timecnt * 5 + typecnt * 6 + charcnt + leap * 8 + isstd + isut;
    [isut, isstd, leap, timecnt, typecnt, charcnt] = header(pos);
    timeSize = 8;
  }
  let p = pos + 44;
  const times: number[] = [];
  for (let i = 0; i < timecnt; i++) {
    times.push(timeSize === 8 ? Number(buf.readBigInt64BE(p + i * 8)) : buf.readInt32BE(p + i * 4));
  }
  p += timecnt * timeSize;
  const idx: number[] = [];
  for (let i = 0; i < timecnt; i++) idx.push(buf[p + i]!);
  p += timecnt;
  const types: { off: number; abbr: number }[] = [];
  for (let i = 0; i < typecnt; i++)
    types.push({ off: buf.readInt32BE(p + i * 6), abbr: buf[p + i * 6 + 5]! });
  p += typecnt * 6;
  const chars = buf.toString("latin1", p, p + charcnt);
  p += charcnt + leap * (timeSize + 4) + isstd + isut;
  const abbr = (t: { abbr: number } | undefined): string => {
    if (!t) return "";
    const end = chars.indexOf("\0", t.abbr);
    return chars.slice(t.abbr, end < 0 ? undefined : end);
  };
  const posix = new Map<number, string>();
  if (timeSize === 8 && buf[p] === 0x0a) {
    const end = buf.indexOf(0x0a, p + 1);
    if (end > p) parsePosixTz(buf.toString("latin1", p + 1, end), posix);
  }
  return {
    times,
    names: idx.map((i) => abbr(types[i])),
    initial: types.length > 0 ? abbr(types[0]) : null,
    posix,
  };
}

function loadZone(): ZoneInfo | null {
  let tz = process.env["TZ"];
  if (tz === zoneCacheKey) return zoneCache;
  zoneCacheKey = tz;
  zoneCache = null;
  const empty = (): ZoneInfo => ({ times: [], names: [], initial: null, posix: new Map() });
  if (tz === "") {
    zoneCache = empty();
    zoneCache.posix.set(0, "UTC");
    return zoneCache;
  }
  if (tz?.startsWith(":")) tz = tz.slice(1);
  const candidates =
    tz === undefined
      ? ["/etc/localtime"]
      : tz.startsWith("/")
        ? [tz]
        : [
            ...new Set([
              `${process.env["TZDIR"] ?? "/usr/share/zoneinfo"}/${tz}`,
              `/usr/share/zoneinfo/${tz}`,
            ]),
          ];
  for (const file of candidates) {
    try {
      const info = readTzif(readFileSync(file));
      if (info) {
        zoneCache = info;
        return info;
      }
    } catch {
      // try the next one
    }
  }
  if (tz !== undefined) {
    zoneCache = empty();
    parsePosixTz(tz, zoneCache.posix);
  }
  return zoneCache;
}

/** The abbreviation glibc would print for `date` in local time (`CET`, `EDT`, ...). */
function zoneAbbreviation(date: Date): string {
  const offsetSec = -date.getTimezoneOffset() * 60;
  const zone = loadZone();
  if (zone) {
    const t = Math.floor(date.getTime() / 1000);
    const { times, names } = zone;
    if (times.length > 0 && t >= times[0]! && t < times[times.length - 1]!) {
      let lo = 0;
      let hi = times.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (times[mid]! <= t) lo = mid;
        else hi = mid - 1;
      }
      const name = names[lo];
      if (name) return name;
    }
    const fromPosix = zone.posix.get(offsetSec);
    if (fromPosix) return fromPosix;
    if (times.length > 0 && t >= times[times.length - 1]! && names[names.length - 1]) {
      return names[names.length - 1]!;
    }
    if (times.length > 0 && t < times[0]! && zone.initial) return zone.initial;
    if (times.length === 0 && zone.initial) return zone.initial;
  }
  try {
    const part = new Intl.DateTimeFormat("en-US", { timeZoneName: "short" })
      .formatToParts(date)
      .find((p) => p.type === "timeZoneName");
    if (part) return part.value;
  } catch {
    // fall through
  }
  return "";
}

// ---------------------------------------------------------------------------

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
