/**
 * The client keys circusd accepts (`[circus] curve_clients`: a folder of public
 * certificates, one per client), with each one's name and role, and the token by which a
 * request proves which of them sent it.
 *
 * Why a token: ZeroMQ authenticates the connection (ZAP) but zeromq.js does not tell which
 * key a message came on. Both ends of a CURVE pair can compute the same X25519 secret (the
 * client from its secret key and the server's public key, circusd from its secret key and
 * the client's public key), so a client proves its key by sending an HMAC of that secret in
 * each request, inside the encrypted channel; another client, even an authorized one,
 * cannot compute it.
 */
import { createHmac } from "node:crypto";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { logger } from "../log/logger.js";
import { CertError, readCert, sharedSecret, type KeyPair, type KeyRole } from "./certs.js";
import { z85Decode } from "./z85.js";

/** How often a request may make the folder be looked at again, in ms. */
const REFRESH_MS = 1000;

/** A client key circusd accepts. */
export interface ClientKey {
  name: string;
  role: KeyRole;
  publicKey: string;
}

/** The token a request carries to prove the key it comes from (see the file's comment). */
export function keyToken(secretKey: string, peerPublicKey: string): string {
  return createHmac("sha256", sharedSecret(secretKey, peerPublicKey))
    .update("circus key token 1")
    .digest("base64url");
}

/** The certificates of a folder, read; a bad one throws (at startup) or is skipped (later). */
function readFolder(dir: string, strict: boolean): ClientKey[] {
  const keys: ClientKey[] = [];
  for (const entry of readdirSync(dir).sort()) {
    if (!entry.endsWith(".key")) continue;
    const file = path.join(dir, entry);
    try {
      const cert = readCert(file);
      const role = cert.metadata.role ?? "readonly";
      if (role !== "admin" && role !== "readonly")
        throw new CertError(file, `role "${role}": expected admin or readonly`);
      keys.push({
        name: cert.metadata.name || entry.slice(0, -".key".length),
        role,
        publicKey: cert.publicKey,
      });
    } catch (error) {
      if (strict) throw error;
      logger.warning(`curve_clients: skipping ${(error as Error).message}`);
    }
  }
  return keys;
}

/** A stamp of a folder's files: changes when one is added, removed or rewritten. */
function stampOf(dir: string): string {
  const parts = [String(statSync(dir).mtimeMs)];
  for (const entry of readdirSync(dir).sort())
    if (entry.endsWith(".key")) {
      const s = statSync(path.join(dir, entry), { throwIfNoEntry: false });
      parts.push(`${entry}:${s?.mtimeMs ?? 0}:${s?.size ?? 0}`);
    }
  return parts.join("|");
}

/** The accepted client keys, by public key and by token. */
export class ClientKeys {
  private byKey = new Map<string, ClientKey>();
  private byTokenMap = new Map<string, ClientKey>();
  private stamp = "";
  private checked = Date.now();

  /**
   * Reads `dir` at once: a bad certificate throws a CertError naming it.
   *
   * @param server - circusd's own key pair (its secret key derives the tokens).
   * @param internal - keys accepted besides the folder's (circus's own, for its programs).
   */
  constructor(
    readonly dir: string,
    private readonly server: KeyPair,
    private readonly internal: ClientKey[] = [],
  ) {
    this.apply(readFolder(dir, true));
    this.stamp = stampOf(dir);
  }

  /**
   * Reads the folder again if a file changed (a bad certificate is then skipped, with a
   * warning); returns true when it did.
   */
  refresh(): boolean {
    let stamp: string;
    try {
      stamp = stampOf(this.dir);
    } catch (error) {
      logger.warning(`curve_clients: ${(error as Error).message}; keeping the keys read before`);
      return false;
    }
    if (stamp === this.stamp) return false;
    this.stamp = stamp;
    this.apply(readFolder(this.dir, false));
    logger.info(`curve_clients: ${this.size} client keys from ${this.dir}`);
    return true;
  }

  /** The client of a raw 32-byte public key (what ZAP gives), if accepted. */
  byPublicKey(raw: Buffer): ClientKey | undefined {
    return this.byKey.get(raw.toString("hex"));
  }

  /**
   * The client whose token this is, if accepted. The folder is looked at again at most once
   * a second: a key removed from it stops working for the requests of clients still
   * connected, a key added works at once (ZAP refreshes at each handshake).
   */
  byToken(token: string): ClientKey | undefined {
    const now = Date.now();
    if (now - this.checked >= REFRESH_MS) {
      this.checked = now;
      this.refresh();
    }
    return this.byTokenMap.get(token);
  }

  /** How many keys the folder gives (circus's own, internal ones not counted). */
  get size(): number {
    return this.byKey.size - this.internal.length;
  }

  private apply(keys: ClientKey[]): void {
    const byKey = new Map<string, ClientKey>();
    const byToken = new Map<string, ClientKey>();
    for (const key of [...this.internal, ...keys]) {
      byKey.set((z85Decode(key.publicKey) as Buffer).toString("hex"), key);
      byToken.set(keyToken(this.server.secretKey, key.publicKey), key);
    }
    this.byKey = byKey;
    this.byTokenMap = byToken;
  }
}
