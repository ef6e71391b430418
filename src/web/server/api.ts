/**
 * The JSON API of API.md under `/api/`: login and session, the daemons, and each daemon's
 * watchers, over one {@link Daemon} per circusd.
 */
import { timingSafeEqual } from "node:crypto";
import type http from "node:http";
import { discover, reachableEndpoint } from "../../client/discovery.js";
import { CallError } from "../../client/errors.js";
import { DEFAULT_MULTICAST_ENDPOINT, HTTPD_WATCHER } from "../../config/defaults.js";
import { InvalidValueError, parseMulticastEndpoint } from "../../config/values.js";
import type { CircusReply } from "../../control/protocol.js";
import type { CurveClient } from "../../security/client-options.js";
import { isZ85Key } from "../../security/z85.js";
import { addProperties } from "./add-watcher.js";
import { checkEndpoint, Daemon, type Origin } from "./daemon.js";
import { HttpError, readJson, sendJson } from "./http-util.js";
import { LoginLimiter, sessionCookie, Sessions, type Session } from "./sessions.js";
import { verifyPassword, type User } from "./users.js";

/** The commands a watcher's buttons send. */
const WATCHER_ACTIONS = new Set(["start", "stop", "restart", "reload", "incr", "decr", "kill"]);

/** A fixed hash to verify against for unknown users, so that both take the same time. */
const DUMMY_HASH =
  "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$" + Buffer.alloc(64).toString("base64");

/** The API's state: users (null: anonymous admin), sessions, daemons. */
export class Api {
  readonly sessions = new Sessions();
  private readonly limiter = new LoginLimiter();
  readonly daemons = new Map<string, Daemon>();
  private nextId = 0;
  /** The group `GET /api/discover` asks when the request names none. */
  multicastEndpoint = DEFAULT_MULTICAST_ENDPOINT;
  /** Told of every daemon added (the WebSocket hub listens to its events). */
  onDaemon: (daemon: Daemon) => void = () => undefined;

  /**
   * Without users, everyone is this admin (loopback only): one session with its CSRF token,
   * which a page of another origin cannot read.
   */
  private readonly anonymous: Session | null;

  /**
   * @param reach - with `--ssh`: opens a tunnel to a daemon's endpoint (as the ssh server
   * sees it) and resolves with the local one. Every daemon goes through it, daemon 0 and
   * those added at run time.
   */
  constructor(
    private readonly users: Map<string, User> | null,
    private readonly reach?: (endpoint: string) => Promise<string>,
    /** CURVE: the console's key pair (each daemon has its own server key). */
    private readonly curve?: CurveClient,
  ) {
    this.anonymous = users === null ? this.sessions.create("anonymous", "admin") : null;
  }

  /**
   * Adds a daemon and starts watching it; `via` is where its commands go (the local end of
   * an ssh tunnel to `endpoint`, with `--ssh`); the endpoints it names are reached the same
   * way.
   */
  addDaemon(
    endpoint: string,
    statsEndpoint: string | null,
    via = endpoint,
    serverKey?: string,
  ): Daemon {
    const curve = this.curve && serverKey ? { ...this.curve, serverKey } : undefined;
    const daemon = new Daemon(
      String(this.nextId++),
      endpoint,
      statsEndpoint,
      this.reach,
      via,
      curve,
    );
    this.daemons.set(daemon.id, daemon);
    this.onDaemon(daemon);
    daemon.start();
    return daemon;
  }

  /** A control endpoint given at run time, through the ssh server with `--ssh`. */
  private async tunnel(endpoint: string): Promise<string> {
    if (!this.reach) return endpoint;
    try {
      return await this.reach(endpoint);
    } catch (error) {
      throw new HttpError(502, `cannot reach ${endpoint} through ssh: ${(error as Error).message}`);
    }
  }

  close(): void {
    for (const daemon of this.daemons.values()) daemon.close();
  }

  /**
   * The request's session; with no users file, the anonymous admin's (one made on demand,
   * so that it has a CSRF token too).
   */
  session(request: http.IncomingMessage): Session | null {
    return this.sessions.get(request) ?? this.anonymous;
  }

  /** Answers a request under `/api/`. */
  async handle(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    path: string,
    query: URLSearchParams,
  ): Promise<void> {
    const method = request.method ?? "GET";
    try {
      if (path === "/api/login" && method === "POST") return await this.login(request, response);
      const session = this.session(request);
      if (path === "/api/session" && method === "GET") {
        if (!session) throw new HttpError(401, "not logged in");
        return sendJson(response, 200, {
          user: session.user,
          role: session.role,
          csrf: session.csrf,
        });
      }
      if (!session) throw new HttpError(401, "not logged in");
      if (method === "POST" && !sameToken(request.headers["x-csrf-token"], session.csrf))
        throw new HttpError(403, "missing or wrong CSRF token");
      if (path === "/api/logout" && method === "POST") {
        this.sessions.delete(session.id);
        return sendJson(response, 200, { ok: true }, { "Set-Cookie": sessionCookie(request, "") });
      }
      const [status, body] = await this.route(request, method, path, query, session);
      sendJson(response, status, body);
    } catch (error) {
      if (error instanceof HttpError)
        return sendJson(
          response,
          error.status,
          { error: error.message, ...error.extra },
          error.headers,
        );
      // A malformed %-escape in the path is the client's error.
      if (error instanceof URIError) return sendJson(response, 400, { error: "bad URL" });
      sendJson(response, 500, { error: (error as Error).message ?? String(error) });
    }
  }

  /**
   * `GET /api/discover?multicast=udp://GROUP:PORT&timeout=SECONDS`: the daemons that answer
   * on the group (this console's by default) within the timeout (1 s by default, 10 at
   * most), each with the endpoint to add it by and the id it has here when it is added.
   */
  private async discover(query: URLSearchParams): Promise<unknown[]> {
    const multicast = query.get("multicast") || this.multicastEndpoint;
    try {
      parseMulticastEndpoint(multicast);
    } catch (error) {
      if (!(error instanceof InvalidValueError)) throw error;
      throw new HttpError(400, `malformed multicast: ${error.message}`, {
        fields: {
          multicast: "expected udp://A.B.C.D:PORT, A.B.C.D from 224.0.0.0 to 239.255.255.255",
        },
      });
    }
    const text = query.get("timeout") ?? "1";
    const timeout = Number(text);
    if (text.trim() === "" || !(timeout > 0 && timeout <= 10))
      throw new HttpError(400, "malformed timeout: expected seconds, more than 0 and at most 10", {
        fields: { timeout: "expected seconds, more than 0 and at most 10" },
      });
    let found;
    try {
      found = await discover({ multicastEndpoint: multicast, timeoutMs: timeout * 1000 });
    } catch (error) {
      throw new HttpError(502, `cannot ask ${multicast}: ${(error as Error).message}`);
    }
    const known = new Map([...this.daemons.values()].map((d) => [d.endpoint, d.id]));
    return found.map((daemon) => {
      const endpoint = reachableEndpoint(daemon);
      return {
        endpoint: daemon.endpoint,
        from: daemon.from,
        reachable: endpoint,
        daemon: known.get(endpoint) ?? known.get(daemon.endpoint) ?? null,
      };
    });
  }

  private async login(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const body = await readJson(request);
    const user = typeof body.user === "string" ? body.user : "";
    const password = typeof body.password === "string" ? body.password : "";
    const address = request.socket.remoteAddress ?? "";
    const wait = this.limiter.retryAfter(user, address);
    if (wait > 0)
      throw new HttpError(
        429,
        "too many failed logins: try again later",
        {},
        { "Retry-After": String(wait) },
      );
    const known = this.users?.get(user);
    // Verified even for an unknown user: the answer's time does not tell which users exist.
    const ok = await verifyPassword(password, known?.hash ?? DUMMY_HASH);
    if (!known || !ok) {
      this.limiter.fail(user, address);
      throw new HttpError(401, "wrong user or password");
    }
    this.limiter.succeed(user, address);
    const session = this.sessions.create(known.name, known.role);
    sendJson(
      response,
      200,
      { user: session.user, role: session.role, csrf: session.csrf },
      {
        "Set-Cookie": sessionCookie(request, session.id),
      },
    );
  }

  private async route(
    request: http.IncomingMessage,
    method: string,
    path: string,
    query: URLSearchParams,
    session: Session,
  ): Promise<[number, unknown]> {
    if (path === "/api/discover") {
      if (method !== "GET") throw new HttpError(405, "method not allowed");
      return [200, await this.discover(query)];
    }
    if (path === "/api/daemons") {
      if (method === "GET") return [200, [...this.daemons.values()].map((d) => d.describe())];
      if (method === "POST") {
        if (session.role !== "admin")
          throw new HttpError(403, `read-only user ${session.user} cannot add a daemon`);
        const body = await readJson(request);
        const endpoint = checkEndpoint(body.endpoint);
        if (!endpoint)
          throw new HttpError(400, "malformed endpoint: expected tcp://HOST:PORT or ipc://PATH", {
            fields: { endpoint: "expected tcp://HOST:PORT or ipc://PATH" },
          });
        let stats: string | null = null;
        if (body.statsEndpoint !== undefined && body.statsEndpoint !== null) {
          stats = checkEndpoint(body.statsEndpoint);
          if (!stats)
            throw new HttpError(400, "malformed statsEndpoint", {
              fields: { statsEndpoint: "expected tcp://HOST:PORT or ipc://PATH" },
            });
        }
        let serverKey: string | undefined;
        if (body.serverKey !== undefined && body.serverKey !== null && body.serverKey !== "") {
          if (typeof body.serverKey !== "string" || !isZ85Key(body.serverKey))
            throw new HttpError(400, "malformed serverKey", {
              fields: { serverKey: "expected circusd's public key: 40 characters of Z85" },
            });
          if (!this.curve)
            throw new HttpError(400, "this console has no CURVE key (--curve-key)", {
              fields: { serverKey: "this console has no CURVE key of its own (--curve-key)" },
            });
          serverKey = body.serverKey;
        }
        const via = await this.tunnel(endpoint);
        return [201, this.addDaemon(endpoint, stats, via, serverKey).describe()];
      }
      throw new HttpError(405, "method not allowed");
    }
    const match = /^\/api\/daemons\/([^/]+)(\/.*)?$/.exec(path);
    if (!match) throw new HttpError(404, `not found: ${path}`);
    const id = decodeURIComponent(match[1] as string);
    const daemon = this.daemons.get(id);
    if (!daemon) throw new HttpError(404, `no daemon ${id}`);
    const rest = match[2] ?? "/";
    const parts = rest
      .split("/")
      .filter((x) => x !== "")
      .map(decodeURIComponent);
    if (method === "POST") {
      const command = parts[0] === "watchers" ? (parts.length === 1 ? "add" : parts[2]) : parts[0];
      if (session.role !== "admin")
        throw new HttpError(403, `read-only user ${session.user} cannot ${command ?? "post"}`);
      const body = await readJson(request);
      const origin: Origin = { user: session.user, via: "circushttpd" };
      if (parts[0] === "watchers" && parts.length === 1) {
        const reply = await this.call(daemon, "add", addProperties(body), origin);
        return [201, { ok: true, ...strip(reply) }];
      }
      if (
        parts[0] === "watchers" &&
        parts.length === 3 &&
        WATCHER_ACTIONS.has(parts[2] as string)
      ) {
        const name = parts[1] as string;
        const props: Record<string, unknown> = { name };
        if (parts[2] === "kill") {
          if (!Number.isInteger(body.pid))
            throw new HttpError(400, "invalid pid", { fields: { pid: "expected a process id" } });
          props.pid = body.pid;
        }
        const reply = await this.call(daemon, parts[2] as string, props, origin);
        return [200, { ok: true, ...strip(reply) }];
      }
      if (parts.length === 1 && (parts[0] === "reload" || parts[0] === "restart")) {
        const reply = await this.allButSelf(daemon, parts[0], origin);
        return [200, { ok: true, ...strip(reply) }];
      }
      throw new HttpError(404, `not found: ${path}`);
    }
    if (method !== "GET") throw new HttpError(405, "method not allowed");
    if (parts[0] === "options" && parts.length === 1)
      return [200, (await this.call(daemon, "globaloptions")).options];
    if (parts[0] === "events" && parts.length === 1) {
      const limit = Math.min(1000, Math.max(0, Number(query.get("limit") ?? "200") || 0));
      return [200, daemon.recent(limit)];
    }
    if (parts[0] === "watchers" && parts.length === 1) return [200, await this.watchers(daemon)];
    if (parts[0] === "watchers" && parts.length === 2)
      return [200, await this.watcher(daemon, parts[1] as string)];
    throw new HttpError(404, `not found: ${path}`);
  }

  /**
   * The arbiter's reload or restart, of every watcher but the one running this server, when
   * the daemon runs it (`httpd = true`): restarting itself would cut this very request and
   * end every session, which live in its memory. circusctl's reload and restart still take
   * every watcher, as Circus's.
   */
  private async allButSelf(
    daemon: Daemon,
    action: "reload" | "restart",
    origin: Origin,
  ): Promise<CircusReply> {
    // Two light calls (`stats` of every watcher would read /proc for each process).
    const names = ((await this.call(daemon, "list")).watchers ?? []) as string[];
    const ours = names.includes(HTTPD_WATCHER)
      ? ((await this.call(daemon, "list", { name: HTTPD_WATCHER })).pids as number[])
      : [];
    if (!ours.includes(process.pid)) return this.call(daemon, action, {}, origin);
    if (names.length === 1) return { id: null, status: "ok", time: Date.now() / 1000 };
    // A regex (Python's re.match, anchored at the start): any name but this one.
    const name = `(?!${HTTPD_WATCHER}$)`;
    return this.call(daemon, action, { name, match: "regex" }, origin);
  }

  /** Every watcher with its status and pids: two calls whatever their number. */
  private async watchers(daemon: Daemon): Promise<unknown[]> {
    const [status, stats] = await Promise.all([
      this.call(daemon, "status"),
      this.call(daemon, "stats"),
    ]);
    const statuses = (status.statuses ?? {}) as Record<string, string>;
    const infos = (stats.infos ?? {}) as Record<string, Record<string, unknown>>;
    return Object.keys(statuses)
      .sort()
      .map((name) => {
        const pids = Object.keys(infos[name] ?? {})
          .map(Number)
          .sort((a, b) => a - b);
        return { name, status: statuses[name], numprocesses: pids.length, pids };
      });
  }

  private async watcher(daemon: Daemon, name: string): Promise<unknown> {
    const [status, options, stats] = await Promise.all([
      this.call(daemon, "status", { name }, undefined, name),
      this.call(daemon, "options", { name }, undefined, name),
      this.call(daemon, "stats", { name }, undefined, name),
    ]);
    const info = (stats.info ?? {}) as Record<string, Record<string, unknown> | string>;
    const processes = Object.entries(info)
      .filter((entry): entry is [string, Record<string, unknown>] => typeof entry[1] === "object")
      .map(([pid, i]) => ({
        pid: Number(pid),
        wid: i.wid,
        age: i.age,
        cpu: i.cpu,
        mem: i.mem,
        mem_info1: i.mem_info1,
      }));
    return { name, status: status.status, options: options.options ?? {}, processes };
  }

  /**
   * A command's reply, as HTTP errors: 502 when the daemon does not answer, 404 for an
   * unknown watcher, 400 for another error reply.
   */
  private async call(
    daemon: Daemon,
    command: string,
    properties: Record<string, unknown> = {},
    origin?: Origin,
    watcher = typeof properties.name === "string" ? properties.name : undefined,
  ): Promise<CircusReply> {
    let reply: CircusReply;
    try {
      reply = await daemon.call(command, properties, origin);
    } catch (error) {
      if (error instanceof CallError)
        throw new HttpError(502, `daemon ${daemon.id} (${daemon.endpoint}) does not answer`);
      throw error;
    }
    if (reply.status === "error") {
      const reason = String(reply.reason ?? "error");
      if (
        watcher !== undefined &&
        command !== "add" &&
        /not found|program .* not found|no such watcher/i.test(reason)
      )
        throw new HttpError(404, `no watcher ${watcher}`);
      throw new HttpError(400, reason);
    }
    return reply;
  }
}

/** The request's CSRF header against the session's token, in constant time. */
function sameToken(given: string | string[] | undefined, token: string): boolean {
  if (typeof given !== "string") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A reply without the protocol's fields. */
function strip(reply: CircusReply): Record<string, unknown> {
  const { id: _id, status: _status, time: _time, ...rest } = reply;
  return rest;
}
