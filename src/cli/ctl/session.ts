/**
 * What one circusctl run shares between its commands: the global options, the output
 * streams, and the connections (opened on first use, through an ssh tunnel with --ssh, and
 * closed once at the end).
 */
import { Client, DEFAULT_ENDPOINT } from "../../client/client.js";
import { openSshTunnel, type SshTunnel } from "../../client/ssh.js";
import { Subscriber } from "../../client/subscriber.js";
import { curveClientFrom, type CurveClient } from "../../security/client-options.js";
import type { GlobalOptions } from "./args.js";

/** Where circusctl writes. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

/** The process's stdout and stderr. */
export const STDIO: Output = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

export class Session {
  /** True in the shell, where --endpoint names the control socket only (see listen). */
  interactive = false;
  private clientPromise: Promise<Client> | null = null;
  private readonly tunnels: SshTunnel[] = [];

  constructor(
    readonly globals: GlobalOptions,
    readonly io: Output = STDIO,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** The control endpoint: --endpoint, else $CIRCUSCTL_ENDPOINT, else the default. */
  get endpoint(): string {
    return this.globals.endpoint ?? (this.env.CIRCUSCTL_ENDPOINT || DEFAULT_ENDPOINT);
  }

  /**
   * CURVE's keys, from --curve-key and --curve-server-key or $CIRCUS_CURVE_KEY and
   * $CIRCUS_CURVE_SERVER_KEY; none without them.
   *
   * @throws CertError for a key file that cannot be read.
   */
  curve(): { curve?: CurveClient } {
    const curve = curveClientFrom(
      {
        key: this.globals.curveKey ?? undefined,
        serverKey: this.globals.curveServerKey ?? undefined,
      },
      this.env,
    );
    return curve ? { curve } : {};
  }

  /** The client of the control endpoint, created on first use and kept for the session. */
  client(): Promise<Client> {
    if (this.clientPromise) return this.clientPromise;
    const created = this.reach(this.endpoint).then(
      (endpoint) =>
        new Client({
          endpoint,
          timeout: this.globals.timeout,
          pythonFloats: true,
          ...this.curve(),
        }),
    );
    this.clientPromise = created;
    // A failed ssh tunnel is retried by the shell's next command, not cached.
    created.catch(() => {
      if (this.clientPromise === created) this.clientPromise = null;
    });
    return created;
  }

  /** The endpoint to connect to for `endpoint`: itself, or the local end of an ssh tunnel. */
  async reach(endpoint: string): Promise<string> {
    if (!this.globals.ssh) return endpoint;
    const tunnel = await openSshTunnel({
      server: this.globals.ssh,
      endpoint,
      keyfile: this.globals.sshKeyfile,
    });
    this.tunnels.push(tunnel);
    return tunnel.endpoint;
  }

  /**
   * Runs `body` with a subscriber of `topics` on the pub/sub `endpoint` (reached as
   * {@link reach} does). Aborting closes the subscriber, which ends its iteration; it is
   * closed in any case when `body` ends.
   */
  async subscribed(
    endpoint: string,
    topics: string[],
    abort: AbortSignal,
    body: (subscriber: Subscriber) => Promise<void>,
  ): Promise<void> {
    const subscriber = new Subscriber({
      endpoint: await this.reach(endpoint),
      topics,
      ...this.curve(),
    });
    const stop = (): void => subscriber.close();
    if (abort.aborted) stop();
    abort.addEventListener("abort", stop, { once: true });
    try {
      await body(subscriber);
    } finally {
      abort.removeEventListener("abort", stop);
      subscriber.close();
    }
  }

  /** Closes the client and ends the ssh processes. */
  async close(): Promise<void> {
    const pending = this.clientPromise;
    this.clientPromise = null;
    if (pending) await pending.then((c) => c.close()).catch(() => undefined);
    for (const tunnel of this.tunnels.splice(0)) tunnel.close();
  }
}
