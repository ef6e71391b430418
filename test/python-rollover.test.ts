/**
 * The timed rollover schedule that the daemon's TimedRotatingFileHandler and the watchers'
 * TimedRotatingFileStream share, across daylight saving changes: against Python's own
 * TimedRotatingFileHandler (run by /usr/bin/python3 with the same TZ), and on the calendar.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { RolloverSchedule, rolloverRule } from "../src/python/rollover.ts";
import { strftime } from "../src/python/strftime.ts";
import { withTz } from "./helpers/tz.ts";

interface Case {
  when: string;
  interval: number;
  utc: boolean;
  start: number;
  /** Seconds after each due rollover at which a line arrives. */
  late: number;
  steps: number;
}

interface Run {
  /** The rollover times, first one included. */
  at: number[];
  /** The backups' date suffixes, one per rollover. */
  names: string[];
}

/** Python's own schedule: computeRollover, then doRollover at each due time (time.time faked). */
const PYTHON_SCHEDULE = `
import json, os, sys, tempfile, logging.handlers as h
d = json.load(sys.stdin)
out = []
base = os.path.join(tempfile.mkdtemp(), 'x.log')
for c in d['cases']:
    hd = h.TimedRotatingFileHandler(base, when=c['when'], interval=c['interval'], delay=True, utc=c['utc'])
    hd.rolloverAt = hd.computeRollover(c['start'])
    names = []
    hd.rotate = lambda source, dest: names.append(dest[len(base) + 1:])
    at = [hd.rolloverAt]
    for _ in range(c['steps']):
        now = hd.rolloverAt + c['late']
        h.time.time = lambda: now
        hd.doRollover()
        at.append(hd.rolloverAt)
    out.append({'at': at, 'names': names})
print(json.dumps(out))
`;

const SUFFIX: Record<string, string> = { H: "%Y-%m-%d_%H", M: "%Y-%m-%d_%H-%M" };

function ours(c: Case): Run {
  const rule = rolloverRule(c.when)!;
  const schedule = new RolloverSchedule(rule, c.interval, c.utc, c.start);
  const at = [schedule.rolloverAt];
  const names: string[] = [];
  const suffix = SUFFIX[rule.when] ?? "%Y-%m-%d";
  for (let i = 0; i < c.steps; i++) {
    const now = schedule.rolloverAt + c.late;
    assert.ok(schedule.due(now));
    names.push(strftime(suffix, new Date(schedule.advance(now) * 1000), c.utc));
    at.push(schedule.rolloverAt);
  }
  return { at, names };
}

/** Epoch seconds of a local wall time in the current TZ. */
function local(y: number, m: number, d: number, h = 0, min = 0): number {
  return new Date(y, m - 1, d, h, min).getTime() / 1000;
}

/** Whether an epoch time is local midnight. */
function isMidnight(t: number): boolean {
  const d = new Date(t * 1000);
  return d.getHours() === 0 && d.getMinutes() === 0 && d.getSeconds() === 0;
}

// 2024's changes: Europe/Paris March 31 and October 27, America/New_York March 10 and
// November 3, Australia/Lord_Howe (half an hour) April 7 and October 6.
const ZONES = ["Europe/Paris", "America/New_York", "Australia/Lord_Howe"];

describe("timed rollover", () => {
  for (const tz of ZONES) {
    test(`matches Python's TimedRotatingFileHandler in ${tz} (UTC, and local between changes)`, () => {
      const cases: Case[] = withTz(tz, () => {
        const out: Case[] = [];
        const add = (start: number, utc: boolean): void => {
          for (const when of ["MIDNIGHT", "W6", "W0", "W3", "H", "M", "D"]) {
            out.push({ when, interval: 1, utc, start, late: 0, steps: 6 });
            out.push({ when, interval: when === "H" ? 5 : 1, utc, start, late: 4000, steps: 6 });
          }
          out.push({ when: "MIDNIGHT", interval: 2, utc, start, late: 30, steps: 6 });
        };
        // Six weeks from each of these stay clear of every change above.
        for (const start of [local(2024, 1, 2, 15, 20), local(2024, 5, 1), local(2024, 12, 1, 23)])
          add(start, false);
        for (const start of [
          local(2024, 3, 28, 15, 20),
          local(2024, 10, 25, 8),
          local(2024, 3, 31, 1),
        ])
          add(start, true);
        return out;
      });
      const py = spawnSync("/usr/bin/python3", ["-c", PYTHON_SCHEDULE], {
        input: JSON.stringify({ cases }),
        encoding: "utf8",
        env: { ...process.env, TZ: tz },
      });
      assert.equal(py.status, 0, py.stderr);
      const expected = JSON.parse(py.stdout) as Run[];
      withTz(tz, () => {
        cases.forEach((c, i) => assert.deepEqual(ours(c), expected[i], JSON.stringify(c)));
      });
    });
  }

  /** The local dates of `count` days from the one of `start`. */
  const days = (start: number, count: number, step = 1): string[] => {
    const day = new Date(start * 1000);
    return Array.from({ length: count }, (_, i) =>
      strftime("%Y-%m-%d", new Date(day.getFullYear(), day.getMonth(), day.getDate() + i * step)),
    );
  };

  for (const tz of ["Europe/Paris", "Australia/Lord_Howe"]) {
    test(`in ${tz}, midnight rollovers fall on local midnight across DST and name the day that ended`, () => {
      withTz(tz, () => {
        const year = 2024;
        // Before each change, and between midnight and the change itself.
        const starts =
          tz === "Europe/Paris"
            ? [
                local(year, 3, 29, 12),
                local(year, 3, 31, 1),
                local(year, 10, 25, 12),
                local(year, 10, 27, 1),
              ]
            : [
                local(year, 4, 5, 12),
                local(year, 4, 7, 1),
                local(year, 10, 4, 12),
                local(year, 10, 6, 1),
              ];
        for (const start of starts) {
          const run = ours({ when: "MIDNIGHT", interval: 1, utc: false, start, late: 0, steps: 5 });
          const shown = run.at.map((t) => new Date(t * 1000).toString()).join("\n");
          assert.ok(run.at.every(isMidnight), shown);
          assert.deepEqual(run.names, days(start, 5));
        }
      });
    });
  }

  test("in Europe/Paris, weekly rollovers stay on the midnight ending Monday across DST", () => {
    withTz("Europe/Paris", () => {
      for (const start of [local(2024, 3, 20, 10), local(2024, 10, 16, 10)]) {
        const run = ours({ when: "W0", interval: 1, utc: false, start, late: 0, steps: 4 });
        for (const t of run.at) {
          assert.ok(isMidnight(t), new Date(t * 1000).toString());
          assert.equal(new Date(t * 1000).getDay(), 2);
        }
        // One backup a week, each named for the Tuesday its week began.
        assert.deepEqual(run.names, days(run.at[0]! - 7 * 86400, 4, 7));
      }
    });
  });

  test("in Europe/Paris, hourly backups are named for the hour they began, across DST", () => {
    withTz("Europe/Paris", () => {
      const spring = ours({
        when: "H",
        interval: 1,
        utc: false,
        start: local(2024, 3, 31, 0, 30),
        late: 0,
        steps: 4,
      });
      // 02:00 does not exist that night: no backup overwrites another.
      assert.deepEqual(spring.names, [
        "2024-03-31_00",
        "2024-03-31_01",
        "2024-03-31_03",
        "2024-03-31_04",
      ]);
      const autumn = ours({
        when: "H",
        interval: 1,
        utc: false,
        start: local(2024, 10, 27, 0, 30),
        late: 0,
        steps: 4,
      });
      // 02:00 happens twice that night (CEST, then CET): the names can only repeat it.
      assert.deepEqual(autumn.names, [
        "2024-10-27_00",
        "2024-10-27_01",
        "2024-10-27_02",
        "2024-10-27_02",
      ]);
    });
  });
});
