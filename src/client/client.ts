/**
 * The control-socket client: a ZeroMQ DEALER that talks Circus's JSON protocol to circusd's
 * ROUTER. One socket carries any number of concurrent calls: each request gets a fresh uuid
 * (hex, as Circus's client), and replies are matched back to their callers by that id, so
 * they may come back in any order.
 */
import { randomUUID } from "node:crypto";
import { Dealer } from "zeromq";
import type { CircusReply, CircusRequest } from "../control/protocol.js";
import { parsePythonJson } from "../python/json.js";
import { curveSocketOptions, requestToken, watchHandshakes, type CurveClient } from "./curve.js";
import { CallError, CommandError, TimeoutError, type HandshakeError } from "./errors.js";

/** circusd's default control endpoint. */
export const DEFAULT_ENDPOINT = "tcp://127.0.0.1:5555";
/** Seconds a call waits for its reply by default (Circus's default too). */
export const DEFAULT_TIMEOUT = 5;

/** How long the receive loop may outlive the last pending call (ms). */
const RECEIVE_POLL_MS = 250;

/** Options of {@link Client}. */
export interface ClientOptions {
  /** The control endpoint (`tcp://host:port` or `ipc://path`); {@link DEFAULT_ENDPOINT} by default. */
  endpoint?: string;
  /** Seconds to wait for each reply, as circusctl's `--timeout`; {@link DEFAULT_TIMEOUT} by default. */
  timeout?: number;
  /**
   * Milliseconds that {@link Client.close} may wait for casts not yet delivered (1000 by
   * default), so that `await client.cast(...); client.close()` does not lose the cast. A
   * client that never cast closes at once (unanswered calls are not worth waiting for).
   */
  linger?: number;
  /**
   * Reads replies as Python's json module does: float literals (`2.0`) become
   * {@link PyFloat}s, which print as Python prints them (circusctl needs this to print what
   * Circus's circusctl prints). Plain numbers by default.
   */
  pythonFloats?: boolean;
  /**
   * CURVE: this client's key pair and circusd's public key (`curveClientFrom` reads them
   * from the command-line options and environment). Each request then carries the token
   * that proves the key, and a refused handshake fails the calls at once.
   */
  curve?: CurveClient;
}

/** Options of one {@link Client.call}. */
export interface CallOptions {
  /** Seconds to wait for this reply, instead of the client's timeout. */
  timeout?: number;
  /**
   * Who the call is made for, sent as the request's top-level `origin` field: circusd logs
   * the state changes that carry it (circushttpd's audit trail).
   */
  origin?: { user: string; via: string };
}

interface Pending {
  resolve(reply: CircusReply): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** A fresh request id: 32 hex digits, like Python's `uuid.uuid4().hex`. */
export function newId(): string {
  return randomUUID().replace(/-/g, "");
}

/**
 * A client of circusd's control endpoint.
 *
 * ```ts
 * const client = new Client({ endpoint: "tcp://127.0.0.1:5555", timeout: 5 });
 * const reply = await client.call("list");           // { status: "ok", watchers: [...], ... }
 * await client.callOk("incr", { name: "web", nb: 2 }); // throws CommandError on an error reply
 * client.close();
 * ```
 *
 * A client keeps Node's event loop alive only while calls are in flight; {@link close} it
 * when done all the same, to free the socket.
 */
export class Client {
  /** The endpoint this client is connected to. */
  readonly endpoint: string;
  /** The default timeout of a call, in seconds. */
  readonly timeout: number;
  private readonly socket: Dealer;
  private readonly pending = new Map<string, Pending>();
  /** zeromq allows one blocked send at a time: sends queue up behind this promise. */
  private sending: Promise<void> = Promise.resolve();
  private receiving = false;
  private closed = false;
  private casted = false;
  private readonly castLinger: number;
  private readonly parse: (text: string) => unknown;
  private readonly token: string | null;
  /** The last handshake failure, until a handshake succeeds: calls fail with it at once. */
  private refused: HandshakeError | null = null;

  constructor(options: ClientOptions = {}) {
    this.endpoint = options.endpoint ?? DEFAULT_ENDPOINT;
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT;
    this.parse = options.pythonFloats ? parsePythonJson : JSON.parse;
    this.castLinger = options.linger ?? 1000;
    if (!(this.timeout > 0)) throw new CallError(`invalid timeout: ${String(options.timeout)}`);
    // A unique identity on the ROUTER, as Circus's client sets (uuid hex).
    this.socket = new Dealer({
      linger: 0,
      routingId: newId(),
      receiveTimeout: RECEIVE_POLL_MS,
      ...curveSocketOptions(options.curve),
    });
    this.token = requestToken(options.curve);
    watchHandshakes(
      this.socket,
      this.endpoint,
      options.curve !== undefined,
      (error) => {
        this.refused = error;
        for (const [id] of this.pending) this.settle(id, undefined, error);
      },
      () => (this.refused = null),
    );
    try {
      this.socket.connect(this.endpoint);
    } catch (error) {
      this.socket.close();
      throw new CallError(`cannot connect to ${this.endpoint}: ${errorText(error)}`);
    }
  }

  /** True once {@link close} was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Sends a command and resolves with its reply, whatever its status: an error reply
   * (`status: "error"`, with `reason`) resolves too. Rejects with a {@link TimeoutError}
   * when no reply comes within the timeout (a reply that is not JSON names no call, so it
   * ends that way too), with a {@link CallError} when the client is closed.
   */
  async call(
    command: string,
    properties: Record<string, unknown> = {},
    options: CallOptions = {},
  ): Promise<CircusReply> {
    if (this.closed) throw new CallError("the client is closed");
    if (this.refused) throw this.refused;
    const id = newId();
    const text = encodeRequest({
      id,
      command,
      properties,
      ...(options.origin ? { origin: options.origin } : {}),
      ...(this.token ? { auth: this.token } : {}),
    });
    const timeout = options.timeout ?? this.timeout;
    const reply = new Promise<CircusReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new TimeoutError(command, this.endpoint, timeout));
      }, timeout * 1000);
      this.pending.set(id, { resolve, reject, timer });
    });
    this.startReceiving();
    this.send(text).catch((error: unknown) => this.settle(id, undefined, sendError(error)));
    return reply;
  }

  /** Like {@link call}, but an error reply (`status: "error"`) rejects with a {@link CommandError}. */
  async callOk(
    command: string,
    properties: Record<string, unknown> = {},
    options: CallOptions = {},
  ): Promise<CircusReply> {
    const reply = await this.call(command, properties, options);
    // Only "error" fails: `status NAME` answers with the watcher's state in `status`.
    if (reply.status === "error") throw new CommandError(reply);
    return reply;
  }

  /**
   * Sends a command with `msg_type: "cast"`: the daemon runs it and sends no reply. Resolves
   * once the message is queued on the socket, not when the daemon has run it; {@link close}
   * waits up to `linger` ms for it to leave.
   */
  async cast(command: string, properties: Record<string, unknown> = {}): Promise<void> {
    if (this.closed) throw new CallError("the client is closed");
    const text = encodeRequest({
      id: newId(),
      command,
      properties,
      msg_type: "cast",
      ...(this.token ? { auth: this.token } : {}),
    });
    this.casted = true;
    await this.send(text).catch((error: unknown) => {
      throw sendError(error);
    });
  }

  /**
   * Closes the socket; calls still waiting reject with a {@link CallError}. Idempotent. After
   * a cast, Node may wait up to `linger` ms at exit for it to be delivered.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [id] of this.pending)
      this.settle(id, undefined, new CallError("the client was closed"));
    if (this.casted) this.socket.linger = this.castLinger;
    this.socket.close();
  }

  private send(text: string): Promise<void> {
    const next = this.sending.then(() => this.socket.send(text));
    // The chain must go on after a failed send; the failure belongs to that send's caller.
    this.sending = next.catch(() => undefined);
    return next;
  }

  /** Starts the receive loop unless it runs: it runs while calls wait for replies. */
  private startReceiving(): void {
    if (this.receiving) return;
    this.receiving = true;
    void this.receiveLoop();
  }

  /**
   * Receives while calls are pending, then stops, so that an idle client does not keep Node
   * running (a pending zeromq receive cannot be cancelled, hence the short receive timeout).
   */
  private async receiveLoop(): Promise<void> {
    while (!this.closed && this.pending.size > 0) {
      let frames: Buffer[];
      try {
        frames = await this.socket.receive();
      } catch (error) {
        if (this.closed) break;
        if ((error as { code?: string }).code === "EAGAIN") continue;
        const failure = new CallError(`receive failed: ${errorText(error)}`);
        for (const [id] of this.pending) this.settle(id, undefined, failure);
        break;
      }
      this.dispatch(frames);
    }
    this.receiving = false;
  }

  private dispatch(frames: Buffer[]): void {
    // A DEALER gets the ROUTER's payload without the routing frame: the JSON is the last frame.
    const last = frames[frames.length - 1];
    if (last === undefined) return;
    let reply: unknown;
    try {
      reply = this.parse(last.toString("utf8"));
    } catch {
      // Unparsable bytes name no call: nothing to resolve, the callers time out.
      return;
    }
    if (typeof reply !== "object" || reply === null) return;
    const id = (reply as { id?: unknown }).id;
    // Replies to calls that already timed out (or to other clients' ids) are dropped.
    if (typeof id === "string") this.settle(id, reply as CircusReply);
  }

  private settle(id: string, reply: CircusReply | undefined, error?: Error): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    if (error) entry.reject(error);
    else entry.resolve(reply as CircusReply);
  }
}

/** The request's JSON; a CallError when it cannot be encoded (a cycle, a BigInt). */
function encodeRequest(request: CircusRequest): string {
  try {
    return JSON.stringify(request);
  } catch (error) {
    throw new CallError(`cannot encode the request: ${errorText(error)}`);
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sendError(error: unknown): CallError {
  return new CallError(`send failed: ${errorText(error)}`);
}
