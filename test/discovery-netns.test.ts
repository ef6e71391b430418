/**
 * Cluster discovery on a real network: three "hosts", Linux network namespaces whose veth
 * pairs meet on a bridge in a fourth namespace (10.77.0.1-3/24, a multicast route each,
 * nothing on the machine's own network). Our circusd answers in two of them and
 * `circusctl discover` in the third lists both, then drives each across namespaces.
 *
 * The wire is judged against Circus 0.19: golden/discovery-udp.json holds what the reference
 * circusd answered to the reference's query (and to odd ones), and our circusd must answer
 * the same bytes from the same address and port. CI has no reference: the golden file is the
 * reference there. Where /work/shared/reference/circus-ref exists, the reference runs too: its
 * answers must still be the golden ones (CIRCUS_RECORD_GOLDEN=1 rewrites the file from them),
 * and our `circusctl discover` must find it.
 *
 * Root only (namespaces, veth, bridge): skipped otherwise, saying so. Every namespace is named
 * after this process's pid and deleted at the end, also when a test fails.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { killMarked, makeTempDir, startCircusd, writeConfig } from "./helpers/circusd.js";
import { cleanupEachTest, defer } from "./helpers/cleanup.js";
import { sleeperSection } from "./helpers/control.js";
import { CIRCUSCTL } from "./helpers/ctl.js";

cleanupEachTest();

const ROOT_USER = process.getuid?.() === 0;
const SKIP = ROOT_USER ? false : "needs root: it makes network namespaces, veth pairs and a bridge";
/**
 * The reference, where it is installed (not in CI: the golden file stands for it there);
 * $CIRCUS_REFERENCE names another place (a path that does not exist: run as CI does).
 */
const REFERENCE = process.env.CIRCUS_REFERENCE ?? "/work/shared/reference/circus-ref";
const HAVE_REFERENCE = existsSync(REFERENCE);
const RECORD = process.env.CIRCUS_RECORD_GOLDEN === "1";
const GOLDEN = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "conformance/golden/discovery-udp.json",
);

const PREFIX = `circus-disc-${process.pid}`;
const BRIDGE_NS = `${PREFIX}-br`;
const HOSTS = [1, 2, 3].map((i) => ({ ns: `${PREFIX}-h${i}`, address: `10.77.0.${i}` }));
const [H1, H2, H3] = HOSTS as [(typeof HOSTS)[0], (typeof HOSTS)[0], (typeof HOSTS)[0]];
const GROUP = "237.219.251.97";
const DEFAULT_PORT = 12027;

/** Runs `ip ARGS`; throws with its stderr when it fails. */
function ip(...args: string[]): void {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  if (r.error) throw new Error(`ip ${args.join(" ")}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr.trim()}`);
}

/** Deletes this run's namespaces (those that exist); their veths and bridge go with them. */
function removeNetwork(): void {
  const list = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "";
  const ours = list
    .split("\n")
    .map((line) => line.split(" ")[0] as string)
    .filter((name) => name.startsWith(`${PREFIX}-`));
  for (const name of ours) spawnSync("ip", ["netns", "del", name]);
}

/** The bridge and the three hosts; removed after the file (deferred before anything is made). */
function makeNetwork(): void {
  defer(removeNetwork);
  ip("netns", "add", BRIDGE_NS);
  ip("-n", BRIDGE_NS, "link", "set", "lo", "up");
  // No IGMP snooping: the bridge floods multicast to every port, as a plain switch does.
  ip("-n", BRIDGE_NS, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0");
  ip("-n", BRIDGE_NS, "link", "set", "br0", "up");
  HOSTS.forEach(({ ns, address }, i) => {
    const port = `p${i + 1}`;
    ip("netns", "add", ns);
    ip("-n", ns, "link", "set", "lo", "up");
    ip("-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", port, "netns", BRIDGE_NS);
    ip("-n", BRIDGE_NS, "link", "set", port, "master", "br0");
    ip("-n", BRIDGE_NS, "link", "set", port, "up");
    ip("-n", ns, "addr", "add", `${address}/24`, "dev", "eth0");
    ip("-n", ns, "link", "set", "eth0", "up");
    // Multicast goes out eth0 (there is no default route).
    ip("-n", ns, "route", "add", "224.0.0.0/4", "dev", "eth0");
  });
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `argv` inside namespace `ns` to completion (killed after `timeout` ms). */
async function runIn(ns: string, argv: string[], timeout = 30_000): Promise<Ran> {
  const child = spawn("ip", ["netns", "exec", ns, ...argv], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeout);
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Our circusctl, run in `ns`. */
const circusctl = (ns: string, ...args: string[]) =>
  runIn(ns, [process.execPath, CIRCUSCTL, ...args]);

/** One datagram sent, and every answer it got: who sent it (ADDRESS:PORT) and its bytes. */
interface Query {
  /** The datagram, as latin1 text (the payloads here are ASCII)... */
  payload: string;
  /** ... that many times over (1 by default). */
  repeat?: number;
  /** The group (multicast) or the daemon's own address (unicast). */
  to: "group" | "unicast";
  port: number;
}
interface Answer {
  from: string;
  data: string;
}

/**
 * Sends each query from a fresh socket in `ns` and collects what comes back for `waitMs`
 * (the answers sorted by sender). With `untilMs`, re-sends until an answer comes, that long
 * at most: a daemon that just started.
 */
const QUERY_SCRIPT = `
const dgram = require("node:dgram");
const [queries, waitMs, untilMs] = JSON.parse(process.argv[1]);
(async () => {
  const out = [];
  for (const q of queries) {
    const socket = dgram.createSocket("udp4");
    const answers = [];
    socket.on("message", (m, r) => answers.push({ from: r.address + ":" + r.port, data: m.toString("latin1") }));
    await new Promise((resolve) => socket.bind(0, "0.0.0.0", resolve));
    socket.setMulticastTTL(255);
    const deadline = Date.now() + untilMs;
    do {
      await new Promise((resolve, reject) =>
        socket.send(Buffer.from(q.payload, "latin1"), q.port, q.host, (e) => (e ? reject(e) : resolve())));
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    } while (answers.length === 0 && Date.now() < deadline);
    socket.close();
    answers.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
    out.push(answers);
  }
  process.stdout.write(JSON.stringify(out));
})();
`;

async function ask(
  ns: string,
  daemonAddress: string,
  queries: Query[],
  { waitMs = 500, untilMs = 0 } = {},
): Promise<Answer[][]> {
  const wire = queries.map((q) => ({
    payload: q.payload.repeat(q.repeat ?? 1),
    port: q.port,
    host: q.to === "group" ? GROUP : daemonAddress,
  }));
  const r = await runIn(ns, [
    process.execPath,
    "-e",
    QUERY_SCRIPT,
    JSON.stringify([wire, waitMs, untilMs]),
  ]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Answer[][];
}

/** The reference's own query: `json.dumps('')` (tests/test_arbiter.py, its only client). */
const REFERENCE_QUERY = '""';

/** One daemon config of the golden file: its endpoints, and the queries it is asked. */
interface GoldenCase {
  name: string;
  endpoint: string;
  pubsub: string;
  multicastPort: number;
  queries: Query[];
  /** Per query, what the reference answered. */
  answers?: Answer[][];
}

/** The cases, each a daemon in h1; all run at once (different ports). */
function goldenCases(): GoldenCase[] {
  const q = (port: number, payload = REFERENCE_QUERY, to: Query["to"] = "group"): Query => ({
    payload,
    to,
    port,
  });
  return [
    {
      name: "an endpoint on h1's address",
      endpoint: "tcp://10.77.0.1:5555",
      pubsub: "tcp://10.77.0.1:5556",
      multicastPort: DEFAULT_PORT,
      queries: [
        q(DEFAULT_PORT),
        q(DEFAULT_PORT, ""),
        q(DEFAULT_PORT, '{"command": "status", "properties": {}}'),
        // Longer than the reference's recvfrom(1024): answered all the same.
        { ...q(DEFAULT_PORT, "x"), repeat: 3000 },
        q(DEFAULT_PORT, REFERENCE_QUERY, "unicast"),
      ],
    },
    {
      name: "every address",
      endpoint: "tcp://0.0.0.0:5565",
      pubsub: "tcp://0.0.0.0:5566",
      multicastPort: DEFAULT_PORT + 1,
      queries: [q(DEFAULT_PORT + 1)],
    },
    {
      name: "loopback",
      endpoint: "tcp://127.0.0.1:5575",
      pubsub: "tcp://127.0.0.1:5576",
      multicastPort: DEFAULT_PORT + 2,
      queries: [q(DEFAULT_PORT + 2)],
    },
    {
      name: "an ipc path with a non-ASCII character",
      endpoint: "ipc://circus-disc-\u00e9.sock",
      pubsub: "ipc://circus-disc-pub.sock",
      multicastPort: DEFAULT_PORT + 3,
      queries: [q(DEFAULT_PORT + 3)],
    },
  ];
}

/** A config of a case: its endpoints, its group, one sleeper watcher `s`. */
function caseConfig(dir: string, c: Pick<GoldenCase, "endpoint" | "pubsub" | "multicastPort">) {
  return (
    `[circus]\nendpoint = ${c.endpoint}\npubsub_endpoint = ${c.pubsub}\n` +
    `multicast_endpoint = udp://${GROUP}:${c.multicastPort}\n\n${sleeperSection(dir, "s")}`
  );
}

/** Our circusd in `ns`; waits until it answers on its group. */
async function startOurs(
  host: (typeof HOSTS)[0],
  c: Pick<GoldenCase, "endpoint" | "pubsub" | "multicastPort">,
) {
  const d = startCircusd((dir) => caseConfig(dir, c), { netns: host.ns });
  await d.waitForLog(/Arbiter now waiting for commands/, { timeout: 30_000 });
  return d;
}

/** The reference circusd in `ns`, stopped (SIGTERM, then SIGKILL) after the test. */
function startReference(
  host: (typeof HOSTS)[0],
  c: Pick<GoldenCase, "endpoint" | "pubsub" | "multicastPort">,
) {
  const dir = makeTempDir();
  const file = writeConfig(dir, caseConfig(dir, c));
  const child = spawn("ip", ["netns", "exec", host.ns, REFERENCE, "circusd", file], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (log += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (log += s));
  const exited = new Promise((resolve) => child.once("close", resolve));
  defer(async () => {
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
    await killMarked(dir);
  });
  return { log: () => log };
}

/** Waits until every case's daemon in h1 answers from h3. */
async function waitForCases(cases: GoldenCase[], what: () => string): Promise<void> {
  for (const c of cases) {
    const [answers] = await ask(
      H3.ns,
      H1.address,
      [{ payload: REFERENCE_QUERY, to: "group", port: c.multicastPort }],
      { waitMs: 200, untilMs: 30_000 },
    );
    assert.ok((answers ?? []).length > 0, `no answer for ${c.name}: ${what()}`);
  }
}

/** What each case's daemon answered to each of its queries. */
async function answersOf(cases: GoldenCase[]): Promise<Answer[][][]> {
  return Promise.all(cases.map((c) => ask(H3.ns, H1.address, c.queries)));
}

interface Golden {
  _: string;
  query: string;
  cases: GoldenCase[];
}

function readGolden(): Golden {
  return JSON.parse(readFileSync(GOLDEN, "utf8")) as Golden;
}

describe("multicast discovery across network namespaces", { skip: SKIP }, () => {
  before(() => makeNetwork());

  test(
    "the reference (Circus 0.19) answers as the golden file says, and our circusctl discover finds it",
    {
      skip: HAVE_REFERENCE
        ? false
        : `no reference here (${REFERENCE}): CI checks ours against the golden file`,
    },
    async () => {
      const cases = goldenCases();
      const refs = cases.map((c) => startReference(H1, c));
      await waitForCases(cases, () => refs.map((r) => r.log()).join("\n"));
      const answers = await answersOf(cases);
      if (RECORD) {
        const golden: Golden = {
          _:
            "What Circus 0.19's circusd (circus-ref) answered on a network of namespaces, " +
            "recorded by test/discovery-netns.test.ts with CIRCUS_RECORD_GOLDEN=1: per case " +
            "(a daemon in 10.77.0.1, asked from 10.77.0.3), per query, every answer " +
            "(sender ADDRESS:PORT, payload as latin1).",
          query: REFERENCE_QUERY,
          cases: cases.map((c, i) => ({ ...c, answers: answers[i] })),
        };
        writeFileSync(GOLDEN, JSON.stringify(golden, null, 2) + "\n");
      }
      const golden = readGolden();
      assert.deepEqual(
        answers,
        golden.cases.map((c) => c.answers),
      );

      // (a) Our circusctl finds the reference in h1, and ours in h2, from h3; and drives both.
      await startOurs(H2, {
        endpoint: "tcp://10.77.0.2:5555",
        pubsub: "tcp://10.77.0.2:5556",
        multicastPort: DEFAULT_PORT,
      });
      await ask(H3.ns, H2.address, [{ payload: "", to: "unicast", port: DEFAULT_PORT }], {
        waitMs: 200,
        untilMs: 30_000,
      });
      const found = await circusctl(H3.ns, "discover");
      assert.equal(found.code, 0, found.stderr);
      assert.deepEqual(found.stdout.split("\n").filter(Boolean).sort(), [
        "tcp://10.77.0.1:5555",
        "tcp://10.77.0.2:5555",
      ]);
      const status = await circusctl(H3.ns, "--endpoint", "tcp://10.77.0.1:5555", "status");
      assert.equal(status.stdout, "s: active\n", status.stderr);
    },
  );

  test("our circusd answers each query with the reference's bytes, from the same address and port", async () => {
    const golden = readGolden();
    assert.equal(golden.query, REFERENCE_QUERY);
    const cases = golden.cases;
    assert.equal(cases.length, goldenCases().length, "the golden file has every case");
    const ours = await Promise.all(cases.map((c) => startOurs(H1, c)));
    await waitForCases(cases, () => ours.map((d) => d.log).join("\n"));
    assert.deepEqual(
      await answersOf(cases),
      cases.map((c) => c.answers),
    );
  });

  test("circusctl discover in h3 lists the daemons of h1 and h2; status goes across namespaces", async () => {
    const [one, two] = [H1, H2].map((h) => ({
      endpoint: `tcp://${h.address}:5555`,
      pubsub: `tcp://${h.address}:5556`,
      multicastPort: DEFAULT_PORT,
    }));
    await Promise.all([startOurs(H1, one!), startOurs(H2, two!)]);
    // Both answer before circusctl's one-second look (a daemon just started may not yet).
    for (const h of [H1, H2])
      await ask(H3.ns, h.address, [{ payload: "", to: "unicast", port: DEFAULT_PORT }], {
        waitMs: 200,
        untilMs: 30_000,
      });

    const plain = await circusctl(H3.ns, "discover");
    assert.equal(plain.code, 0, plain.stderr);
    const endpoints = plain.stdout.split("\n").filter(Boolean);
    assert.deepEqual([...endpoints].sort(), ["tcp://10.77.0.1:5555", "tcp://10.77.0.2:5555"]);

    const json = await circusctl(H3.ns, "--json", "discover", "--timeout", "0.5");
    assert.equal(json.code, 0, json.stderr);
    const list = JSON.parse(json.stdout) as { endpoint: string; from: string }[];
    assert.deepEqual(
      [...list].sort((a, b) => a.from.localeCompare(b.from)),
      [
        { endpoint: "tcp://10.77.0.1:5555", from: "10.77.0.1" },
        { endpoint: "tcp://10.77.0.2:5555", from: "10.77.0.2" },
      ],
    );

    for (const endpoint of endpoints) {
      const status = await circusctl(H3.ns, "--endpoint", endpoint, "status");
      assert.equal(status.code, 0, status.stderr);
      assert.equal(status.stdout, "s: active\n");
    }

    // Nobody on another port: said on stderr, exit 1; --json says [] and 0.
    const none = await circusctl(
      H3.ns,
      "discover",
      "--multicast",
      `udp://${GROUP}:12099`,
      "--timeout",
      "0.3",
    );
    assert.equal(none.code, 1);
    assert.equal(none.stdout, "");
    assert.equal(
      none.stderr,
      `circusctl: no circusd answered on udp://${GROUP}:12099 within 0.3s\n`,
    );
    const empty = await circusctl(
      H3.ns,
      "--json",
      "discover",
      "--multicast",
      `udp://${GROUP}:12099`,
      "--timeout",
      "0.3",
    );
    assert.equal(empty.stdout, "[]\n");
  });

  test("a daemon bound on every address is listed at the address it answered from", async () => {
    await startOurs(H2, {
      endpoint: "tcp://0.0.0.0:5555",
      pubsub: "tcp://0.0.0.0:5556",
      multicastPort: DEFAULT_PORT,
    });
    await ask(H3.ns, H2.address, [{ payload: "", to: "unicast", port: DEFAULT_PORT }], {
      waitMs: 200,
      untilMs: 30_000,
    });
    const plain = await circusctl(H3.ns, "discover");
    assert.equal(plain.stdout, "tcp://10.77.0.2:5555\n", plain.stderr);
    const json = await circusctl(H3.ns, "--json", "discover");
    assert.deepEqual(JSON.parse(json.stdout), [
      { endpoint: "tcp://0.0.0.0:5555", from: "10.77.0.2" },
    ]);
    const status = await circusctl(H3.ns, "--endpoint", "tcp://10.77.0.2:5555", "status");
    assert.equal(status.stdout, "s: active\n", status.stderr);
  });
});
