/**
 * Compares a normalized record with its golden file: key sets, value types (int and float
 * apart, as Python tells them apart) and values; events in order or as a multiset, as each
 * step says. Differences listed in differences.ts are accepted, with their reason.
 */
import { pythonJson } from "../../src/python/json.js";
import { PyFloat } from "../../src/python/repr.js";
import { DELIBERATE, type Deliberate } from "./differences.js";
import type { Scenario, StepRecord, Transcript } from "./scenario.js";

/** One place where ours and the golden file part. */
export interface Difference {
  scenario: string;
  step: number;
  stepText: string;
  path: string;
  expected: string;
  actual: string;
  /** The deliberate difference that accepts it, if any. */
  accepted?: Deliberate;
}

function kind(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (v instanceof PyFloat) return "float";
  if (typeof v === "number") return "int";
  if (Array.isArray(v)) return "list";
  return typeof v === "object" ? "dict" : typeof v;
}

/** A value as a short text for a report. */
export function show(v: unknown): string {
  if (v === undefined) return "(absent)";
  const text = pythonJson(v);
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}

function diffValues(expected: unknown, actual: unknown, path: string, out: Found): void {
  const ke = kind(expected);
  const ka = kind(actual);
  if (ke !== ka) {
    out.push({ path, expected: `${show(expected)} (${ke})`, actual: `${show(actual)} (${ka})` });
    return;
  }
  if (ke === "dict") {
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    for (const key of new Set([...Object.keys(e), ...Object.keys(a)])) {
      const sub = `${path}.${key}`;
      if (!(key in a)) out.push({ path: sub, expected: show(e[key]), actual: "(absent)" });
      else if (!(key in e)) out.push({ path: sub, expected: "(absent)", actual: show(a[key]) });
      else diffValues(e[key], a[key], sub, out);
    }
    return;
  }
  if (ke === "list") {
    const e = expected as unknown[];
    const a = actual as unknown[];
    if (e.length !== a.length) {
      out.push({ path: `${path}[]`, expected: show(e), actual: show(a) });
      return;
    }
    e.forEach((item, i) => diffValues(item, a[i], `${path}[${i}]`, out));
    return;
  }
  const same =
    ke === "float"
      ? (expected as PyFloat).value === (actual as PyFloat).value
      : expected === actual;
  if (!same) out.push({ path, expected: show(expected), actual: show(actual) });
}

/** Sorts events by their text, for steps whose events may come in any order. */
function canonical(events: StepRecord["events"]): StepRecord["events"] {
  return [...events].sort((a, b) => {
    const x = pythonJson(a, true);
    const y = pythonJson(b, true);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

type Found = { path: string; expected: string; actual: string }[];

/** Whether a deliberate difference is about this step at all (scenario, step text, tag). */
function inScope(d: Deliberate, scenario: string, stepText: string, tag?: string): boolean {
  if (d.scenario && !d.scenario.test(scenario)) return false;
  if (d.step && !d.step.test(stepText)) return false;
  return !d.tag || d.tag === tag;
}

/** Whether a deliberate difference accepts one difference of a step in its scope. */
function accepts(d: Deliberate, diff: Difference, golden: StepRecord | undefined): boolean {
  if (d.extraEvents) return false;
  if (d.goldenReason) {
    const reason = (golden?.reply as Record<string, unknown> | undefined)?.reason;
    if (typeof reason !== "string" || !d.goldenReason.test(reason)) return false;
  }
  if (d.path && !d.path.test(diff.path)) return false;
  return !d.expected || d.expected.test(diff.expected);
}

/**
 * Compares a step's events (in order, or sorted when `unordered`) into `found`. The
 * deliberate differences in `scope` that allow extra events leave those topics out when the
 * two counts differ; the ones that did are returned.
 */
function compareEvents(
  golden: StepRecord["events"],
  actual: StepRecord["events"],
  unordered: boolean,
  scope: Deliberate[],
  found: Found,
): Deliberate[] {
  let ge = unordered ? canonical(golden) : golden;
  let ae = unordered ? canonical(actual) : actual;
  const used: Deliberate[] = [];
  for (const entry of scope) {
    const topics = entry.extraEvents;
    if (!topics) continue;
    const count = (list: StepRecord["events"]) => list.filter((e) => topics.test(e.topic)).length;
    if (count(ge) === count(ae)) continue;
    ge = ge.filter((e) => !topics.test(e.topic));
    ae = ae.filter((e) => !topics.test(e.topic));
    used.push(entry);
  }
  if (ge.length !== ae.length || ge.some((e, j) => e.topic !== ae[j]?.topic))
    found.push({
      path: "events",
      expected: ge.map((e) => e.topic).join(", ") || "(none)",
      actual: ae.map((e) => e.topic).join(", ") || "(none)",
    });
  else ge.forEach((e, j) => diffValues(e.data, ae[j]?.data, `events[${j}]:${e.topic}`, found));
  return used;
}

/** Every difference between a golden record and ours, each marked accepted or not. */
export function compareTranscripts(
  scenario: Scenario,
  golden: Transcript,
  actual: Transcript,
): Difference[] {
  const diffs: Difference[] = [];
  const count = Math.max(golden.steps.length, actual.steps.length);
  for (let i = 0; i < count; i++) {
    const g = golden.steps[i];
    const a = actual.steps[i];
    const source = scenario.steps[i];
    const stepText = g?.step ?? a?.step ?? "?";
    const tag = source && "tag" in source ? source.tag : undefined;
    const scope = DELIBERATE.filter((d) => inScope(d, scenario.name, stepText, tag));
    const at = { scenario: scenario.name, step: i, stepText };
    const found: Found = [];
    if (!g || !a) {
      found.push({ path: "step", expected: show(g?.step), actual: show(a?.step) });
    } else {
      if (g.reply !== undefined || a.reply !== undefined)
        diffValues(g.reply, a.reply, "reply", found);
      if (g.output || a.output) diffValues(g.output, a.output, "output", found);
      const order = (source && "events" in source ? source.events : undefined) ?? "ordered";
      if (order !== "ignore")
        for (const accepted of compareEvents(
          g.events,
          a.events,
          order === "unordered",
          scope,
          found,
        ))
          diffs.push({ ...at, path: "events", expected: "", actual: "", accepted });
    }
    for (const f of found) {
      const diff: Difference = { ...at, ...f };
      const accepted = scope.find((d) => accepts(d, diff, g));
      diffs.push(accepted ? { ...diff, accepted } : diff);
    }
  }
  return diffs;
}

/** A report of differences, one per line, for a failing test. */
export function report(diffs: Difference[]): string {
  return diffs
    .map(
      (d) =>
        `  step ${d.step} (${d.stepText})\n    ${d.path}\n      reference: ${d.expected}\n      ours:      ${d.actual}`,
    )
    .join("\n");
}
