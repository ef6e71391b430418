/**
 * examples/circusd.service, the least-privileged unit the README's "Security" shows, checked
 * by systemd's own verifier: with its paths pointed at this checkout, `systemd-analyze
 * verify` passes it without a single warning (an unknown or misspelt key is one). systemd is
 * one of the programs `npm test` installs (scripts/test-deps.mjs).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { makeTempDir, ROOT } from "./helpers/circusd.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

const UNIT = path.join(ROOT, "examples/circusd.service");

function verify(text: string): { status: number | null; output: string } {
  const file = path.join(makeTempDir(), "circusd.service");
  writeFileSync(file, text);
  const run = spawnSync("systemd-analyze", ["verify", file], { encoding: "utf8", timeout: 30_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}

describe("examples/circusd.service", () => {
  test("systemd-analyze verify passes it without a warning", () => {
    const example = readFileSync(UNIT, "utf8");
    const here = example.replace(
      "/usr/bin/node /opt/circus-ts/dist/cli/circusd.js",
      `${process.execPath} ${path.join(ROOT, "dist/cli/circusd.js")}`,
    );
    assert.notEqual(here, example, "the example's ExecStart was found");
    assert.deepEqual(verify(here), { status: 0, output: "" });
    // The verifier does say what is wrong: the check can fail.
    const broken = verify(here.replace("NoNewPrivileges=yes", "NoNewPrivilege=yes"));
    assert.match(broken.output, /Unknown key 'NoNewPrivilege'/);
  });

  test("its stop timeout outlasts circusd's default graceful_timeout (30 s)", () => {
    const text = readFileSync(UNIT, "utf8");
    const timeout = Number(/^TimeoutStopSec=(\d+)$/m.exec(text)?.[1]);
    assert.ok(timeout > 30, `TimeoutStopSec=${timeout}`);
    assert.match(text, /^KillMode=mixed$/m, "SIGTERM to circusd alone, which stops the rest");
    assert.match(text, /^UMask=0077$/m);
  });
});
