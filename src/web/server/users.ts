/**
 * The users file (`NAME:ROLE:HASH` lines) and the password hashes of `hash-password`:
 * `scrypt$N$r$p$SALT_B64$HASH_B64`, checked in constant time.
 */
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";

/** What a user may do: everything, or read. */
export type Role = "admin" | "readonly";

/** One line of the users file. */
export interface User {
  name: string;
  role: Role;
  hash: string;
}

const N = 16384;
const R = 8;
const P = 1;
const KEY_BYTES = 64;
const SALT_BYTES = 16;

/** A bad users file; the message is `FILE:LINE: ...`. */
export class UsersFileError extends Error {
  override name = "UsersFileError";
}

function derive(password: string, salt: Buffer, n: number, r: number, p: number, length: number) {
  return new Promise<Buffer>((resolve, reject) =>
    // maxmem: 128*N*r bytes is needed; the default (32 MiB) is too tight for a raised N.
    scrypt(
      password,
      salt,
      length,
      { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 },
      (error, key) => (error ? reject(error) : resolve(key)),
    ),
  );
}

/** The hash line of a password, with a fresh salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, N, R, P, KEY_BYTES);
  return `scrypt$${N}$${R}$${P}$${salt.toString("base64")}$${key.toString("base64")}`;
}

interface Parsed {
  n: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

/** The parts of a hash line, or null when it is not one. */
function parseHash(hash: string): Parsed | null {
  const parts = hash.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return null;
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const ok = (x: number, max: number) => Number.isInteger(x) && x > 0 && x <= max;
  // N a power of two; bounds keep a crafted file from costing gigabytes per login.
  if (!ok(n, 1 << 20) || (n & (n - 1)) !== 0 || !ok(r, 32) || !ok(p, 16)) return null;
  const salt = Buffer.from(parts[4] as string, "base64");
  const key = Buffer.from(parts[5] as string, "base64");
  if (salt.length < 8 || key.length < 16) return null;
  return { n, r, p, salt, key };
}

/** True when the password matches the hash line. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const parsed = parseHash(hash);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed.n, parsed.r, parsed.p, parsed.key.length);
  return timingSafeEqual(key, parsed.key);
}

/**
 * Reads a users file.
 *
 * @throws UsersFileError `FILE:LINE: ...` for a bad line, `FILE: ...` when unreadable.
 */
export function loadUsers(file: string): Map<string, User> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UsersFileError(`${file}: ${(error as Error).message}`);
  }
  const users = new Map<string, User>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const where = `${file}:${index + 1}`;
    const first = line.indexOf(":");
    const second = line.indexOf(":", first + 1);
    if (first <= 0 || second < 0) throw new UsersFileError(`${where}: expected NAME:ROLE:HASH`);
    const name = line.slice(0, first);
    const role = line.slice(first + 1, second);
    const hash = line.slice(second + 1);
    if (!/^[A-Za-z0-9_.@-]{1,64}$/.test(name))
      throw new UsersFileError(`${where}: bad user name ${JSON.stringify(name)}`);
    if (role !== "admin" && role !== "readonly")
      throw new UsersFileError(
        `${where}: role must be admin or readonly, not ${JSON.stringify(role)}`,
      );
    if (!parseHash(hash))
      throw new UsersFileError(`${where}: bad hash (circushttpd hash-password prints one)`);
    if (users.has(name)) throw new UsersFileError(`${where}: user ${name} is given twice`);
    users.set(name, { name, role, hash });
  });
  return users;
}
