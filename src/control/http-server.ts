/**
 * circusd's small HTTP endpoints (the Prometheus metrics, the health probes): one server
 * shape for both. A few fixed paths answered with GET or HEAD; any other path is 404, any
 * other method 405; requests slow to arrive are cut off; closing drops kept-alive
 * connections. A listen that fails is a ConfigError naming the `[circus]` option at fault.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ConfigError, sourceLocation } from "../config/errors.js";
import type { ConfigSource } from "../config/types.js";
import { logger } from "../log/logger.js";

/** Answers one request to its path (GET or HEAD: `head` says which). */
export type Route = (request: http.IncomingMessage, response: http.ServerResponse) => void;

/** The listen errors that are the host's fault rather than the port's. */
const HOST_ERRORS = new Set(["EADDRNOTAVAIL", "ENOTFOUND", "EAI_AGAIN", "EAFNOSUPPORT"]);

/** Where an endpoint listens, and the `[circus]` options that said so (for the errors). */
export interface ListenOptions {
  host: string;
  port: number;
  source: ConfigSource | null;
  hostOption: string;
  portOption: string;
}

/** A small HTTP server of fixed routes. */
export class SmallHttpServer {
  private readonly server: http.Server;

  /**
   * @param name what it serves, for its log lines ("metrics", "health")
   * @param routes the answer of each path
   */
  constructor(
    private readonly name: string,
    private readonly routes: Readonly<Record<string, Route>>,
  ) {
    // A probe's or a scrape's request is one line and a few headers: a client that takes
    // longer to send them is cut off rather than kept (an idle kept-alive connection goes
    // after Node's 5 s).
    this.server = http.createServer(
      { requestTimeout: 10_000, headersTimeout: 10_000 },
      (request, response) => this.handle(request, response),
    );
  }

  /**
   * Listens on host:port (0 takes a free port) and resolves with the address bound.
   *
   * @throws ConfigError naming the host or port option when it cannot listen.
   */
  async listen(options: ListenOptions): Promise<AddressInfo> {
    const { host, port } = options;
    try {
      await new Promise<void>((resolve, reject) => {
        this.server.once("error", reject);
        this.server.listen({ host, port, exclusive: true }, () => {
          this.server.off("error", reject);
          resolve();
        });
      });
    } catch (error) {
      const err = error as NodeJS.ErrnoException;
      const option = HOST_ERRORS.has(err.code ?? "") ? options.hostOption : options.portOption;
      throw new ConfigError(
        `cannot listen on ${host}:${port}: ${err.message}`,
        sourceLocation(options.source, "circus", option),
        { cause: error },
      );
    }
    this.server.on("error", (error) => logger.warning(`${this.name} server: ${error.message}`));
    return this.server.address() as AddressInfo;
  }

  /** Stops listening and drops the connections kept alive by clients. */
  async close(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    const route = Object.hasOwn(this.routes, path) ? this.routes[path] : undefined;
    if (route === undefined) {
      const paths = Object.keys(this.routes).join(", ");
      replyText(response, 404, `not found: ${this.name} answers on ${paths}\n`);
      return;
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      replyText(response, 405, "method not allowed: GET or HEAD\n", { Allow: "GET, HEAD" });
      return;
    }
    route(request, response);
  }
}

/** `http://HOST:PORT` of a bound address (IPv6 in brackets). */
export function baseUrl(bound: AddressInfo): string {
  const shown = bound.family === "IPv6" ? `[${bound.address}]` : bound.address;
  return `http://${shown}:${bound.port}`;
}

/** A short answer (no body for HEAD). */
export function replyText(
  response: http.ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
  contentType = "text/plain; charset=utf-8",
): void {
  response.writeHead(status, {
    "Content-Type": contentType,
    "Content-Length": Buffer.byteLength(text),
    ...headers,
  });
  response.end(response.req.method === "HEAD" ? undefined : text);
}
