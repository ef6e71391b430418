/**
 * circusd's side of CURVE (`curve_secret_key` + `curve_clients`): its key pair, the accepted
 * client keys, the ZAP handler that enforces them on every server socket of the process, and
 * circus's own client key, which the programs circusd runs for itself (circusd-stats,
 * circushttpd, the plugins) use as admin. That key is derived from circusd's secret key, so
 * that those programs, given circusd's key file, derive it too: no other file to hand over.
 */
import { ownKeyPair, readSecretCert, type KeyPair } from "./certs.js";
import { ClientKeys, type ClientKey } from "./client-keys.js";
import { curveServerOptions, ZapHandler } from "./zap.js";

/** The name circus's own key has in the audit lines. */
export const OWN_KEY_NAME = "circus";

/** A process's CURVE server: what its server sockets need. */
export class CurveServer {
  private zap: ZapHandler | null = null;
  readonly pair: KeyPair;
  readonly keys: ClientKeys;
  /** circus's own client key: accepted as admin besides the folder's keys. */
  readonly own: KeyPair;

  /**
   * Reads circusd's key pair and the clients' folder.
   *
   * @throws CertError naming the file that cannot be read.
   */
  constructor(secretKeyFile: string, clientsDir: string) {
    this.pair = readSecretCert(secretKeyFile);
    this.own = ownKeyPair(this.pair);
    const ownKey: ClientKey = {
      name: OWN_KEY_NAME,
      role: "admin",
      publicKey: this.own.publicKey,
    };
    this.keys = new ClientKeys(clientsDir, this.pair, [ownKey]);
  }

  /** Starts the ZAP handler: before a server socket binds. */
  async start(): Promise<void> {
    if (this.zap) return;
    this.zap = new ZapHandler(this.keys);
    await this.zap.start();
  }

  /** The options of a server socket (control, pub/sub, stats). */
  socketOptions(): ReturnType<typeof curveServerOptions> {
    return curveServerOptions(this.pair);
  }

  close(): void {
    this.zap?.close();
    this.zap = null;
  }
}
