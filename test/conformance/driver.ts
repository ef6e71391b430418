/**
 * Runs a scenario against a target: writes its config into a fresh folder, starts the daemon,
 * listens to every event, plays the steps and records what came back. Pure observation: what
 * the record means is for normalize.ts and compare.ts.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parsePythonJson } from "../../src/python/json.js";
import { waitFor } from "../helpers/circusd.js";
import { freePort } from "../helpers/ctl.js";
import { HOOK_FILES } from "./hooks.js";
import {
  describeStep,
  type Props,
  type Scenario,
  type Step,
  type StepRecord,
  type Transcript,
} from "./scenario.js";
import { Daemon, start, type Running, type Target } from "./target.js";
import { Caller, Listener } from "./wire.js";

/** How long the recorder waits for quiet after a step, by default (ms). */
const DEFAULT_QUIET = 600;

/** What the normalizer needs to know of a run. */
export interface RunContext {
  tmp: string;
  daemonPid: number;
  port: number;
}

/** Options of {@link runScenario}. */
export interface RunOptions {
  /** Replay: wait for as many events per step as the golden file has (instead of quiet). */
  golden?: Transcript;
  /** Keeps the folder (for a look after a failure). */
  keep?: boolean;
}

/** Replaces `{tmp}`, `{port}` and `{hooks:fn}` in a text. */
function fill(text: string, tmp: string, port: number, target: Target): string {
  return text
    .replaceAll("{tmp}", tmp)
    .replaceAll("{port}", String(port))
    .replace(/\{hooks:(\w+)\}/g, (_, fn: string) => target.hook(fn));
}

/** The config file: `[circus]` with ipc endpoints in the folder, then the scenario's sections. */
function configText(scenario: Scenario, tmp: string, port: number, target: Target): string {
  const circus = [
    "[circus]",
    `endpoint = ipc://${tmp}/control.sock`,
    `pubsub_endpoint = ipc://${tmp}/pubsub.sock`,
    ...(scenario.circus ? [fill(scenario.circus, tmp, port, target)] : []),
  ].join("\n");
  return `${circus}\n\n${fill(scenario.config, tmp, port, target)}\n`;
}

/** A dotted path (`pids.0`, `options.numprocesses`) of a value. */
export function pick(value: unknown, dotted: string): unknown {
  let current = value;
  for (const part of dotted.split(".")) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** Replaces `$name` strings in props by saved values. */
function bind(value: unknown, vars: Map<string, unknown>): unknown {
  if (typeof value === "string" && value.startsWith("$") && vars.has(value.slice(1)))
    return vars.get(value.slice(1));
  if (Array.isArray(value)) return value.map((v) => bind(v, vars));
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, bind(v, vars)]));
  return value;
}

function parseReply(text: string | null): unknown {
  if (text === null) return "<no reply>";
  try {
    return parsePythonJson(text);
  } catch {
    return `<not JSON: ${text}>`;
  }
}

/** Waits until the daemon answers and its process count has held still for a moment. */
async function waitReady(caller: Caller, daemon: Daemon): Promise<void> {
  const deadline = Date.now() + 30_000;
  let previous = -1;
  let steady = 0;
  let n = 0;
  while (Date.now() < deadline) {
    if (daemon.exited) throw new Error(`the daemon exited:\n${daemon.output}`);
    const id = `ready-${n++}`;
    const text = await caller.raw(
      JSON.stringify({ id, command: "numprocesses", properties: {} }),
      1000,
      id,
    );
    const count = text === null ? -1 : Number(pick(parseReply(text), "numprocesses"));
    steady = count >= 0 && count === previous ? steady + 1 : 0;
    previous = count;
    if (steady >= 3) return;
    await sleep(150);
  }
  throw new Error(`the daemon did not come up:\n${daemon.output}`);
}

/** Runs one scenario against a target and returns its raw record. */
export async function runScenario(
  scenario: Scenario,
  target: Target,
  options: RunOptions = {},
): Promise<{ transcript: Transcript; context: RunContext; log: string }> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), `conf-${scenario.name}-`));
  const port = await freePort();
  for (const [name, text] of Object.entries(HOOK_FILES))
    writeFileSync(path.join(tmp, name), fill(text, tmp, port, target));
  const configPath = path.join(tmp, "circus.ini");
  writeFileSync(configPath, configText(scenario, tmp, port, target));
  const daemon = new Daemon(target, configPath, tmp);
  const endpoint = `ipc://${tmp}/control.sock`;
  const caller = new Caller(endpoint, target.client);
  const listener = new Listener(`ipc://${tmp}/pubsub.sock`);
  const vars = new Map<string, unknown>();
  const background = new Map<string, Running>();
  const steps: StepRecord[] = [];
  try {
    await waitReady(caller, daemon);
    // Let the subscription reach the publisher and the start-up events pass.
    await listener.settle(0, 500, null);
    let mark = listener.events.length;
    for (const [index, step] of scenario.steps.entries()) {
      const record: StepRecord = { step: describeStep(step), events: [] };
      const began = Date.now();
      await play(step, index, record, {
        caller,
        vars,
        tmp,
        port,
        target,
        endpoint,
        scenario,
        background,
      });
      const golden = options.golden?.steps[index];
      // A refused request changed nothing: no event of the reference's is to be waited for.
      const refused = (record.reply as { status?: unknown } | undefined)?.status === "error";
      const expected = golden ? (refused ? [] : golden.events.map((e) => e.topic)) : null;
      const quiet = "quiet" in step && step.quiet !== undefined ? step.quiet : DEFAULT_QUIET;
      await listener.settle(mark, quiet, expected);
      record.events = listener.events.slice(mark).map(({ topic, data }) => ({ topic, data }));
      if (process.env.CONFORMANCE_DEBUG)
        process.stderr.write(
          `${scenario.name} [${index}] ${record.step}: ${Date.now() - began} ms, ${record.events.map((e) => e.topic).join(" ")}\n`,
        );
      mark = listener.events.length;
      steps.push(record);
    }
  } finally {
    for (const running of background.values()) running.child.kill("SIGKILL");
    caller.close();
    listener.close();
    await daemon.stop();
    if (!options.keep) rmSync(tmp, { recursive: true, force: true });
  }
  return {
    transcript: { scenario: scenario.name, steps },
    context: { tmp, daemonPid: daemon.pid, port },
    log: daemon.output,
  };
}

interface PlayContext {
  caller: Caller;
  /** circusctl commands left running (`listen`), by name. */
  background: Map<string, Running>;
  /** Connections on the pub/sub socket before the first circusctl went to the background. */
  subscribersBefore?: number;
  vars: Map<string, unknown>;
  tmp: string;
  port: number;
  target: Target;
  endpoint: string;
  scenario: Scenario;
}

/** Performs one step and fills in what it returned. */
async function play(
  step: Step,
  index: number,
  record: StepRecord,
  ctx: PlayContext,
): Promise<void> {
  const { caller, vars } = ctx;
  if ("call" in step) {
    const request: Record<string, unknown> = {
      id: `${ctx.scenario.name}-${index}`,
      command: step.call,
      properties: bind(step.props ?? {}, vars) as Props,
    };
    if (step.cast) request.msg_type = "cast";
    const text = await caller.call(request, step.cast ? 300 : 20_000);
    record.reply = step.cast && text === null ? "<no reply>" : parseReply(text);
    for (const [name, dotted] of Object.entries(step.save ?? {}))
      vars.set(name, pick(record.reply, dotted));
  } else if ("raw" in step) {
    record.reply = parseReply(await caller.raw(step.raw, step.noReply ? 500 : 20_000));
  } else if ("ctl" in step) {
    const words = step.ctl.map((w) =>
      w.startsWith("$") && vars.has(w.slice(1))
        ? String(vars.get(w.slice(1)))
        : fill(w, ctx.tmp, ctx.port, ctx.target),
    );
    const endpoint = step.pubsub ? `ipc://${ctx.tmp}/pubsub.sock` : ctx.endpoint;
    const argv = [...ctx.target.circusctl, "--endpoint", endpoint];
    if (step.json) argv.push("--json");
    if (step.background) ctx.subscribersBefore ??= pubsubConnections(ctx.tmp);
    const running = start([...argv, ...words], { cwd: ctx.tmp });
    if (step.background) {
      ctx.background.set(step.background, running);
      return;
    }
    const result = await running.done;
    let stdout: unknown = result.stdout;
    if (step.json) {
      try {
        stdout = parsePythonJson(result.stdout);
      } catch {
        // plain text it is
      }
    }
    record.output = { stdout, stderr: result.stderr, code: result.code };
  } else if ("kill" in step) {
    const pid = vars.get(step.kill.replace(/^\$/, ""));
    process.kill(Number(pid), step.signal);
  } else if ("write" in step) {
    writeFileSync(path.join(ctx.tmp, step.write), fill(step.text, ctx.tmp, ctx.port, ctx.target));
  } else if ("interrupt" in step) {
    const running = ctx.background.get(step.interrupt);
    if (!running) throw new Error(`${describeStep(step)}: nothing runs under that name`);
    running.child.kill("SIGINT");
    record.output = await running.done;
  } else if ("sleep" in step) {
    await sleep(step.sleep);
  } else if ("stats" in step) {
    const stats = new Listener(`ipc://${ctx.tmp}/stats.sock`);
    await sleep(step.stats);
    stats.close();
    record.reply = lastRound(stats.events);
  } else if ("subscribed" in step) {
    const wanted = (ctx.subscribersBefore ?? 0) + step.subscribed;
    await waitFor(() => pubsubConnections(ctx.tmp) >= wanted, {
      timeout: 20_000,
      message: describeStep(step),
    });
  }
}

/**
 * The last frame of each stats topic, grouped by name, each group's processes (by pid) before
 * its aggregate: the publishers' own orders (Circus runs a timer per watcher) do not matter.
 */
function lastRound(frames: { topic: string; data: unknown }[]): { topic: string; data: unknown }[] {
  const last = new Map<string, unknown>();
  for (const { topic, data } of frames) last.set(topic, data);
  const key = (topic: string): [string, number] => {
    const [, name = "", sub] = topic.split(".");
    return [name, sub === undefined ? Infinity : Number(sub)];
  };
  return [...last]
    .map(([topic, data]) => ({ topic, data }))
    .sort((a, b) => {
      const [na, sa] = key(a.topic);
      const [nb, sb] = key(b.topic);
      return na < nb ? -1 : na > nb ? 1 : sa - sb;
    });
}

/** Connections accepted on the scenario's pub/sub socket (`ss`: iproute2, on every Debian). */
function pubsubConnections(tmp: string): number {
  const socket = path.join(tmp, "pubsub.sock");
  return execFileSync("ss", ["-xn", "state", "established"], { encoding: "utf8" })
    .split("\n")
    .filter((line) => line.split(/\s+/).includes(socket)).length;
}
