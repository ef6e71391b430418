/**
 * The recorder of test/conformance/golden/discovery-udp.json, run by hand where the reference
 * (Circus 0.19) is installed, never by `npm test` (not a *.test.ts of test/):
 *
 *   node --import tsx --test test/record/discovery-reference.ts                # check
 *   CIRCUS_RECORD_GOLDEN=1 node --import tsx --test test/record/discovery-reference.ts  # record
 *
 * The reference circusd answers as the golden file says (or the file is rewritten from what it
 * answers), and our `circusctl discover` finds it and drives it. Root only; `$CIRCUS_REF`
 * names the reference (see test/helpers/discovery-netns.ts).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { before, describe, test } from "node:test";
import { cleanupEachTest } from "../helpers/cleanup.js";
import {
  DEFAULT_PORT,
  GOLDEN,
  type Golden,
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
  startReference,
  waitForCases,
} from "../helpers/discovery-netns.js";

cleanupEachTest();

const RECORD = process.env.CIRCUS_RECORD_GOLDEN === "1";

describe("the reference's discovery answers, recorded", () => {
  before(() => makeNetwork());

  test("the reference (Circus 0.19) answers as the golden file says, and our circusctl discover finds it", async () => {
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
  });
});
