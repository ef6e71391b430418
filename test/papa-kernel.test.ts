/**
 * The process kernel (circus-papa) on its own, as a user of its wire sees it: a real kernel
 * program on a real unix socket or loopback port, real processes, and a small raw client
 * written here (lines, and the raw bytes after an output event), so that nothing of the
 * kernel's own reader is trusted.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isAlive, isGone, killMarked, makeTempDir, ROOT, waitFor } from "./helpers/circusd.js";
import { freePort } from "./helpers/ctl.js";
import { cleanupEachTest, defer } from "./helpers/cleanup.js";

cleanupEachTest();

const PAPA = path.join(ROOT, "dist/cli/circus-papa.js");
const MAX_LINE = 1024 * 1024;
const OUTPUT_KEPT = 2 * 1024 * 1024;

type Message = Record<string, unknown>;

/** What the client read: a JSON message (with the bytes an output event carried) or text. */
type Frame = { message: Message; payload: Buffer | null } | { text: string };

/** A raw connection to a kernel: JSON lines out, lines and output payloads in. */
class KernelClient {
  readonly frames: Frame[] = [];
  /** Frames not yet taken by {@link next} or {@link call}. */
  private unread: Frame[] = [];
  private buffer = Buffer.alloc(0);
  private payloadLen = 0;
  private payloadOf: Message | null = null;
  private wake: (() => void) | null = null;
  private nextId = 1;
  closed = false;
  readonly closing: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => this.push(chunk));
    socket.on("error", () => {});
    this.closing = new Promise((resolve) =>
      socket.once("close", () => {
        this.closed = true;
        this.wake?.();
        resolve();
      }),
    );
  }

  static async open(target: string | number): Promise<KernelClient> {
    const socket =
      typeof target === "string"
        ? net.connect(target)
        : net.connect({ host: "127.0.0.1", port: target });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const client = new KernelClient(socket);
    defer(() => client.close());
    return client;
  }

  private push(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.payloadOf) {
        if (this.buffer.length < this.payloadLen) break;
        const frame = {
          message: this.payloadOf,
          payload: this.buffer.subarray(0, this.payloadLen),
        };
        this.buffer = this.buffer.subarray(this.payloadLen);
        this.payloadOf = null;
        this.add(frame);
        continue;
      }
      const end = this.buffer.indexOf(10);
      if (end < 0) break;
      const text = this.buffer.subarray(0, end).toString("utf8");
      this.buffer = this.buffer.subarray(end + 1);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        this.add({ text });
        continue;
      }
      const message = parsed as Message;
      if (message.event === "output" && typeof message.len === "number" && message.len > 0) {
        this.payloadOf = message;
        this.payloadLen = message.len;
      } else this.add({ message, payload: null });
    }
  }

  private add(frame: Frame): void {
    this.frames.push(frame);
    this.unread.push(frame);
    this.wake?.();
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  request(message: Message): void {
    this.send(JSON.stringify(message) + "\n");
  }

  /** Takes the first unread frame `match` accepts, waiting for it. */
  async next<T extends Frame>(
    match: (frame: Frame) => frame is T,
    what: string,
    timeout = 10_000,
  ): Promise<T> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const i = this.unread.findIndex(match);
      if (i >= 0) return this.unread.splice(i, 1)[0] as T;
      if (this.closed) throw new Error(`connection closed while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  /** The next message with `key` (e.g. "event" or "id") equal to `value`. */
  async message(key: string, value: unknown, timeout?: number): Promise<Message> {
    const frame = await this.next(
      (f): f is { message: Message; payload: null } => "message" in f && f.message[key] === value,
      `a message with ${key} = ${JSON.stringify(value)}`,
      timeout,
    );
    return frame.message;
  }

  /** The next error sent without an id (a line the kernel could not read). */
  async anonymousError(): Promise<string> {
    const m = await this.message("id", null);
    assert.equal(m.ok, false, JSON.stringify(m));
    return m.error as string;
  }

  /** Sends a request and returns its reply (ok or not). */
  async call(cmd: string, fields: Message = {}): Promise<Message> {
    const id = this.nextId++;
    this.request({ id, cmd, ...fields });
    return this.message("id", id);
  }

  /** A request that must succeed. */
  async ok(cmd: string, fields: Message = {}): Promise<Message> {
    const reply = await this.call(cmd, fields);
    assert.equal(reply.ok, true, `${cmd}: ${JSON.stringify(reply)}`);
    return reply;
  }

  /** A request that must be refused; returns the error. */
  async refused(cmd: string, fields: Message = {}): Promise<string> {
    const reply = await this.call(cmd, fields);
    assert.equal(reply.ok, false, `${cmd} ${JSON.stringify(fields)} was accepted`);
    assert.equal(typeof reply.error, "string");
    return reply.error as string;
  }

  /** The output events of `pid` received so far, taken, with their bytes. */
  async outputs(pid: number, until: (all: { message: Message; payload: Buffer }[]) => boolean) {
    const all: { message: Message; payload: Buffer }[] = [];
    while (!until(all)) {
      const frame = await this.next(
        (f): f is { message: Message; payload: Buffer } =>
          "message" in f && f.message.event === "output" && f.message.pid === pid,
        `output of ${pid}`,
      );
      all.push(frame);
    }
    return all;
  }

  async close(): Promise<void> {
    this.socket.destroy();
    await this.closing;
  }
}

interface Kernel {
  child: ChildProcess;
  pid: number;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts circus-papa on `endpoint` and waits for its `ready`; killed after the test. */
async function startKernel(endpoint: string, dir: string): Promise<Kernel> {
  const child = spawn(process.execPath, [PAPA, "--endpoint", endpoint], {
    env: { ...process.env, CIRCUS_IT_MARKER: dir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  defer(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
    await killMarked(dir);
  });
  let gone = false;
  void exited.then(() => (gone = true));
  await waitFor(
    () => {
      if (gone) throw new Error(`circus-papa exited: ${stderr}`);
      return stdout.includes("ready\n");
    },
    { message: () => `circus-papa ready (stderr: ${stderr})`, timeout: 10_000 },
  );
  return { child, pid: child.pid as number, stderr: () => stderr, exited };
}

/** A kernel on a unix socket in a fresh folder, with an owner connected. */
async function ownedKernel(): Promise<{
  dir: string;
  sock: string;
  kernel: Kernel;
  owner: KernelClient;
}> {
  const dir = makeTempDir("circus-kernel-it-");
  const sock = path.join(dir, "papa.sock");
  const kernel = await startKernel(`ipc://${sock}`, dir);
  const owner = await KernelClient.open(sock);
  await owner.ok("hello", { client: "test" });
  return { dir, sock, kernel, owner };
}

/** The environment of a hosted process: a PATH, and the folder so that cleanup finds it. */
function env(dir: string): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", CIRCUS_IT_MARKER: dir };
}

/** A TCP socket spec as circusd sends it (the fields of requests.ts socketRequest). */
function tcpSpec(port = 0): Message {
  return {
    host: "127.0.0.1",
    port,
    family: "AF_INET",
    type: "SOCK_STREAM",
    interface: null,
    path: null,
    umask: null,
    replace: false,
    soReuseport: false,
    blocking: false,
    backlog: 128,
  };
}

/** The kernel's fd for its own listening unix socket (found through /proc). */
function listeningFd(pid: number, sock: string): number {
  const row = readFileSync(`/proc/${pid}/net/unix`, "latin1")
    .split("\n")
    .find((l) => l.trim().endsWith(` ${sock}`));
  assert.ok(row, `${sock} in /proc/net/unix`);
  const inode = (row.trim().split(/\s+/)[6] ?? "").trim();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`) return Number(fd);
    } catch {
      // closed meanwhile
    }
  }
  assert.fail(`no fd of ${pid} for socket inode ${inode}`);
}

function run(
  file: string,
  args: string[],
  timeout = 10_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout }, (error, stdout, stderr) => {
      const code = error ? ((error as { code?: unknown }).code ?? null) : 0;
      resolve({ code: typeof code === "number" ? code : null, stdout, stderr });
    });
  });
}

describe("circus-papa: the process kernel's wire", { timeout: 60_000 }, () => {
  test("`help` as plain text gets the help text; an ipc socket file is mode 0600", async () => {
    const dir = makeTempDir("circus-kernel-it-");
    const sock = path.join(dir, "papa.sock");
    await startKernel(`ipc://${sock}`, dir);
    assert.equal(statSync(sock).mode & 0o777, 0o600);
    const client = await KernelClient.open(sock);
    client.send("help\n");
    const first = await client.next((f): f is { text: string } => "text" in f, "the help text");
    assert.match(first.text, /process kernel/);
    await waitFor(() =>
      client.frames.some((f) => "text" in f && /Events to the owner/.test(f.text)),
    );
    const help = client.frames.map((f) => ("text" in f ? f.text : "")).join("\n");
    for (const cmd of ["hello", "list", "sockets", "spawn", "ack", "forget", "kv_set"])
      assert.match(help, new RegExp(`\\b${cmd}\\b`), `help names ${cmd}`);
    // A typo gets an error pointing to help, and the connection still serves.
    client.send("hlep\n");
    assert.match(await client.anonymousError(), /try help/);
    await client.ok("ping");
  });

  test("hostile input gets an error, changes nothing, and the kernel serves on", async () => {
    const { sock, kernel, owner } = await ownedKernel();
    // Lines the kernel cannot read at all.
    owner.send("{not json\n");
    assert.match(await owner.anonymousError(), /unknown|JSON/);
    owner.send(Buffer.from([0x00, 0xff, 0xfe, 0x01, 0x80, 0x0a]));
    assert.match(await owner.anonymousError(), /not JSON/);
    owner.send('[1,2,{"cmd":"spawn"}]\n');
    assert.match(await owner.anonymousError(), /not a JSON object/);
    owner.send("42\n");
    assert.match(await owner.anonymousError(), /not a JSON object/);
    owner.send("null\n");
    assert.match(await owner.anonymousError(), /not a JSON object/);
    // Requests without a usable command.
    owner.request({ id: 901 });
    let reply = await owner.message("id", 901);
    assert.equal(reply.ok, false);
    assert.match(reply.error as string, /cmd/);
    owner.request({ id: 902, cmd: ["spawn"] });
    reply = await owner.message("id", 902);
    assert.equal(reply.ok, false);
    assert.match(reply.error as string, /cmd/);
    owner.request({ id: 903, cmd: 7 });
    assert.equal((await owner.message("id", 903)).ok, false);
    assert.match(await owner.refused("format_disk"), /unknown command/);
    // spawn with bad fields.
    const base = { argv: ["sh", "-c", "exit 0"], env: env("x") };
    assert.match(await owner.refused("spawn", { ...base, argv: "sh -c true" }), /^argv/);
    assert.match(await owner.refused("spawn", { ...base, argv: [] }), /^argv/);
    assert.match(await owner.refused("spawn", { ...base, argv: ["sh", 1] }), /^argv/);
    assert.match(await owner.refused("spawn", { ...base, env: { A: 1 } }), /^env/);
    assert.match(await owner.refused("spawn", { ...base, env: { A: null } }), /^env/);
    assert.match(await owner.refused("spawn", { ...base, env: ["A=1"] }), /^env/);
    assert.match(await owner.refused("spawn", { ...base, env: { "A=B": "1" } }), /^env/);
    assert.match(await owner.refused("spawn", { ...base, stdout: "file" }), /^stdout/);
    assert.match(await owner.refused("spawn", { ...base, uid: -1 }), /^uid/);
    // fds may only name a socket the kernel holds: not its own endpoint, not its stdio.
    const own = listeningFd(kernel.pid, sock);
    const kernelFds = readdirSync(`/proc/${kernel.pid}/fd`).map(Number);
    assert.ok(kernelFds.includes(own));
    for (const fd of new Set([own, 0, 1, 2, ...kernelFds]))
      assert.match(
        await owner.refused("spawn", { ...base, fds: [[3, fd]] }),
        /^fds: \d+ is not a socket this kernel holds/,
        `fd ${fd}`,
      );
    assert.match(await owner.refused("spawn", { ...base, fds: [[3]] }), /^fds/);
    assert.match(await owner.refused("spawn", { ...base, fds: 3 }), /^fds/);
    // sockets with a bad spec.
    assert.match(
      await owner.refused("socket", { name: "web", spec: { ...tcpSpec(), family: "AF_BOGUS" } }),
      /spec\.family/,
    );
    assert.match(
      await owner.refused("socket", { name: "web", spec: tcpSpec(70_000) }),
      /spec\.port/,
    );
    assert.match(await owner.refused("socket", { name: "web", spec: tcpSpec(-1) }), /spec\.port/);
    assert.match(
      await owner.refused("socket", { name: "web", spec: { ...tcpSpec(), port: "80" } }),
      /spec\.port/,
    );
    assert.match(await owner.refused("socket", { name: "", spec: tcpSpec() }), /^name/);
    assert.match(await owner.refused("socket", { name: "web", spec: [] }), /^spec/);
    // Unknown pids.
    assert.match(await owner.refused("ack", { pid: 999_999_999, seq: 1 }), /no hosted process/);
    assert.match(await owner.refused("forget", { pid: 999_999_999 }), /no hosted process/);
    assert.match(await owner.refused("ack", { pid: "1", seq: 1 }), /^pid/);
    assert.match(await owner.refused("close_socket", { name: 3 }), /^name/);
    // The owner's connection still serves after all of it.
    await owner.ok("ping");

    // A line longer than MAX_LINE: an error, then the connection is closed; the kernel serves
    // a new one. Sent in two writes, so that the newline comes after the limit is reached.
    const long = await KernelClient.open(sock);
    long.send('{"id":1,"cmd":"ping","pad":"' + "x".repeat(MAX_LINE - 29));
    await sleep(300);
    long.send('x"}\n');
    assert.match(await long.anonymousError(), /longer than/);
    await long.closing;
    // And in one write, with much more than the limit.
    const longer = await KernelClient.open(sock);
    longer.send("y".repeat(2 * MAX_LINE) + "\n");
    assert.match(await longer.anonymousError(), /longer than/);
    await longer.closing;

    const fresh = await KernelClient.open(sock);
    await fresh.ok("ping");
    assert.deepEqual((await fresh.ok("list")).processes, []);
    assert.deepEqual((await fresh.ok("sockets")).sockets, []);
    assert.ok(isAlive(kernel.pid));
    // None of it was an internal error of the kernel's (those go to the owner's log).
    const logs = owner.frames.flatMap((f) =>
      "message" in f && f.message.event === "log" ? [String(f.message.line)] : [],
    );
    assert.ok(logs.length > 0, "the owner gets the kernel's log");
    for (const l of logs) assert.doesNotMatch(l, /internal error|\n\s+at /, l);
    assert.equal(kernel.stderr(), "");
  });

  test("one owner at a time: the others may look, not change", async () => {
    const { sock, owner } = await ownedKernel();
    const other = await KernelClient.open(sock);
    assert.match(await other.refused("hello", { client: "intruder" }), /another circusd/);
    for (const [cmd, fields] of [
      ["spawn", { argv: ["sh", "-c", "exit 0"], env: {} }],
      ["socket", { name: "web", spec: tcpSpec() }],
      ["kv_set", { key: "k", value: 1 }],
      ["close_socket", { name: "web" }],
      ["forget", { pid: 1 }],
    ] as const)
      assert.match(await other.refused(cmd, fields), /say hello first/, cmd);
    // Looking is fine.
    await other.ok("ping");
    assert.deepEqual((await other.ok("list")).processes, []);
    assert.deepEqual((await other.ok("sockets")).sockets, []);
    assert.equal((await other.ok("kv_get", { key: "k" })).value, null);
    // The owner may change things.
    await owner.ok("kv_set", { key: "k", value: { n: 1 } });
    assert.deepEqual((await other.ok("kv_get", { key: "k" })).value, { n: 1 });
    // Once it is gone, another may say hello.
    await owner.close();
    const hello = await waitFor(async () => {
      const reply = await other.call("hello", { client: "second" });
      return reply.ok === true ? reply : null;
    });
    assert.equal(typeof (hello.kernel as Message).pid, "number");
    await other.ok("kv_set", { key: "k", value: 2 });
    assert.deepEqual((await other.ok("kv_list")).keys, ["k"]);
  });

  test("output and exit reach the owner, are sent again until acknowledged, and forget drops the process", async () => {
    const { dir, sock, owner } = await ownedKernel();
    const { pid } = (await owner.ok("spawn", {
      argv: ["sh", "-c", "echo out; echo err >&2; exit 3", dir],
      env: env(dir),
      stdout: "pipe",
      stderr: "pipe",
      tag: { watcher: "t" },
    })) as { pid: number };
    assert.ok(pid > 0);
    const exit = await owner.message("event", "exit");
    assert.equal(exit.pid, pid);
    assert.deepEqual((exit.exit as Message).code, 3);
    assert.equal(exit.dropped, 0);
    // Everything received before the exit event is its output.
    const before = owner.frames.slice(
      0,
      owner.frames.findIndex((f) => "message" in f && f.message === exit),
    );
    const outputs = before.filter(
      (f): f is { message: Message; payload: Buffer } =>
        "message" in f && f.message.event === "output" && f.message.pid === pid,
    );
    const byStream = (stream: string) =>
      outputs
        .filter((o) => o.message.stream === stream)
        .map((o) => o.payload.toString())
        .join("");
    assert.equal(byStream("stdout"), "out\n");
    assert.equal(byStream("stderr"), "err\n");
    const seqs = outputs.map((o) => o.message.seq as number);
    assert.deepEqual(
      seqs.slice().sort((a, b) => a - b),
      seqs.map((_, i) => i + 1),
    );
    for (const o of outputs) assert.equal(o.message.len, o.payload.length);
    const listed = ((await owner.ok("list")).processes as Message[]).find((p) => p.pid === pid);
    assert.deepEqual(listed?.tag, { watcher: "t" });
    assert.equal((listed?.exit as Message).code, 3);
    assert.equal(listed?.kept, 8);

    // A new owner, nothing acknowledged: the same output again, same seqs, then the exit.
    await owner.close();
    const second = await KernelClient.open(sock);
    await waitFor(async () => (await second.call("hello")).ok === true);
    const again = await second.message("event", "exit");
    assert.equal((again.exit as Message).code, 3);
    const resent = second.frames.filter(
      (f): f is { message: Message; payload: Buffer } =>
        "message" in f && f.message.event === "output" && f.message.pid === pid,
    );
    assert.deepEqual(
      resent.map((o) => [o.message.seq, o.message.stream, o.payload.toString()]),
      outputs.map((o) => [o.message.seq, o.message.stream, o.payload.toString()]),
    );
    assert.ok(
      second.frames.indexOf(resent.at(-1)!) <
        second.frames.findIndex((f) => "message" in f && f.message === again),
    );

    // Acknowledged (no reply when accepted) and forgotten: gone from the list.
    second.request({ id: 50, cmd: "ack", pid, seq: Math.max(...seqs) });
    const afterAck = ((await second.ok("list")).processes as Message[]).find((p) => p.pid === pid);
    assert.equal(afterAck?.kept, 0);
    assert.ok(
      !second.frames.some((f) => "message" in f && f.message.id === 50),
      "ack is not answered",
    );
    assert.equal((await second.ok("forget", { pid })).forgotten, true);
    assert.deepEqual((await second.ok("list")).processes, []);
    assert.match(await second.refused("forget", { pid }), /no hosted process/);
  });

  test("with no owner, the last 2 MiB of a process's output are kept and the rest counted as dropped", async () => {
    const { dir, sock, owner } = await ownedKernel();
    const total = 3_000_000;
    // A pattern whose every window is unique enough: byte i is i mod 251.
    const script = `setTimeout(() => {
      const b = Buffer.alloc(${total});
      for (let i = 0; i < b.length; i++) b[i] = i % 251;
      process.stdout.write(b);
    }, 700);`;
    const { pid } = (await owner.ok("spawn", {
      argv: [process.execPath, "-e", script, dir],
      env: env(dir),
      stdout: "pipe",
      stderr: "pipe",
    })) as { pid: number };
    await owner.close();
    const looker = await KernelClient.open(sock);
    const info = await waitFor(async () => {
      const p = ((await looker.ok("list")).processes as Message[]).find((q) => q.pid === pid);
      return p?.exit ? p : null;
    });
    assert.equal((info.exit as Message).code, 0);
    assert.equal(info.kept, OUTPUT_KEPT);
    assert.equal(info.dropped, total - OUTPUT_KEPT);

    // The new owner acknowledges as it reads (the kernel sends a window at a time).
    await looker.ok("hello");
    const got: Buffer[] = [];
    let size = 0;
    while (size < OUTPUT_KEPT) {
      const [o] = await looker.outputs(pid, (all) => all.length === 1);
      assert.equal(o!.message.stream, "stdout");
      got.push(o!.payload);
      size += o!.payload.length;
      looker.request({ cmd: "ack", pid, seq: o!.message.seq });
    }
    const exit = await looker.message("event", "exit");
    assert.equal(exit.dropped, total - OUTPUT_KEPT);
    const data = Buffer.concat(got);
    assert.equal(data.length, OUTPUT_KEPT);
    const first = total - OUTPUT_KEPT;
    for (let i = 0; i < data.length; i++)
      if (data[i] !== (first + i) % 251) assert.fail(`byte ${i} of the kept output is wrong`);
    assert.equal((await looker.ok("forget", { pid })).forgotten, true);
  });

  test("SIGTERM is ignored while a process runs; idle and unowned, the kernel exits and removes its socket", async () => {
    const { dir, sock, kernel, owner } = await ownedKernel();
    const { pid } = (await owner.ok("spawn", {
      argv: ["sleep", "30"],
      env: env(dir),
    })) as { pid: number };
    assert.ok(isAlive(pid));
    process.kill(kernel.pid, "SIGTERM");
    process.kill(kernel.pid, "SIGINT");
    await owner.next(
      (f): f is { message: Message; payload: null } =>
        "message" in f &&
        f.message.event === "log" &&
        /SIGTERM ignored/.test(String(f.message.line)),
      "the kernel's log line saying SIGTERM was ignored",
    );
    await sleep(1000);
    assert.ok(isAlive(kernel.pid), "the kernel outlives a SIGTERM while a process runs");
    await owner.ok("ping");
    // circusd gone, the kernel keeps the process for the next one.
    await owner.close();
    const back = await KernelClient.open(sock);
    await back.ok("hello");
    process.kill(pid, "SIGKILL");
    const exit = await back.message("event", "exit");
    assert.equal((exit.exit as Message).signal, "SIGKILL");
    await back.ok("forget", { pid });
    const gone = Date.now();
    await back.close();
    const status = await Promise.race([kernel.exited, sleep(6000).then(() => null)]);
    assert.ok(status, "the kernel exited by itself within 6 s");
    const took = Date.now() - gone;
    assert.ok(took >= 2500, `it waited a moment first (${took} ms)`);
    assert.equal(status.code, 0);
    assert.ok(!existsSync(sock), "its socket file is removed");
    assert.ok(isGone(pid));
  });

  test("a kernel nobody connects to exits by itself", async () => {
    const dir = makeTempDir("circus-kernel-it-");
    const sock = path.join(dir, "papa.sock");
    const kernel = await startKernel(`ipc://${sock}`, dir);
    assert.ok(existsSync(sock));
    const status = await Promise.race([kernel.exited, sleep(6000).then(() => null)]);
    assert.ok(status, "the kernel exited within 6 s");
    assert.equal(status.code, 0);
    assert.ok(!existsSync(sock));
  });

  test("TCP: loopback only, and only circusd's user may connect", async () => {
    const dir = makeTempDir("circus-kernel-it-");
    const wide = await run(process.execPath, [PAPA, "--endpoint", "tcp://0.0.0.0:5555"]);
    assert.equal(wide.code, 2, wide.stderr);
    assert.match(wide.stderr, /loopback or ipc/);
    const port = await freePort();
    await startKernel(`tcp://127.0.0.1:${port}`, dir);
    const client = await KernelClient.open(port);
    await client.ok("hello", { client: "tcp" });
    await client.ok("ping");
  });

  test("TCP: a connection from another uid is refused with an error line", async () => {
    // `npm test` runs as root; without it this fails, saying why, rather than check nothing.
    assert.equal(process.getuid?.(), 0, "needs root, to run a client as user nobody");
    const dir = makeTempDir("circus-kernel-it-");
    const port = await freePort();
    await startKernel(`tcp://127.0.0.1:${port}`, dir);
    const script = `const s = require("net").connect(${port}, "127.0.0.1");
      let got = ""; s.on("data", (d) => (got += d));
      s.on("connect", () => s.write('{"id":1,"cmd":"ping"}\\n'));
      s.on("close", () => { process.stdout.write(JSON.stringify({ uid: process.getuid(), got })); });
      s.on("error", (e) => { console.error(e.message); });
      setTimeout(() => process.exit(3), 5000).unref();`;
    const result = await run("setpriv", [
      "--reuid=nobody",
      "--regid=nogroup",
      "--clear-groups",
      process.execPath,
      "-e",
      script,
      dir,
    ]);
    assert.equal(result.code, 0, `the client's connection was not closed: ${result.stderr}`);
    const { uid, got } = JSON.parse(result.stdout) as { uid: number; got: string };
    assert.equal(uid, 65534);
    const lines = got.trim().split("\n");
    assert.equal(lines.length, 1, got);
    const reply = JSON.parse(lines[0] as string) as Message;
    assert.equal(reply.ok, false);
    assert.match(reply.error as string, /only circusd's user/);
    // Our own uid is still served.
    const mine = await KernelClient.open(port);
    await mine.ok("hello");
  });

  test("sockets: bound once per name and spec, handed to a process on fd 3, closed", async () => {
    const { dir, owner } = await ownedKernel();
    const first = (await owner.ok("socket", { name: "web", spec: tcpSpec() })).socket as Message;
    const fd = first.fd as number;
    const port = first.port as number;
    assert.ok(fd > 2 && port > 0, JSON.stringify(first));
    assert.equal(first.name, "web");
    const again = (await owner.ok("socket", { name: "web", spec: tcpSpec() })).socket as Message;
    assert.equal(again.fd, fd, "the same socket, not bound again");
    assert.equal(again.port, port);
    const held = (await owner.ok("sockets")).sockets as Message[];
    assert.equal(held.length, 1);
    assert.equal(held[0]?.fd, fd);
    assert.equal((held[0]?.spec as Message).host, "127.0.0.1");

    const script = `const net = require("net");
      const server = net.createServer((c) => { c.end("hello from fd 3\\n"); server.close(); });
      server.listen({ fd: 3 }, () => process.stdout.write("listening\\n"));`;
    const { pid } = (await owner.ok("spawn", {
      argv: [process.execPath, "-e", script, dir],
      env: env(dir),
      stdout: "pipe",
      stderr: "pipe",
      fds: [[3, fd]],
    })) as { pid: number };
    const [listening] = await owner.outputs(pid, (all) => all.length === 1);
    assert.equal(listening!.payload.toString(), "listening\n");
    const answer = await new Promise<string>((resolve, reject) => {
      const c = net.connect({ host: "127.0.0.1", port });
      let text = "";
      c.on("data", (d) => (text += d));
      c.on("end", () => resolve(text));
      c.on("error", reject);
    });
    assert.equal(answer, "hello from fd 3\n");
    const exit = await owner.message("event", "exit");
    assert.equal(
      (exit.exit as Message).code,
      0,
      owner.frames.map((f) => ("payload" in f && f.payload ? f.payload.toString() : "")).join(""),
    );

    assert.equal((await owner.ok("close_socket", { name: "web" })).closed, true);
    assert.deepEqual((await owner.ok("sockets")).sockets, []);
    assert.equal((await owner.ok("close_socket", { name: "web" })).closed, false);
    await assert.rejects(
      new Promise((resolve, reject) => {
        const c = net.connect({ host: "127.0.0.1", port }, () => {
          c.destroy();
          resolve(null);
        });
        c.on("error", reject);
      }),
      /ECONNREFUSED/,
    );
  });
});
