/**
 * circushttpd's HTTP server: the page, the JSON API and the WebSocket on one node:http
 * server, bound to host:port or served on a socket circusd bound (`--fd`).
 */
import http from "node:http";
import type { CurveClient } from "../../security/client-options.js";
import type { AddressInfo } from "node:net";
import { logger } from "../../log/logger.js";
import { isLoopbackHost } from "../../sys/sockets.js";
import { Api } from "./api.js";
import { sendBytes, sendJson } from "./http-util.js";
import { defaultWebRoot, StaticFiles } from "./static.js";
import type { User } from "./users.js";
import { WsHub } from "./ws-hub.js";

/** Options of a {@link WebServer}. */
export interface WebServerOptions {
  /** circusd's control endpoint: daemon "0". */
  endpoint: string;
  /** Its circusd-stats endpoint; by default the one its globaloptions give. */
  statsEndpoint?: string | null;
  /** The users; null: anonymous admin (loopback only). */
  users: Map<string, User> | null;
  /**
   * With `--ssh`: opens a tunnel to one of a daemon's endpoints (as seen from the ssh
   * server) and resolves with the local endpoint. Daemons added at run time are tunnelled
   * too.
   */
  reach?: (endpoint: string) => Promise<string>;
  /** Where daemon 0's commands go, when not to `endpoint`: its ssh tunnel's local end. */
  via?: string;
  /** CURVE: the console's client keys and daemon 0's public key. */
  curve?: CurveClient;
  /** The folder of the built page; dist/web/ of the package by default. */
  webRoot?: string;
}

/** The line API.md prints when a non-loopback host is served without users. */
export function refusalLine(host: string): string {
  return (
    `circushttpd: refusing to serve ${host} without authentication: give --users FILE ` +
    `(lines NAME:ROLE:HASH; circushttpd hash-password prints a HASH)`
  );
}

/** True for localhost and loopback addresses (127/8, ::1). */
export const isLoopback = isLoopbackHost;

/** The server of circushttpd. */
export class WebServer {
  readonly api: Api;
  private readonly hub: WsHub;
  private readonly files: StaticFiles;
  private readonly server: http.Server;

  constructor(options: WebServerOptions) {
    this.api = new Api(options.users, options.reach, options.curve);
    this.hub = new WsHub(this.api, options.users !== null);
    this.api.onDaemon = (daemon) => this.hub.watch(daemon);
    this.files = new StaticFiles(options.webRoot ?? defaultWebRoot());
    // Slow clients are cut off rather than kept: a request's head and body are small.
    this.server = http.createServer(
      { requestTimeout: 30_000, headersTimeout: 10_000, maxHeaderSize: 16 * 1024 },
      (req, res) => this.handle(req, res),
    );
    this.server.on("upgrade", (req, socket, head) => {
      if ((req.url ?? "").split("?")[0] === "/ws") this.hub.upgrade(req, socket, head);
      else socket.destroy();
    });
    this.api.addDaemon(
      options.endpoint,
      options.statsEndpoint ?? null,
      options.via,
      options.curve?.serverKey,
    );
  }

  /**
   * Listens on host:port (0: a free port), or on an inherited listening socket.
   *
   * @throws the listen error (EADDRINUSE, EBADF...).
   */
  async listen(
    where: { host: string; port: number } | { fd: number },
  ): Promise<AddressInfo | null> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      const done = () => {
        this.server.off("error", reject);
        resolve();
      };
      if ("fd" in where) this.server.listen({ fd: where.fd }, done);
      else this.server.listen({ host: where.host, port: where.port, exclusive: true }, done);
    });
    this.server.on("error", (error) => logger.warning(`circushttpd: ${error.message}`));
    const address = this.server.address();
    return typeof address === "object" ? address : null;
  }

  async close(): Promise<void> {
    this.hub.close();
    this.api.close();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    let url: URL;
    try {
      url = new URL(request.url ?? "/", "http://localhost");
    } catch {
      sendJson(response, 400, { error: "bad URL" });
      return;
    }
    const path = url.pathname;
    const done = (error: unknown) => {
      logger.error(
        `circushttpd: ${request.method} ${path}: ${(error as Error)?.stack ?? String(error)}`,
      );
      if (!response.headersSent) sendJson(response, 500, { error: "internal error" });
      else response.destroy();
    };
    if (path.startsWith("/api/")) {
      this.api.handle(request, response, path, url.searchParams).catch(done);
      return;
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      sendJson(response, 405, { error: "method not allowed" }, { Allow: "GET, HEAD" });
      return;
    }
    if (path === "/healthz") {
      const daemons = [...this.api.daemons.values()].map((d) => ({ id: d.id, state: d.state }));
      sendJson(response, 200, { ok: true, daemons });
      return;
    }
    this.files.serve(request, response, path).then((served) => {
      if (!served) sendBytes(response, 404, "text/plain; charset=utf-8", "not found\n");
    }, done);
  }
}
