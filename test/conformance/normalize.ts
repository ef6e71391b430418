/**
 * Turns a raw record into what a golden file holds: whatever cannot match between two runs
 * (pids, times, the folder, CPU figures) becomes a placeholder that keeps its type, and the
 * rest stays as it was. Pids become `<pid:N>` numbered by first appearance, so that a reply
 * naming the wrong process still shows.
 */
import { PyFloat } from "../../src/python/repr.js";
import type { RunContext } from "./driver.js";
import { type Scenario, type Step, type StepRecord, type Transcript } from "./scenario.js";

/** Keys whose numbers differ between any two runs. */
const VOLATILE_NUMBERS = new Set([
  "time",
  "timestamp",
  "started",
  "create_time",
  "age",
  "cpu",
  "mem",
  "reads",
]);

/** Keys whose values are pids, or lists of pids. */
const PID_KEYS = new Set([
  "pid",
  "pids",
  "process_pid",
  "process",
  "childpid",
  "child_pid",
  "started",
  "stopped",
  "kept",
]);

const SIZE = /^\d+(\.\d\d)?[BKMGTPEZY]$/;
const CTIME = /^\d+:\d\d\.\d+$/;
const UUID = /\b[0-9a-f]{32}\b/g;
const UNIX_TIME = /\b1\d{9}(\.\d+)?\b/g;

/**
 * The pids of a record, named by the watcher they belong to and their order of first
 * appearance in it (`<web:2>`): processes of different watchers may start in either order,
 * those of one watcher start one after another. Children of processes are `<child:N>`, others
 * `<pid:N>`.
 */
class PidTable {
  private readonly names = new Map<number, string>();
  private readonly counts = new Map<string, number>();

  constructor(daemonPid: number) {
    this.names.set(daemonPid, "<pid:circusd>");
  }

  add(pid: unknown, owner = "pid"): void {
    if (typeof pid !== "number" || !Number.isInteger(pid) || pid <= 1) return;
    if (this.names.has(pid)) return;
    const n = (this.counts.get(owner) ?? 0) + 1;
    this.counts.set(owner, n);
    this.names.set(pid, `<${owner}:${n}>`);
  }

  name(pid: number): string | undefined {
    return this.names.get(pid);
  }

  /** Every known pid written in a text, replaced by its name. */
  replaceIn(text: string): string {
    return text.replace(/\b\d{2,}\b/g, (digits) => this.names.get(Number(digits)) ?? digits);
  }

  /**
   * Finds pids in a reply or an event: by key, and as the keys of a pid -> info mapping;
   * `owner` is the watcher they belong to, when known.
   */
  collect(value: unknown, owner = "pid", key = ""): void {
    if (Array.isArray(value)) {
      for (const item of value) {
        if (PID_KEYS.has(key)) this.add(item, owner);
        this.collect(item, owner);
      }
    } else if (value && typeof value === "object" && !(value instanceof PyFloat)) {
      for (const [k, v] of Object.entries(value)) {
        if (/^\d+$/.test(k) && v && typeof v === "object") this.add(Number(k), owner);
        if (PID_KEYS.has(k)) this.add(v, owner);
        // `infos` of stats maps watcher names to their processes.
        const next = k === "children" ? "child" : key === "infos" ? k.toLowerCase() : owner;
        this.collect(v, next, k);
      }
    }
  }
}

/** The watcher a step is about, as pids it shows belong to: its `name` property or word. */
function ownerOf(step: Step | undefined): string {
  let name: unknown;
  if (step && "call" in step) name = step.props?.name;
  else if (step && "ctl" in step) name = step.ctl[1];
  return typeof name === "string" && /^[\w-]+$/.test(name) ? name.toLowerCase() : "pid";
}

/** The watcher of an event topic (`watcher.NAME.spawn`). */
function topicOwner(topic: string): string {
  return /^watcher\.(.+)\.[^.]+$/.exec(topic)?.[1] ?? "pid";
}

/** A stats step's record: frames of the stats stream (see driver.ts). */
function isStatsRound(reply: unknown): reply is { topic: string; data: unknown }[] {
  return (
    Array.isArray(reply) &&
    reply.every((f) => typeof (f as { topic?: unknown }).topic === "string") &&
    reply.some((f) => (f as { topic: string }).topic.startsWith("stat."))
  );
}

/** The group of a stats topic (`stat.NAME.PID`): the owner of the pids its frames name. */
function statsOwner(topic: string): string {
  return topic.split(".")[1]?.toLowerCase() ?? "pid";
}

/** Normalizes every step of a record (see the module's comment). */
export function normalizeTranscript(
  transcript: Transcript,
  context: RunContext,
  scenario: Scenario,
): Transcript {
  const pids = new PidTable(context.daemonPid);
  transcript.steps.forEach((step, index) => {
    const owner = ownerOf(scenario.steps[index]);
    if (isStatsRound(step.reply)) {
      for (const frame of step.reply) pids.collect(frame.data, statsOwner(frame.topic));
    } else pids.collect(step.reply, owner);
    for (const event of step.events) pids.collect(event.data, topicOwner(event.topic));
    if (step.output && typeof step.output.stdout !== "string")
      pids.collect(step.output.stdout, owner);
  });
  const text = (value: string): string => {
    let out = value.replaceAll(context.tmp, "<tmp>");
    out = out.replaceAll(`:${context.port}`, ":<port>");
    out = out.replace(UUID, "<uuid>");
    out = out.replace(UNIX_TIME, "<time>");
    return pids.replaceIn(out);
  };
  const value = (v: unknown, key = ""): unknown => {
    if (v instanceof PyFloat) return VOLATILE_NUMBERS.has(key) ? "<float>" : v;
    if (typeof v === "number") {
      const name = pids.name(v);
      if (name && key !== "numprocesses") return name;
      if (VOLATILE_NUMBERS.has(key)) return "<int>";
      if (key === "port" && v === context.port) return "<port>";
      if (key === "fd") return "<fd>";
      // A stats frame's subtopic: a pid, or a socket's fd.
      if (key === "subtopic") return "<fd>";
      return v;
    }
    if (typeof v === "string") {
      // A Python traceback: the reference's own source lines, which nothing could match.
      if (key === "tb") return "<traceback>";
      if ((key === "mem_info1" || key === "mem_info2") && SIZE.test(v)) return "<size>";
      if (key === "ctime" && CTIME.test(v)) return "<ctime>";
      return text(v);
    }
    if (Array.isArray(v)) return v.map((item) => value(item, key));
    if (v && typeof v === "object")
      return Object.fromEntries(
        Object.entries(v).map(([k, item]) => [
          /^\d+$/.test(k) ? (pids.name(Number(k)) ?? k) : k,
          value(item, k),
        ]),
      );
    return v;
  };
  const steps = transcript.steps.map((step, index): StepRecord => {
    const out: StepRecord = { step: step.step, events: [] };
    const source = scenario.steps[index];
    const patterns = source && "ctl" in source ? (source.scrub ?? []) : [];
    if (isStatsRound(step.reply))
      out.reply = step.reply.map((frame) => ({
        topic: text(frame.topic).replace(/^stat\.sockets\.\d+$/, "stat.sockets.<fd>"),
        data: value(frame.data),
      }));
    else if (step.reply !== undefined) out.reply = value(step.reply);
    if (step.output)
      out.output = {
        stdout:
          typeof step.output.stdout === "string"
            ? scrub(text(step.output.stdout), patterns)
            : value(step.output.stdout),
        stderr: text(step.output.stderr),
        code: step.output.code,
      };
    out.events = step.events.map((e) => ({ topic: e.topic, data: value(e.data) }));
    return out;
  });
  return { scenario: transcript.scenario, steps };
}

/** Replaces the matches of a step's `scrub` regexes in a text by `<x>`. */
export function scrub(text: string, patterns: string[]): string {
  return patterns.reduce((out, p) => out.replace(new RegExp(p, "gm"), "<x>"), text);
}
