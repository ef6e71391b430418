#!/usr/bin/env node
/**
 * `circus-keygen NAME [--role admin|readonly] [--dir DIR]`: a new CURVE key pair, as
 * DIR/NAME.key (the public certificate, with the name and role: what goes into circusd's
 * `curve_clients` folder) and DIR/NAME.key_secret (mode 0600: what the client keeps, given
 * as `--curve-key`). circusd's own pair is made the same way (its role is not read).
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { writeKeyFiles } from "../security/certs.js";
import { fail } from "./fail.js";

const USAGE = `usage: circus-keygen NAME [--role admin|readonly] [--dir DIR]

Makes a CURVE key pair: DIR/NAME.key (public: put it in circusd's curve_clients folder)
and DIR/NAME.key_secret (secret, mode 0600: the client's --curve-key, or circusd's
curve_secret_key).

options:
  -h, --help     show this help message and exit
  --role ROLE    what the key may do on circusd: admin (everything) or readonly
                 (list, status, stats, options, listen...); default: readonly
  --dir DIR      where to write the two files (default: the current folder)
`;

function main(): void {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        help: { type: "boolean", short: "h" },
        role: { type: "string", default: "readonly" },
        dir: { type: "string", default: "." },
      },
    });
  } catch (error) {
    fail(`${USAGE}circus-keygen: error: ${(error as Error).message}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return void process.stdout.write(USAGE);
  const [name, ...extra] = positionals;
  if (name === undefined || extra.length > 0) fail(`${USAGE}circus-keygen: error: give one NAME`);
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name) || name.startsWith("."))
    fail(`circus-keygen: ${JSON.stringify(name)}: a name is letters, digits, _ . - (at most 64)`);
  if (values.role !== "admin" && values.role !== "readonly")
    fail(`circus-keygen: --role: expected admin or readonly, got ${JSON.stringify(values.role)}`);
  mkdirSync(values.dir, { recursive: true });
  const base = path.join(values.dir, name);
  try {
    const pair = writeKeyFiles(base, { name, role: values.role });
    process.stdout.write(
      `${base}.key (public, role ${values.role}): ${pair.publicKey}\n${base}.key_secret (secret, mode 0600)\n`,
    );
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    fail(
      code === "EEXIST"
        ? `circus-keygen: ${base}.key or ${base}.key_secret exists already: not overwritten`
        : `circus-keygen: ${(error as Error).message}`,
      1,
    );
  }
}

main();
