/**
 * `#/d/ID/w/NAME`: one watcher. Its processes in a virtualized list (live CPU / memory from
 * the `stat.NAME.PID` frames), incr / decr / kill for an admin, live charts, the log tail
 * (`logs:NAME`) and the event timeline (`GET /events`, then live `event` messages).
 */
import { api, type ProcessInfo } from "../api.ts";
import { attempt, type Context, type View } from "../context.ts";
import { fmt, fmtAge, h, replace } from "../dom.ts";
import { ProcessCharts } from "../parts/charts.ts";
import { LogTail } from "../parts/logtail.ts";
import { Timeline } from "../parts/timeline.ts";
import { VirtualList } from "../parts/vlist.ts";
import { readBatch, type Figures } from "../stats.ts";

const ROW = 28;

/** Builds the view. */
export function watcherView(ctx: Context, daemon: string, name: string): View {
  const status = h("span", { class: "pill", "data-testid": "watcher-status" }, "…");
  const count = h("span", { "data-testid": "process-count" }, "–");
  const controls = h("div", { class: "actions" });
  if (ctx.admin)
    controls.append(
      h("button", { "data-testid": "incr", onclick: () => void command("incr") }, "+ Add process"),
      h(
        "button",
        { "data-testid": "decr", onclick: () => void command("decr") },
        "− Remove process",
      ),
      h(
        "button",
        { "data-testid": "watcher-restart", onclick: () => void command("restart") },
        "Restart",
      ),
      h(
        "button",
        { "data-testid": "watcher-reload", onclick: () => void command("reload") },
        "Reload",
      ),
    );

  let processes: ProcessInfo[] = [];
  let live = new Map<number, Figures>();
  const list = new VirtualList<ProcessInfo>(
    ROW,
    {
      create: () => {
        const cells = ["pid", "wid", "age", "cpu", "mem"].map((c) =>
          h("span", { class: `cell cell-${c}` }),
        );
        const kill = ctx.admin ? h("button", { class: "small danger" }, "Kill") : null;
        return h("div", { class: "vrow", role: "listitem" }, ...cells, kill);
      },
      fill: (row, p) => {
        const f = live.get(p.pid);
        row.dataset.testid = `process-${p.pid}`;
        row.dataset.pid = String(p.pid);
        const [pid, wid, age, cpu, mem] = row.children as unknown as HTMLElement[];
        pid!.textContent = String(p.pid);
        wid!.textContent = p.wid === undefined ? "–" : String(p.wid);
        age!.textContent = fmtAge(f?.age ?? p.age);
        cpu!.textContent = fmt(f?.cpu ?? p.cpu);
        mem!.textContent = fmt(f?.mem ?? p.mem);
        const kill = row.querySelector("button");
        if (kill) kill.dataset.testid = `kill-${p.pid}`;
      },
    },
    "process-list",
  );
  // One listener for every row's kill button: rows are recycled, the pid is read at click time.
  list.el.addEventListener("click", (ev) => {
    const button = (ev.target as Element).closest("button");
    const pid = Number(button?.closest<HTMLElement>(".vrow")?.dataset.pid);
    if (button && pid)
      void attempt(ctx, () => api.command(daemon, name, "kill", { pid })).then(() => load());
  });

  const charts = new ProcessCharts();
  const logs = new LogTail();
  const timeline = new Timeline();
  const el = h(
    "div",
    { class: "view" },
    h(
      "h2",
      {},
      h("a", { href: `#/d/${encodeURIComponent(daemon)}` }, `Daemon ${daemon}`),
      " / ",
      name,
      " ",
      status,
    ),
    controls,
    h(
      "section",
      { class: "panel" },
      h("h3", {}, "Processes (", count, ")"),
      h(
        "div",
        { class: "vrow vhead" },
        ...["PID", "WID", "Age", "CPU %", "Mem %"].map((t) => h("span", { class: "cell" }, t)),
        ctx.admin ? h("span", { class: "cell" }) : null,
      ),
      list.el,
    ),
    charts.el,
    h("div", { class: "two" }, logs.el, timeline.el),
  );

  async function command(cmd: string): Promise<void> {
    await attempt(ctx, () => api.command(daemon, name, cmd));
    await load();
  }

  let loading: Promise<boolean> | null = null;
  function load(): Promise<boolean> {
    loading ??= attempt(ctx, async () => {
      const w = await api.watcher(daemon, name);
      replace(status, w.status);
      status.className = `pill ${w.status === "active" ? "up" : "down"}`;
      processes = w.processes.sort((a, b) => a.pid - b.pid);
      count.textContent = String(processes.length);
      list.setItems(processes);
    }).finally(() => (loading = null));
    return loading;
  }

  let timer = 0;
  const prefix = `watcher.${name}.`;
  const stop = ctx.socket.listen((m) => {
    if (m.type === "log" && m.daemon === daemon && m.watcher === name) logs.add(m);
    else if (m.type === "event" && m.daemon === daemon && m.topic.startsWith(prefix)) {
      timeline.add(m.topic, m.data);
      clearTimeout(timer);
      timer = window.setTimeout(() => void load(), 300);
    } else if (m.type === "daemon" && m.id === daemon) {
      // While the daemon is down, what the view shows is its last known state: dim it.
      el.classList.toggle("stale", m.state === "down");
      if (m.state === "up") void load();
    } else if (m.type === "stats" && m.daemon === daemon) {
      const batch = readBatch(m);
      const procs = batch.processes.get(name);
      const agg = batch.aggregates.get(name);
      if (!procs && !agg) return;
      live = procs ?? new Map();
      charts.push(Date.now() / 1000, agg, live);
      list.setItems(processes);
    }
  });
  const unsub = ctx.socket.subscribe(daemon, ["stats", "events", `logs:${name}`]);
  void attempt(ctx, async () => {
    const events = await api.events(daemon, 200);
    for (const e of events) if (e.topic.startsWith(prefix)) timeline.add(e.topic, e.data, e.time);
  });
  void load();
  return {
    el,
    dispose: () => {
      stop();
      unsub();
      clearTimeout(timer);
      charts.destroy();
    },
  };
}
