/**
 * `#/d/ID`: a daemon's watchers, with their live CPU / memory (the `stat.WATCHER` aggregate
 * frames), a name filter, the sockets' hits, and for an admin the status toggle (as in
 * Circus's console: click the status to start or stop) and the arbiter's reload / restart.
 */
import { api, type WatcherSummary } from "../api.ts";
import { attempt, type Context, type View } from "../context.ts";
import { fmt, h, replace } from "../dom.ts";
import { readBatch, type Figures } from "../stats.ts";

/** Builds the view. */
export function watchersView(ctx: Context, daemon: string): View {
  const d = encodeURIComponent(daemon);
  const search = h("input", {
    type: "search",
    placeholder: "Filter watchers",
    "data-testid": "watcher-search",
    "aria-label": "Filter watchers",
  });
  const body = h("tbody", {});
  const hits = h("span", { "data-testid": "socket-hits" }, "–");
  const sockets = h("ul", { class: "sockets", "data-testid": "sockets" });
  const actions = h("div", { class: "actions" });
  if (ctx.admin)
    actions.append(
      confirmButton(ctx, "Reload", "arbiter-reload", () => api.arbiter(daemon, "reload"), load),
      confirmButton(ctx, "Restart", "arbiter-restart", () => api.arbiter(daemon, "restart"), load),
      h(
        "a",
        { class: "button", href: `#/d/${d}/add`, "data-testid": "add-watcher-link" },
        "Add watcher",
      ),
    );
  actions.append(
    h("a", { href: `#/d/${d}/options`, "data-testid": "options-link" }, "Global options"),
  );
  const el = h(
    "div",
    { class: "view" },
    h("h2", {}, `Daemon ${daemon}`),
    actions,
    search,
    h(
      "table",
      { class: "grid", "data-testid": "watchers" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", {}, "Watcher"),
          h("th", {}, "Status"),
          h("th", { class: "num" }, "Processes"),
          h("th", { class: "num" }, "CPU %"),
          h("th", { class: "num" }, "Memory %"),
        ),
      ),
      body,
    ),
    h("section", { class: "panel" }, h("h3", {}, "Sockets: ", hits, " hits"), sockets),
  );

  let watchers: WatcherSummary[] = [];
  // The last aggregates, so a re-render (after an event) does not blank the figures.
  const lastFigures = new Map<string, Figures>();
  const rows = new Map<string, { row: HTMLElement; cpu: HTMLElement; mem: HTMLElement }>();

  const render = (): void => {
    const q = search.value.trim().toLowerCase();
    rows.clear();
    replace(
      body,
      ...watchers
        .filter((w) => w.name.toLowerCase().includes(q))
        .map((w) => {
          const last = lastFigures.get(w.name);
          const cpu = h(
            "td",
            { class: "num", "data-testid": `watcher-cpu-${w.name}` },
            fmt(last?.cpu),
          );
          const mem = h(
            "td",
            { class: "num", "data-testid": `watcher-mem-${w.name}` },
            fmt(last?.mem),
          );
          const active = w.status === "active";
          const status = ctx.admin
            ? h(
                "button",
                {
                  class: `pill ${active ? "up" : "down"}`,
                  "data-testid": `watcher-status-${w.name}`,
                  title: active ? "Click to stop" : "Click to start",
                  onclick: () =>
                    void attempt(ctx, () =>
                      api.command(daemon, w.name, active ? "stop" : "start"),
                    ).then(load),
                },
                w.status,
              )
            : h(
                "span",
                {
                  class: `pill ${active ? "up" : "down"}`,
                  "data-testid": `watcher-status-${w.name}`,
                },
                w.status,
              );
          const row = h(
            "tr",
            { "data-testid": `watcher-${w.name}`, "data-status": w.status },
            h(
              "td",
              {},
              h(
                "a",
                {
                  href: `#/d/${d}/w/${encodeURIComponent(w.name)}`,
                  "data-testid": `watcher-link-${w.name}`,
                },
                w.name,
              ),
            ),
            h("td", {}, status),
            h(
              "td",
              { class: "num", "data-testid": `watcher-count-${w.name}` },
              String(w.pids?.length ?? w.numprocesses),
            ),
            cpu,
            mem,
          );
          rows.set(w.name, { row, cpu, mem });
          return row;
        }),
    );
  };
  search.addEventListener("input", render);

  let loading: Promise<boolean> | null = null;
  async function load(): Promise<boolean> {
    loading ??= attempt(ctx, async () => {
      watchers = (await api.watchers(daemon)).sort((a, b) => a.name.localeCompare(b.name));
      render();
    }).finally(() => (loading = null));
    return loading;
  }

  // Spawns, reaps, starts and stops change the list: fetch it again, at most every 300 ms.
  let timer = 0;
  const stop = ctx.socket.listen((m) => {
    if (m.type === "daemon" && m.id === daemon) {
      // While the daemon is down, the table is its last known state: dim it.
      el.classList.toggle("stale", m.state === "down");
      if (m.state === "up") void load();
    }
    if (m.type === "event" && m.daemon === daemon) {
      clearTimeout(timer);
      timer = window.setTimeout(() => void load(), 300);
    }
    if (m.type !== "stats" || m.daemon !== daemon) return;
    const batch = readBatch(m);
    for (const [name, f] of batch.aggregates) {
      lastFigures.set(name, f);
      const r = rows.get(name);
      if (!r) continue;
      r.cpu.textContent = fmt(f.cpu);
      r.mem.textContent = fmt(f.mem);
    }
    if (batch.sockets.total !== null) hits.textContent = String(batch.sockets.total);
    if (batch.sockets.byFd.size > 0)
      replace(
        sockets,
        ...[...batch.sockets.byFd].map(([fd, s]) =>
          h("li", {}, `${s.address} (fd ${fd}): ${s.reads}`),
        ),
      );
  });
  const unsub = ctx.socket.subscribe(daemon, ["stats", "events"]);
  const poll = window.setInterval(() => void load(), 10_000);
  void load();
  return {
    el,
    dispose: () => {
      stop();
      unsub();
      clearTimeout(timer);
      clearInterval(poll);
    },
  };
}

/**
 * A button that asks for a second click (within 4 s) before it runs: restarting every watcher
 * is too big for one stray click, and a `window.confirm` dialog would block browser tests.
 */
export function confirmButton(
  ctx: Context,
  label: string,
  testid: string,
  action: () => Promise<unknown>,
  after: () => unknown,
): HTMLButtonElement {
  let armed = 0;
  const button = h("button", { "data-testid": testid }, label);
  button.addEventListener("click", () => {
    if (!armed) {
      button.textContent = `Click again to ${label.toLowerCase()}`;
      button.classList.add("armed");
      armed = window.setTimeout(() => {
        armed = 0;
        button.textContent = label;
        button.classList.remove("armed");
      }, 4000);
      return;
    }
    clearTimeout(armed);
    armed = 0;
    button.textContent = label;
    button.classList.remove("armed");
    void attempt(ctx, action).then(after);
  });
  return button;
}
