/**
 * SIGHUP: circusd re-reads its config file and applies the difference: new watchers start,
 * removed ones stop, changed ones restart, a numprocesses change is applied in place, and
 * the unchanged watchers are gracefully reloaded (new processes, then the old ones stopped).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  isAlive,
  isGone,
  makeTempDir,
  readRecords,
  startCircusd,
  starts,
  waitFor,
  waitForStarts,
  workerSection,
  writeConfig,
} from "./helpers/circusd.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

describe("SIGHUP reloads the config file", () => {
  test("added, removed, changed, resized and unchanged watchers", async () => {
    const dir = makeTempDir();
    const before =
      workerSection(dir, "keep") +
      workerSection(dir, "scale", { numprocesses: 1 }) +
      workerSection(dir, "change", {}, "--tag v1") +
      workerSection(dir, "remove");
    const d = startCircusd(before, { dir });
    const [keep] = await waitForStarts(d.path("keep.jsonl"), 1);
    const [scale] = await waitForStarts(d.path("scale.jsonl"), 1);
    const [change] = await waitForStarts(d.path("change.jsonl"), 1);
    const [remove] = await waitForStarts(d.path("remove.jsonl"), 1);
    assert.ok(keep && scale && change && remove);
    await d.waitForLog(/Arbiter now waiting for commands/);

    writeConfig(
      dir,
      workerSection(dir, "keep") +
        workerSection(dir, "scale", { numprocesses: 3 }) +
        workerSection(dir, "change", {}, "--tag v2") +
        workerSection(dir, "added"),
    );
    d.kill("SIGHUP");
    await d.waitForLog(
      /config reloaded: added \[added\] removed \[remove\] changed \[change\] resized \[scale\]/,
    );

    // A new watcher starts.
    const [added] = await waitForStarts(d.path("added.jsonl"), 1);
    assert.ok(added && isAlive(added.pid));

    // A removed watcher is stopped with its stop signal.
    await waitFor(() => isGone(remove.pid), { message: "the removed watcher's process to end" });
    assert.ok(
      readRecords(d.path("remove.jsonl")).some(
        (r) => r.event === "signal" && r.signal === "SIGTERM",
      ),
    );

    // A changed watcher is restarted with its new options.
    const changed = await waitForStarts(d.path("change.jsonl"), 2);
    assert.equal(changed[1]?.tag, "v2");
    await waitFor(() => isGone(change.pid), { message: "the old changed process to end" });

    // A numprocesses change is applied in place (wids 2 and 3 join wid 1); then, as every
    // watcher that was not restarted, the watcher is gracefully reloaded: three new
    // processes, and the old ones stopped.
    await waitFor(
      () =>
        isGone(scale.pid) &&
        starts(d.path("scale.jsonl")).filter((r) => isAlive(r.pid)).length === 3,
      { message: "the resized watcher to run 3 new processes" },
    );
    // An unchanged watcher is gracefully reloaded: a new process, then the old one stops.
    const kept = await waitForStarts(d.path("keep.jsonl"), 2);
    const fresh = kept[1];
    assert.ok(fresh && fresh.pid !== keep.pid);
    await waitFor(() => isGone(keep.pid), { message: "the reloaded watcher's old process to end" });
    assert.ok(isAlive(fresh.pid));
    await d.waitForLog(/keep reloaded/);

    // Everything adds up: keep 1, scale 3, change 1, added 1.
    await d.waitForChildren(6);
    assert.equal(d.exitStatus, null);
  });

  test("send_hup = true: an unchanged watcher's processes get SIGHUP and keep their pids", async () => {
    const dir = makeTempDir();
    const d = startCircusd(workerSection(dir, "huppy", { numprocesses: 2, send_hup: true }), {
      dir,
    });
    const out = d.path("huppy.jsonl");
    const first = await waitForStarts(out, 2);
    await d.waitForLog(/Arbiter now waiting for commands/);
    d.kill("SIGHUP");
    await waitFor(
      () =>
        first.every((r) =>
          readRecords(out).some(
            (s) => s.event === "signal" && s.signal === "SIGHUP" && s.pid === r.pid,
          ),
        ),
      { message: "both processes to receive SIGHUP" },
    );
    for (const r of first) assert.ok(isAlive(r.pid));
    assert.equal(starts(out).length, 2, "no process was replaced");
    assert.deepEqual(
      d
        .children()
        .map((c) => c.pid)
        .sort(),
      first.map((r) => r.pid).sort(),
    );
  });

  test("a config that no longer parses is refused and every process keeps running", async () => {
    const dir = makeTempDir();
    const d = startCircusd(workerSection(dir, "steady", { numprocesses: 2 }), { dir });
    const first = await waitForStarts(d.path("steady.jsonl"), 2);
    await d.waitForLog(/Arbiter now waiting for commands/);

    writeConfig(dir, workerSection(dir, "steady") + "this line is not INI\n");
    d.kill("SIGHUP");
    await d.waitForLog(/reload failed, keeping the running config/);
    assert.ok(d.lines.some((l) => /Got signal SIG_HUP/.test(l)));
    for (const r of first) assert.ok(isAlive(r.pid), `process ${r.pid} was stopped`);
    assert.equal(starts(d.path("steady.jsonl")).length, 2, "nothing was respawned");
    assert.deepEqual(
      d
        .children()
        .map((c) => c.pid)
        .sort(),
      first.map((r) => r.pid).sort(),
    );
    assert.deepEqual(await d.stop(), { code: 0, signal: null });
  });
});
