/**
 * Sessions in memory (12 h idle expiry), the session cookie, and the login rate limiter.
 */
import { randomBytes } from "node:crypto";
import type http from "node:http";
import type { Role } from "./users.js";

/** The session cookie's name (API.md). */
export const SESSION_COOKIE = "circus_session";
/** Idle time after which a session is gone. */
const IDLE_MS = 12 * 60 * 60 * 1000;

/** A logged-in user (or the anonymous admin). */
export interface Session {
  id: string;
  user: string;
  role: Role;
  csrf: string;
  seen: number;
}

/** The cookies of a request. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    cookies.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return cookies;
}

/** True when the request came over https (directly or through a proxy that says so). */
export function isHttps(request: http.IncomingMessage): boolean {
  const socket = request.socket as { encrypted?: boolean };
  return socket.encrypted === true || request.headers["x-forwarded-proto"] === "https";
}

/** The Set-Cookie value for a session id ("" clears the cookie). */
export function sessionCookie(request: http.IncomingMessage, id: string): string {
  const secure = isHttps(request) ? "; Secure" : "";
  const clear = id === "" ? "; Max-Age=0" : "";
  return `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/${secure}${clear}`;
}

/** The sessions of one server. */
export class Sessions {
  private readonly sessions = new Map<string, Session>();

  /** @param now - the clock (tests give their own, to step over the 12 h). */
  constructor(private readonly now: () => number = Date.now) {}

  /** A new session for a user. */
  create(user: string, role: Role): Session {
    this.sweep();
    const session: Session = {
      id: randomBytes(32).toString("base64url"),
      user,
      role,
      csrf: randomBytes(32).toString("base64url"),
      seen: this.now(),
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The request's live session, refreshed, or null. */
  get(request: http.IncomingMessage): Session | null {
    const id = parseCookies(request.headers.cookie).get(SESSION_COOKIE);
    if (id === undefined) return null;
    const session = this.sessions.get(id);
    if (!session) return null;
    if (this.now() - session.seen > IDLE_MS) {
      this.sessions.delete(id);
      return null;
    }
    session.seen = this.now();
    return session;
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, s] of this.sessions) if (now - s.seen > IDLE_MS) this.sessions.delete(id);
  }
}

/** Failures allowed per (user, address) within {@link WINDOW_MS}. */
const MAX_FAILURES = 5;
const WINDOW_MS = 60_000;

/** Counts failed logins per user and client address; the sixth within a minute is refused. */
export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  /** @param now - the clock (tests give their own). */
  constructor(private readonly now: () => number = Date.now) {}

  /** Seconds to wait before trying again, or 0 when a try is allowed. */
  retryAfter(user: string, address: string): number {
    const times = this.recent(`${user}\0${address}`);
    if (times.length < MAX_FAILURES) return 0;
    return Math.max(1, Math.ceil(((times[0] as number) + WINDOW_MS - this.now()) / 1000));
  }

  fail(user: string, address: string): void {
    const key = `${user}\0${address}`;
    const times = this.recent(key);
    times.push(this.now());
    this.failures.set(key, times);
    // Bounded memory against a flood of made-up user names.
    if (this.failures.size > 10_000)
      for (const k of this.failures.keys())
        if (this.recent(k).length === 0) this.failures.delete(k);
  }

  succeed(user: string, address: string): void {
    this.failures.delete(`${user}\0${address}`);
  }

  private recent(key: string): number[] {
    const now = this.now();
    return (this.failures.get(key) ?? []).filter((t) => now - t < WINDOW_MS);
  }
}
