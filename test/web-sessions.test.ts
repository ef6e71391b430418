/**
 * circushttpd's sessions and login limiter over time: a session ends after 12 h without a
 * request (and each request pushes that back), a user locked out by five failed logins may
 * try again a minute after the first. The clock is the test's, to step over hours; the rest
 * (the cookie header a request carries) is what the server reads.
 */
import assert from "node:assert/strict";
import type http from "node:http";
import { describe, test } from "node:test";
import { LoginLimiter, SESSION_COOKIE, Sessions } from "../src/web/server/sessions.js";

const HOUR = 60 * 60 * 1000;

/** A request carrying this session cookie (what Sessions.get reads of it). */
function withCookie(id: string): http.IncomingMessage {
  return { headers: { cookie: `theme=dark; ${SESSION_COOKIE}=${id}` } } as http.IncomingMessage;
}

describe("sessions", () => {
  test("a session lives while used, and ends after 12 h idle", () => {
    let now = 1_000_000;
    const sessions = new Sessions(() => now);
    const session = sessions.create("alice", "admin");
    assert.equal(sessions.get(withCookie(session.id))?.user, "alice");
    // Used every 11 h for two days: still alive.
    for (let i = 0; i < 4; i++) {
      now += 11 * HOUR;
      assert.equal(sessions.get(withCookie(session.id))?.id, session.id, `after ${i + 1} uses`);
    }
    now += 12 * HOUR + 1;
    assert.equal(sessions.get(withCookie(session.id)), null, "12 h without a request");
    assert.equal(sessions.get(withCookie(session.id)), null, "and gone for good");
  });

  test("ids and tokens are unguessable and distinct; logout deletes", () => {
    const sessions = new Sessions();
    const a = sessions.create("alice", "admin");
    const b = sessions.create("alice", "admin");
    assert.notEqual(a.id, b.id);
    assert.notEqual(a.csrf, b.csrf);
    assert.match(a.id, /^[A-Za-z0-9_-]{43}$/, "32 random bytes");
    assert.equal(sessions.get(withCookie("not-a-session")), null);
    sessions.delete(a.id);
    assert.equal(sessions.get(withCookie(a.id)), null);
    assert.equal(sessions.get(withCookie(b.id))?.id, b.id);
  });
});

describe("the login limiter", () => {
  test("five failures lock the user out at that address for a minute from the first", () => {
    let now = 0;
    const limiter = new LoginLimiter(() => now);
    for (let i = 0; i < 5; i++) {
      assert.equal(limiter.retryAfter("bob", "10.0.0.1"), 0, `try ${i + 1} allowed`);
      limiter.fail("bob", "10.0.0.1");
      now += 1000;
    }
    assert.equal(limiter.retryAfter("bob", "10.0.0.1"), 55, "the first failure was 5 s ago");
    // Another user, or the same user elsewhere, is not held back.
    assert.equal(limiter.retryAfter("carol", "10.0.0.1"), 0);
    assert.equal(limiter.retryAfter("bob", "10.0.0.2"), 0);
    now = 60_000;
    assert.equal(limiter.retryAfter("bob", "10.0.0.1"), 0, "a minute after the first failure");
  });

  test("a success clears the failures", () => {
    const limiter = new LoginLimiter();
    for (let i = 0; i < 4; i++) limiter.fail("bob", "::1");
    limiter.succeed("bob", "::1");
    for (let i = 0; i < 4; i++) limiter.fail("bob", "::1");
    assert.equal(limiter.retryAfter("bob", "::1"), 0, "four failures since the success");
  });
});
