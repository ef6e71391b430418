/**
 * CURVE key files, in CZMQ's certificate format (ZPL), so that keys made by `zcert` or by
 * `circus-keygen` are interchangeable: NAME.key holds the public key and the metadata
 * (ours: `role`), NAME.key_secret the secret key as well and never leaves its owner.
 *
 * ```
 * metadata
 *     name = "alice"
 *     role = "readonly"
 * curve
 *     public-key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
 *     secret-key = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
 * ```
 */
import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  randomBytes,
} from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { isZ85Key, z85Decode, z85Encode } from "./z85.js";

/** What a client key may do on circusd's control endpoint. */
export type KeyRole = "admin" | "readonly";

/** A key pair, each key in Z85. */
export interface KeyPair {
  publicKey: string;
  secretKey: string;
}

/** A certificate: a public key, its secret when the file holds it, and its metadata. */
export interface Cert {
  publicKey: string;
  secretKey: string | null;
  metadata: Record<string, string>;
}

/** A key file that cannot be read or is not a certificate; the message names the file. */
export class CertError extends Error {
  override name = "CertError";
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

/** Reads a certificate file (public or secret). */
export function readCert(file: string): Cert {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new CertError(file, (error as Error).message);
  }
  return parseCert(text, file);
}

/** Reads a secret certificate's key pair; a public-only file is a CertError. */
export function readSecretCert(file: string): KeyPair {
  const cert = readCert(file);
  if (cert.secretKey === null)
    throw new CertError(file, "no curve secret-key (give NAME.key_secret, not NAME.key)");
  return { publicKey: cert.publicKey, secretKey: cert.secretKey };
}

/** Parses the ZPL text of a certificate; `file` names it in errors. */
export function parseCert(text: string, file: string): Cert {
  const sections: Record<string, Record<string, string>> = {};
  let section: Record<string, string> | null = null;
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.replace(/\s+$/, "");
    if (line.trim() === "" || line.trim().startsWith("#")) continue;
    if (!/^\s/.test(line)) {
      section = sections[line.trim()] ??= {};
      continue;
    }
    const match = /^\s+([A-Za-z0-9_./-]+)\s*=\s*(?:"([^"]*)"|(\S*))\s*$/.exec(line);
    if (!match || !section) throw new CertError(file, `line ${i + 1}: not a certificate line`);
    section[match[1] as string] = match[2] ?? match[3] ?? "";
  }
  const curve = sections.curve ?? {};
  const publicKey = curve["public-key"];
  if (publicKey === undefined) throw new CertError(file, "no curve public-key");
  if (!isZ85Key(publicKey)) throw new CertError(file, "the public-key is not a Z85 key");
  const secretKey = curve["secret-key"] ?? null;
  if (secretKey !== null && !isZ85Key(secretKey))
    throw new CertError(file, "the secret-key is not a Z85 key");
  if (secretKey !== null && derivePublic(secretKey) !== publicKey)
    throw new CertError(file, "the public-key is not the secret-key's");
  return { publicKey, secretKey, metadata: sections.metadata ?? {} };
}

/** The certificate's text: with the secret key, or the public part only. */
export function formatCert(cert: Cert, withSecret: boolean): string {
  const kind = withSecret ? "**Secret**" : "Public";
  const lines = [
    `#   ****  Generated on ${new Date().toISOString()} by circus-keygen  ****`,
    `#   ZeroMQ CURVE ${kind} Certificate`,
    withSecret
      ? "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions."
      : "#   Exchange securely, or use a secure mechanism to verify the contents",
    "#   of this file after exchange. Store public certificates in your home",
    "#   directory, in the .curve subdirectory.",
    "",
    "metadata",
    ...Object.entries(cert.metadata).map(([k, v]) => `    ${k} = "${v}"`),
    "curve",
    `    public-key = "${cert.publicKey}"`,
  ];
  if (withSecret && cert.secretKey) lines.push(`    secret-key = "${cert.secretKey}"`);
  return lines.join("\n") + "\n";
}

/** A new key pair (Curve25519, as libzmq's). */
export function newKeyPair(): KeyPair {
  const secret = randomBytes(32);
  const secretKey = z85Encode(secret);
  return { publicKey: derivePublic(secretKey), secretKey };
}

/**
 * Writes BASE.key (public, mode 0644) and BASE.key_secret (mode 0600) for a new key pair
 * with this metadata; returns the pair.
 */
export function writeKeyFiles(base: string, metadata: Record<string, string>): KeyPair {
  for (const file of [`${base}.key_secret`, `${base}.key`])
    if (existsSync(file))
      throw Object.assign(new Error(`${file} exists already`), { code: "EEXIST" });
  const pair = newKeyPair();
  const cert: Cert = { ...pair, metadata };
  writeFileSync(`${base}.key_secret`, formatCert(cert, true), { mode: 0o600, flag: "wx" });
  writeFileSync(`${base}.key`, formatCert(cert, false), { mode: 0o644, flag: "wx" });
  return pair;
}

function b64url(raw: Buffer): string {
  return raw.toString("base64url");
}

/** The X25519 private key object of a Z85 secret key. */
function privateKeyOf(secretKey: string) {
  const d = z85Decode(secretKey) as Buffer;
  // A JWK private key wants its public half too: derive it from a PKCS#8 import first.
  const pkcs8 = Buffer.concat([Buffer.from("302e020100300506032b656e04220420", "hex"), d]);
  return createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
}

/**
 * circus's own client key pair, derived from circusd's: the programs circusd runs for itself,
 * given circusd's key file, derive it too (src/security/server.ts).
 */
export function ownKeyPair(server: KeyPair): KeyPair {
  const secret = createHmac("sha256", z85Decode(server.secretKey) as Buffer)
    .update("circus own client key 1")
    .digest();
  const secretKey = z85Encode(secret);
  return { publicKey: derivePublic(secretKey), secretKey };
}

/** The public key (Z85) of a secret key (Z85). */
export function derivePublic(secretKey: string): string {
  const jwk = createPublicKey(privateKeyOf(secretKey)).export({ format: "jwk" });
  return z85Encode(Buffer.from(jwk.x as string, "base64url"));
}

/**
 * The secret both ends of a CURVE pair can compute: X25519 of one's secret key with the
 * other's public key (the client's secret with the server's public key gives what the
 * server's secret with the client's public key gives).
 */
export function sharedSecret(secretKey: string, peerPublicKey: string): Buffer {
  const x = b64url(z85Decode(peerPublicKey) as Buffer);
  return diffieHellman({
    privateKey: privateKeyOf(secretKey),
    publicKey: createPublicKey({ key: { kty: "OKP", crv: "X25519", x }, format: "jwk" }),
  });
}
