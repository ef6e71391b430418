/**
 * The ZAP handler (ZeroMQ RFC 27) of a process's CURVE server sockets: libzmq asks it, at
 * each handshake, whether a client's public key may connect. Only the keys of
 * {@link ClientKeys} may; every other gets no service at all (the handshake fails, the client
 * is told "authentication failure").
 */
import { Reply } from "zeromq";
import { logger } from "../log/logger.js";
import type { KeyPair } from "./certs.js";
import type { ClientKeys } from "./client-keys.js";
import { z85Encode } from "./z85.js";

/** libzmq's fixed address of the ZAP handler, one per process (per ZeroMQ context). */
const ZAP_ENDPOINT = "inproc://zeromq.zap.01";
/** The domain circus's server sockets give ZAP. */
export const ZAP_DOMAIN = "circus";
/** A refused key is logged at most this often (a client retrying floods nothing). */
const LOG_EVERY_MS = 60_000;

/** The options of a CURVE server socket with this key pair, checked by the ZAP handler. */
export function curveServerOptions(pair: KeyPair): {
  curveServer: true;
  curveSecretKey: string;
  zapDomain: string;
} {
  return { curveServer: true, curveSecretKey: pair.secretKey, zapDomain: ZAP_DOMAIN };
}

/** Answers libzmq's ZAP requests from the accepted client keys. */
export class ZapHandler {
  private readonly socket = new Reply({ linger: 0 });
  private readonly logged = new Map<string, number>();
  private closed = false;

  constructor(private readonly keys: ClientKeys) {}

  /** Binds the handler's endpoint: before any server socket binds. */
  async start(): Promise<void> {
    await this.socket.bind(ZAP_ENDPOINT);
    void this.serve();
  }

  close(): void {
    this.closed = true;
    this.socket.close();
  }

  private async serve(): Promise<void> {
    try {
      for await (const frames of this.socket) await this.socket.send(this.answer(frames));
    } catch (error) {
      if (!this.closed) logger.error(`ZAP handler failed: ${(error as Error).message}`);
    }
  }

  /** The reply frames: version, request id, status code and text, user id, metadata. */
  private answer(frames: Buffer[]): (Buffer | string)[] {
    const [version, requestId, , address, , mechanism, credentials] = frames;
    const reply = (code: string, text: string, user = "") => [
      version ?? "1.0",
      requestId ?? "",
      code,
      text,
      user,
      "",
    ];
    if (version?.toString() !== "1.0") return reply("500", "unsupported ZAP version");
    if (mechanism?.toString() !== "CURVE" || credentials?.length !== 32)
      return reply("400", "CURVE only");
    this.keys.refresh();
    const key = this.keys.byPublicKey(credentials);
    if (key) return reply("200", "OK", key.name);
    this.logRefusal(z85Encode(credentials), address?.toString() ?? "?");
    return reply("400", "unknown client key");
  }

  private logRefusal(key: string, address: string): void {
    const now = Date.now();
    const id = `${key}@${address}`;
    if (now - (this.logged.get(id) ?? 0) < LOG_EVERY_MS) return;
    if (this.logged.size > 1000) this.logged.clear();
    this.logged.set(id, now);
    logger.warning(`curve: refused the unknown client key ${key} from ${address}`);
  }
}
