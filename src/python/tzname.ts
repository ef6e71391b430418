/**
 * The time zone abbreviation glibc prints for `%Z` (`CET`, `EDT`, `+11`), read from the
 * tzfile glibc would use (TZ, else /etc/localtime). Node's Intl cannot give it: its names
 * come from CLDR by locale (`GMT+1` for Paris in en-US, `CET` only in en-GB, never `JST`
 * or `+11`), not from the time zone database glibc reads.
 */
import { readFileSync } from "node:fs";

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
export function zoneAbbreviation(date: Date): string {
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
