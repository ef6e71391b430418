/**
 * The live log tail of a watcher: the last 1000 lines, appended once per animation frame
 * (a chatty process sends many small messages), scrolled to the end unless the user scrolled
 * up to read.
 */
import { h } from "../dom.ts";
import type { LogMessage } from "../ws.ts";

const KEEP = 1000;

/** The tail; `el` goes in the page. */
export class LogTail {
  readonly el: HTMLElement;
  private readonly box: HTMLDivElement;
  private pending: HTMLElement[] = [];
  private frame = 0;

  constructor() {
    this.box = h("div", { class: "logtail", "data-testid": "log-tail", role: "log" });
    this.el = h("section", { class: "panel" }, h("h3", {}, "Log"), this.box);
  }

  /** Adds a message's lines. */
  add(m: LogMessage): void {
    for (const line of m.lines) {
      this.pending.push(
        h(
          "div",
          { class: `logline ${m.stream === "stderr" ? "stderr" : ""}`, "data-testid": "log-line" },
          h("span", { class: "logpid" }, String(m.pid)),
          " ",
          line,
        ),
      );
    }
    if (this.pending.length > KEEP) this.pending = this.pending.slice(-KEEP);
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  private flush(): void {
    this.frame = 0;
    const atEnd = this.box.scrollHeight - this.box.scrollTop - this.box.clientHeight < 24;
    this.box.append(...this.pending);
    this.pending = [];
    const extra = this.box.childElementCount - KEEP;
    for (let i = 0; i < extra; i++) this.box.firstElementChild?.remove();
    if (atEnd) this.box.scrollTop = this.box.scrollHeight;
  }
}
