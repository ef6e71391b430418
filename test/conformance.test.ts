/**
 * Conformance with Circus 0.19: every scenario of test/conformance/scenarios is replayed
 * against our circusd and compared with the golden file recorded from the reference
 * (`scripts/conformance.ts record`, where the reference is available): replies, events in
 * order, circusctl's output. Only the differences listed in test/conformance/differences.ts
 * are accepted, and each of those must still show somewhere.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { compareTranscripts, report, type Difference } from "./conformance/compare.js";
import { DELIBERATE } from "./conformance/differences.js";
import { runScenario } from "./conformance/driver.js";
import { readGolden } from "./conformance/golden.js";
import { normalizeTranscript } from "./conformance/normalize.js";
import { SCENARIOS } from "./conformance/scenarios/index.js";
import { OURS } from "./conformance/target.js";
import { ROOT } from "./helpers/circusd.js";

const seen: Difference[] = [];
let ran = 0;

// Scenarios mostly wait (for processes, for events): three at a time keep the file short.
const concurrency = 3;

describe("conformance with Circus 0.19 (golden files)", () => {
  describe("scenarios", { concurrency }, () => {
    for (const scenario of SCENARIOS) {
      test(`${scenario.name}: ${scenario.description}`, async () => {
        assert.ok(existsSync(OURS.circusd[1] as string), "run npm run build first");
        const golden = readGolden(scenario.name);
        const { transcript, context, log } = await runScenario(scenario, OURS, { golden });
        const diffs = compareTranscripts(
          scenario,
          golden,
          normalizeTranscript(transcript, context, scenario),
        );
        seen.push(...diffs);
        ran++;
        const open = diffs.filter((d) => !d.accepted);
        assert.equal(
          open.length,
          0,
          `${open.length} difference(s) from the reference:\n${report(open)}\ncircusd's output:\n${log}`,
        );
      });
    }
  });

  test('README\'s "Where we differ" lists every deliberate difference', () => {
    const words = (text: string) => text.replace(/\s+/g, " ");
    const readme = words(readFileSync(path.join(ROOT, "README.md"), "utf8"));
    const missing = DELIBERATE.filter((d) => !readme.includes(words(d.reason)));
    assert.deepEqual(
      missing.map((d) => d.id),
      [],
      "README lacks these reasons, word for word",
    );
  });

  test("every deliberate difference still shows in some scenario", (t) => {
    if (ran < SCENARIOS.length) {
      t.diagnostic(`only ${ran} of ${SCENARIOS.length} scenarios ran: nothing to say`);
      return;
    }
    const stale = DELIBERATE.filter((d) => !seen.some((diff) => diff.accepted === d));
    assert.deepEqual(
      stale.map((d) => d.id),
      [],
      "deliberate differences no scenario shows any more: remove them (differences.ts, README)",
    );
  });
});
