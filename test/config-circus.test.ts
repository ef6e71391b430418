/**
 * `[circus]` options against a real circusd: each works (debug_gc, multicast_endpoint) or is
 * refused at startup with one line naming file, section and option (a malformed multicast_endpoint, an unknown stream_backend); a reload that changes an option
 * applied only at startup says so.
 */
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { describe, test } from "node:test";
import { makeTempDir, refusal, startCircusd, waitFor, writeConfig } from "./helpers/circusd.js";
import { connect, sleeperSection } from "./helpers/control.js";
import { cleanupEachTest, defer } from "./helpers/cleanup.js";

cleanupEachTest();

/** A UDP socket closed after the test; bound to a port of the kernel's pick unless given. */
async function udpSocket(port = 0, exclusive = false): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: "udp4", reuseAddr: !exclusive });
  defer(() => socket.close());
  await new Promise<void>((resolve) => socket.bind(port, resolve));
  return socket;
}

/** A UDP port nobody uses now. */
async function freeUdpPort(): Promise<number> {
  const probe = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => probe.bind(0, resolve));
  const { port } = probe.address();
  await new Promise<void>((resolve) => probe.close(resolve));
  return port;
}

/** Sends `text` to host:port until a reply comes back; returns the reply and its sender. */
async function ask(host: string, port: number): Promise<{ text: string; from: string }> {
  const client = await udpSocket();
  let answer: { text: string; from: string } | null = null;
  client.on("message", (message, sender) => {
    answer = { text: String(message), from: `${sender.address}:${sender.port}` };
  });
  return waitFor(
    () => {
      if (answer === null) client.send("who is there?", port, host);
      return answer;
    },
    { interval: 200, message: `a reply from ${host}:${port}` },
  );
}

describe("[circus] options", () => {
  test("stream_backend: thread or gevent, anything else is refused", async () => {
    const dir = makeTempDir();
    const file = writeConfig(dir, "[circus]\nstream_backend = eventlet\n");
    // writeConfig puts the two endpoint lines after the header: the option is on line 4.
    assert.equal(
      await refusal(file, dir),
      `${file}:4: [circus] stream_backend: expected thread or gevent, got "eventlet"`,
    );
  });

  test("debug_gc: every collection of circusd's heap is logged: kind, duration, heap before and after", async () => {
    const gcLine = /\[INFO\] gc: \w+ \d+\.\d\d ms, heap used [\d.]+ MiB -> [\d.]+ MiB \(heap size/;
    // A child writing 50 MB: circusd reads it all, which allocates, which collects.
    const noisy = (dir: string) =>
      sleeperSection(
        dir,
        "noisy",
        {},
        `/bin/sh -c "head -c 50000000 /dev/zero; echo; echo done; exec sleep 1000"`,
      );
    const d = startCircusd((dir) => `[circus]\ndebug_gc = true\n\n${noisy(dir)}`);
    await d.waitForLog(gcLine, { timeout: 60_000 });

    const quiet = startCircusd((dir) => `[circus]\ndebug_gc = false\n\n${noisy(dir)}`);
    const c = await connect(quiet);
    // The same 50 MB went through this one: no gc line.
    await waitFor(
      async () => {
        const reply = await c.call("logs", { name: "noisy", lines: 1 });
        return (reply.logs as { line: string }[]).some((l) => l.line === "done");
      },
      { timeout: 60_000, message: "the noisy child's last line" },
    );
    assert.ok(!quiet.lines.some((line) => gcLine.test(line)), quiet.log);
  });
});

describe("[circus] multicast_endpoint", () => {
  test("a datagram to the group gets the control endpoint back; globaloptions reports the option", async () => {
    const port = await freeUdpPort();
    const group = "239.255.42.7";
    const d = startCircusd(
      (dir) =>
        `[circus]\nmulticast_endpoint = udp://${group}:${port}\n\n${sleeperSection(dir, "s")}`,
    );
    const c = await connect(d);
    const endpoint = (await c.call("globaloptions", { option: "endpoint" })).options as {
      endpoint: string;
    };
    // Python's json.dumps, byte for byte.
    const expected = `{"endpoint": "${endpoint.endpoint}"}`;
    // Through the group (this sandbox routes multicast and loops it back)...
    assert.equal((await ask(group, port)).text, expected);
    // ... and to the port directly, as circusd binds it on every address.
    assert.equal((await ask("127.0.0.1", port)).text, expected);
    const options = (await c.call("globaloptions")).options as Record<string, unknown>;
    assert.equal(options.multicast_endpoint, `udp://${group}:${port}`);
  });

  test("empty: no discovery, and globaloptions reports it empty, as Circus", async () => {
    const d = startCircusd(
      (dir) => `[circus]\nmulticast_endpoint =\n\n${sleeperSection(dir, "s")}`,
    );
    const c = await connect(d);
    const options = (await c.call("globaloptions")).options as Record<string, unknown>;
    assert.equal(options.multicast_endpoint, "");
  });

  test("a malformed value is refused at startup naming file, section and option", async () => {
    const dir = makeTempDir();
    const multicast = " with a multicast address, from 224.0.0.0 to 239.255.255.255";
    // [value, what the line says after "expected udp://A.B.C.D:PORT"]
    const cases: [string, string][] = [
      ["udp://10.1.2.3:5000", multicast],
      ["udp://240.0.0.1:5000", multicast],
      ["udp://239.300.0.1:5000", " (an IPv4 address)"],
      ["tcp://239.1.2.3:5000", ""],
      ["udp://239.1.2.3", ""],
      ["udp://239.1.2.3:0", " with a port from 1 to 65535"],
    ];
    for (const [value, why] of cases) {
      const file = writeConfig(dir, `[circus]\nmulticast_endpoint = ${value}\n`);
      const expected = `${file}:4: [circus] multicast_endpoint: expected udp://A.B.C.D:PORT${why}, got "${value}"`;
      assert.equal(await refusal(file, dir), expected);
    }
  });

  test("a port that cannot be bound: Circus's warning, and circusd runs on without discovery", async () => {
    // Bound without SO_REUSEADDR: circusd's shared bind of the same port fails.
    const holder = await udpSocket(0, true);
    const { port } = holder.address();
    const d = startCircusd(
      (dir) =>
        `[circus]\nmulticast_endpoint = udp://239.255.42.8:${port}\n\n${sleeperSection(dir, "s")}`,
    );
    await d.waitForLog(
      /\[WARNING\] Multicast discovery is disabled, there was an error during udp socket creation: bind EADDRINUSE/,
    );
    const c = await connect(d);
    assert.equal((await c.call("status", { name: "s" })).status, "active");
  });

  test("a reload that changes it keeps the running one and says a restart applies it", async () => {
    const [first, second] = [await freeUdpPort(), await freeUdpPort()];
    const text = (dir: string, port: number) =>
      `[circus]\nmulticast_endpoint = udp://239.255.42.9:${port}\n\n${sleeperSection(dir, "s")}`;
    const d = startCircusd((dir) => text(dir, first));
    const c = await connect(d);
    writeConfig(d.dir, text(d.dir, second));
    assert.equal((await c.call("reloadconfig", { waiting: true })).status, "ok");
    await d.waitForLog(/\[WARNING\] \[circus\] multicast_endpoint changed: restart circusd/);
    const options = (await c.call("globaloptions")).options as Record<string, unknown>;
    assert.equal(options.multicast_endpoint, `udp://239.255.42.9:${first}`);
    assert.match((await ask("127.0.0.1", first)).text, /^\{"endpoint": /);
  });
});
