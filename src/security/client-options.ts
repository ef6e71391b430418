/**
 * A client's CURVE keys, from the options every client program takes (circusctl, circus-top,
 * circushttpd, circus-plugin, circusd-stats) and their environment variables:
 *
 * - `--curve-key FILE` (`CIRCUS_CURVE_KEY`): the client's secret certificate;
 * - `--curve-server-key FILE|KEY` (`CIRCUS_CURVE_SERVER_KEY`): circusd's public certificate,
 *   or its public key in Z85;
 * - `--curve-circus-key FILE`: circusd's own secret certificate, given by circusd to the
 *   programs it runs for itself, which derive circus's own (admin) client key from it.
 */
import { existsSync } from "node:fs";
import { CertError, ownKeyPair, readCert, readSecretCert } from "./certs.js";
import { isZ85Key } from "./z85.js";

/** What a client socket needs for CURVE, each key in Z85. */
export interface CurveClient {
  publicKey: string;
  secretKey: string;
  serverKey: string;
}

/** The options of {@link curveClientFrom}. */
export interface CurveClientOptions {
  key?: string | undefined;
  serverKey?: string | undefined;
  circusKey?: string | undefined;
}

/**
 * The client's keys, or null without CURVE.
 *
 * @throws CertError for a key file that cannot be read, or a client key without circusd's.
 */
export function curveClientFrom(
  options: CurveClientOptions,
  env: NodeJS.ProcessEnv = process.env,
): CurveClient | null {
  if (options.circusKey) {
    const server = readSecretCert(options.circusKey);
    return { ...ownKeyPair(server), serverKey: server.publicKey };
  }
  const key = options.key ?? (env.CIRCUS_CURVE_KEY || undefined);
  const serverKey = options.serverKey ?? (env.CIRCUS_CURVE_SERVER_KEY || undefined);
  if (key === undefined && serverKey === undefined) return null;
  if (key === undefined)
    throw new CertError("--curve-server-key", "needs --curve-key (this client's secret key)");
  if (serverKey === undefined)
    throw new CertError(key, "--curve-key needs --curve-server-key (circusd's public key)");
  return { ...readSecretCert(key), serverKey: publicKeyOf(serverKey) };
}

/** circusd's public key: given in Z85, or read from its certificate file. */
function publicKeyOf(given: string): string {
  if (isZ85Key(given) && !existsSync(given)) return given;
  return readCert(given).publicKey;
}
