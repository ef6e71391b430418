/**
 * Cluster discovery on a real network (test/helpers/discovery-netns.ts: three "hosts" made of
 * network namespaces on a bridge). Our circusd answers in two of them and `circusctl discover`
 * in the third lists both, then drives each across namespaces.
 *
 * The wire is judged against Circus 0.19: test/conformance/golden/discovery-udp.json holds what
 * the reference circusd answered to the reference's query (and to odd ones), recorded where the
 * reference runs by test/record/discovery-reference.ts; our circusd must answer the same bytes
 * from the same address and port.
 *
 * Root only, as `npm test` is (namespaces, veth pairs and a bridge): it fails, saying so, when
 * not root rather than pass having checked nothing.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { cleanupEachTest } from "./helpers/cleanup.js";
import {
  DEFAULT_PORT,
  GROUP,
  H1,
  H2,
  H3,
  REFERENCE_QUERY,
  answersOf,
  ask,
  circusctl,
  goldenCases,
  makeNetwork,
  readGolden,
  startOurs,
  waitForCases,
} from "./helpers/discovery-netns.js";

cleanupEachTest();

describe("multicast discovery across network namespaces", () => {
  before(() => {
    assert.equal(
      process.getuid?.(),
      0,
      "needs root: it makes network namespaces, veth pairs and a bridge",
    );
    makeNetwork();
  });

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
