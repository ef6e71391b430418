/**
 * The HTTP API of src/web/API.md: JSON in and out, every POST with the session's CSRF token,
 * and errors as {@link ApiError} carrying the server's message and per-field errors.
 */

/** Who is logged in, from `GET /api/session` or `POST /api/login`. */
export interface Session {
  user: string;
  role: "admin" | "readonly";
  csrf: string;
}

/** A daemon the server talks to. */
export interface Daemon {
  id: string;
  endpoint: string;
  statsEndpoint?: string | null;
  state: "up" | "down";
  error?: string;
}

/** A watcher as `GET /watchers` lists it. */
export interface WatcherSummary {
  name: string;
  status: string;
  numprocesses: number;
  pids: number[];
}

/** A process of `GET /watchers/:name`. */
export interface ProcessInfo {
  pid: number;
  wid?: number;
  age?: number | string;
  cpu?: number | string;
  mem?: number | string;
  mem_info1?: number | string;
}

/** `GET /watchers/:name`. */
export interface WatcherDetail {
  name: string;
  status: string;
  options: Record<string, unknown>;
  processes: ProcessInfo[];
}

/** One kept event of `GET /events`. */
export interface StoredEvent {
  time: number;
  topic: string;
  data: Record<string, unknown>;
}

/** A non-2xx answer: the status, the server's `error`, and its `fields` when it gave them. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: Record<string, string> = {},
    readonly retryAfter: string | null = null,
  ) {
    super(message);
  }
}

let csrf = "";

/** Remembers the CSRF token that every later POST sends. */
export function setCsrf(token: string): void {
  csrf = token;
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRF-Token"] = csrf;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch (e) {
    throw new ApiError(0, `the console's server does not answer (${(e as Error).message})`);
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // A proxy's HTML error page: keep the status line as the message.
  }
  if (!res.ok) {
    const obj = (json ?? {}) as { error?: unknown; fields?: unknown };
    const message = typeof obj.error === "string" ? obj.error : `${res.status} ${res.statusText}`;
    const fields =
      obj.fields && typeof obj.fields === "object" ? (obj.fields as Record<string, string>) : {};
    throw new ApiError(res.status, message, fields, res.headers.get("Retry-After"));
  }
  return json as T;
}

/** A daemon that answered discovery (`GET /api/discover`). */
export interface Discovered {
  endpoint: string;
  from: string;
  /** The endpoint to add it by (a wildcard one at the address it answered from). */
  reachable: string;
  /** Its id here when it is already added. */
  daemon: string | null;
}

/** The API, one function per route. */
export const api = {
  session: () => request<Session>("GET", "/api/session"),
  login: (user: string, password: string) =>
    request<Session>("POST", "/api/login", { user, password }),
  logout: () => request<unknown>("POST", "/api/logout", {}),
  daemons: () => request<Daemon[]>("GET", "/api/daemons"),
  addDaemon: (endpoint: string, statsEndpoint?: string, serverKey?: string) =>
    request<Daemon>("POST", "/api/daemons", {
      endpoint,
      ...(statsEndpoint ? { statsEndpoint } : {}),
      ...(serverKey ? { serverKey } : {}),
    }),
  discover: () => request<Discovered[]>("GET", "/api/discover"),
  watchers: (d: string) => request<WatcherSummary[]>("GET", `/api/daemons/${enc(d)}/watchers`),
  watcher: (d: string, w: string) =>
    request<WatcherDetail>("GET", `/api/daemons/${enc(d)}/watchers/${enc(w)}`),
  command: (d: string, w: string, cmd: string, body: unknown = {}) =>
    request<Record<string, unknown>>(
      "POST",
      `/api/daemons/${enc(d)}/watchers/${enc(w)}/${cmd}`,
      body,
    ),
  addWatcher: (d: string, body: Record<string, unknown>) =>
    request<unknown>("POST", `/api/daemons/${enc(d)}/watchers`, body),
  arbiter: (d: string, cmd: "reload" | "restart") =>
    request<unknown>("POST", `/api/daemons/${enc(d)}/${cmd}`, {}),
  options: (d: string) => request<Record<string, unknown>>("GET", `/api/daemons/${enc(d)}/options`),
  events: (d: string, limit = 200) =>
    request<StoredEvent[]>("GET", `/api/daemons/${enc(d)}/events?limit=${limit}`),
};

function enc(s: string): string {
  return encodeURIComponent(s);
}
