/** How circus's programs end on a bad command line or setup: one message, an exit status. */

/** Writes `message` (a line, or usage then a line) to stderr and exits with `code`. */
export function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}
