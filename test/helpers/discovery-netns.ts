/**
 * Three "hosts" for the discovery tests: Linux network namespaces whose veth pairs meet on a
 * bridge in a fourth namespace (10.77.0.1-3/24, a multicast route each, nothing on the
 * machine's own network), the daemons started in them (ours, or the reference when recording),
 * the queries asked from one of them, and the golden file of what Circus 0.19 answered.
 * Root only (namespaces, veth, bridge). Every namespace is named after this process's pid and
 * deleted at the end, also when a test fails.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { killMarked, makeTempDir, ROOT, startCircusd, writeConfig } from "./circusd.js";
import { defer } from "./cleanup.js";
import { sleeperSection } from "./control.js";
import { CIRCUSCTL } from "./ctl.js";

/**
 * The reference, for the recorder only (test/record/discovery-reference.ts): `$CIRCUS_REF`, as
 * scripts/conformance.ts takes it, by default ../shared/reference/circus-ref beside the
 * repository. `npm test` never runs it: the golden file stands for it.
 */
export const REFERENCE =
  process.env.CIRCUS_REF ?? path.resolve(ROOT, "../shared/reference/circus-ref");
export const GOLDEN = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "conformance/golden/discovery-udp.json",
);

export const PREFIX = `circus-disc-${process.pid}`;
export const BRIDGE_NS = `${PREFIX}-br`;
export const HOSTS = [1, 2, 3].map((i) => ({ ns: `${PREFIX}-h${i}`, address: `10.77.0.${i}` }));
export const [H1, H2, H3] = HOSTS as [(typeof HOSTS)[0], (typeof HOSTS)[0], (typeof HOSTS)[0]];
export const GROUP = "237.219.251.97";
export const DEFAULT_PORT = 12027;

/** Runs `ip ARGS`; throws with its stderr when it fails. */
export function ip(...args: string[]): void {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  if (r.error) throw new Error(`ip ${args.join(" ")}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr.trim()}`);
}

/** Deletes this run's namespaces (those that exist); their veths and bridge go with them. */
export function removeNetwork(): void {
  const list = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "";
  const ours = list
    .split("\n")
    .map((line) => line.split(" ")[0] as string)
    .filter((name) => name.startsWith(`${PREFIX}-`));
  for (const name of ours) spawnSync("ip", ["netns", "del", name]);
}

/** The bridge and the three hosts; removed after the file (deferred before anything is made). */
export function makeNetwork(): void {
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

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `argv` inside namespace `ns` to completion (killed after `timeout` ms). */
export async function runIn(ns: string, argv: string[], timeout = 30_000): Promise<Ran> {
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
export const circusctl = (ns: string, ...args: string[]) =>
  runIn(ns, [process.execPath, CIRCUSCTL, ...args]);

/** One datagram sent, and every answer it got: who sent it (ADDRESS:PORT) and its bytes. */
export interface Query {
  /** The datagram, as latin1 text (the payloads here are ASCII)... */
  payload: string;
  /** ... that many times over (1 by default). */
  repeat?: number;
  /** The group (multicast) or the daemon's own address (unicast). */
  to: "group" | "unicast";
  port: number;
}
export interface Answer {
  from: string;
  data: string;
}

/**
 * Sends each query from a fresh socket in `ns` and collects what comes back for `waitMs`
 * (the answers sorted by sender). With `untilMs`, re-sends until an answer comes, that long
 * at most: a daemon that just started.
 */
export const QUERY_SCRIPT = `
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

export async function ask(
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
export const REFERENCE_QUERY = '""';

/** One daemon config of the golden file: its endpoints, and the queries it is asked. */
export interface GoldenCase {
  name: string;
  endpoint: string;
  pubsub: string;
  multicastPort: number;
  queries: Query[];
  /** Per query, what the reference answered. */
  answers?: Answer[][];
}

/** The cases, each a daemon in h1; all run at once (different ports). */
export function goldenCases(): GoldenCase[] {
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
export function caseConfig(
  dir: string,
  c: Pick<GoldenCase, "endpoint" | "pubsub" | "multicastPort">,
) {
  return (
    `[circus]\nendpoint = ${c.endpoint}\npubsub_endpoint = ${c.pubsub}\n` +
    `multicast_endpoint = udp://${GROUP}:${c.multicastPort}\n\n${sleeperSection(dir, "s")}`
  );
}

/** Our circusd in `ns`; waits until it answers on its group. */
export async function startOurs(
  host: (typeof HOSTS)[0],
  c: Pick<GoldenCase, "endpoint" | "pubsub" | "multicastPort">,
) {
  const d = startCircusd((dir) => caseConfig(dir, c), { netns: host.ns });
  await d.waitForLog(/Arbiter now waiting for commands/, { timeout: 30_000 });
  return d;
}

/** The reference circusd in `ns`, stopped (SIGTERM, then SIGKILL) after the test. */
export function startReference(
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
export async function waitForCases(cases: GoldenCase[], what: () => string): Promise<void> {
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
export async function answersOf(cases: GoldenCase[]): Promise<Answer[][][]> {
  return Promise.all(cases.map((c) => ask(H3.ns, H1.address, c.queries)));
}

export interface Golden {
  _: string;
  query: string;
  cases: GoldenCase[];
}

export function readGolden(): Golden {
  return JSON.parse(readFileSync(GOLDEN, "utf8")) as Golden;
}
