/** Running code under another time zone, for the tests that compare dates with Python's. */

/** Runs fn with process.env.TZ set (Node follows TZ changes at once), then restores it. */
export function withTz<T>(tz: string, fn: () => T): T {
  const saved = process.env["TZ"];
  process.env["TZ"] = tz;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env["TZ"];
    else process.env["TZ"] = saved;
  }
}
