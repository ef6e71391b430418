/**
 * A watcher's event timeline: spawns, reaps (with the exit code, or the signal when Circus's
 * exit code is minus its number), flapping, start / stop; newest first, the last 200.
 */
import { h } from "../dom.ts";

const KEEP = 200;

const SIGNALS: Record<number, string> = {
  1: "SIGHUP",
  2: "SIGINT",
  3: "SIGQUIT",
  6: "SIGABRT",
  9: "SIGKILL",
  11: "SIGSEGV",
  13: "SIGPIPE",
  14: "SIGALRM",
  15: "SIGTERM",
};

/** A one-line description of an event's data. */
export function describe(action: string, data: Record<string, unknown>): string {
  const pid = data.process_pid ?? data.pid;
  const parts: string[] = [];
  if (pid !== undefined) parts.push(`pid ${String(pid)}`);
  if (action === "reap") {
    const code = data.exit_code;
    if (typeof code === "number" && code < 0)
      parts.push(`killed by ${SIGNALS[-code] ?? `signal ${-code}`}`);
    else if (typeof code === "number") parts.push(`exit code ${code}`);
    else if (data.signal !== undefined) parts.push(`signal ${String(data.signal)}`);
  }
  return parts.join(", ");
}

/** The timeline; `el` goes in the page. */
export class Timeline {
  readonly el: HTMLElement;
  private readonly list: HTMLOListElement;

  constructor() {
    this.list = h("ol", { class: "timeline", "data-testid": "event-timeline" });
    this.el = h("section", { class: "panel" }, h("h3", {}, "Events"), this.list);
  }

  /** Adds an event (`watcher.NAME.ACTION`, or a plugin's topic); time in seconds. */
  add(topic: string, data: Record<string, unknown>, time?: number): void {
    const action = topic.split(".").pop() ?? topic;
    const t = typeof data.time === "number" ? data.time : (time ?? Date.now() / 1000);
    const item = h(
      "li",
      { class: `event event-${action}`, "data-testid": "event", "data-action": action },
      h("time", {}, new Date(t * 1000).toLocaleTimeString()),
      h("span", { class: "event-action" }, action),
      h("span", { class: "event-detail" }, describe(action, data)),
    );
    this.list.prepend(item);
    while (this.list.childElementCount > KEEP) this.list.lastElementChild?.remove();
  }
}
