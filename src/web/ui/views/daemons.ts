/**
 * `#/`: the daemons, up or down, with the live CPU and memory of the Circus processes
 * themselves (the `stat.circus` frames: circusd, circusd-stats, circushttpd), the daemons that
 * answer discovery on the network, and for an admin a form to add an endpoint (or one click
 * on a discovered one).
 */
import { api, type Daemon, type Discovered } from "../api.ts";
import { attempt, type Context, type View } from "../context.ts";
import { fmt, h, replace } from "../dom.ts";
import { readBatch } from "../stats.ts";

/** Builds the view. */
export function daemonsView(ctx: Context): View {
  const list = h("tbody", {});
  const el = h(
    "div",
    { class: "view" },
    h("h2", {}, "Daemons"),
    h(
      "table",
      { class: "grid", "data-testid": "daemons" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", {}, "Daemon"),
          h("th", {}, "Endpoint"),
          h("th", {}, "State"),
          h("th", {}, "Circus processes"),
        ),
      ),
      list,
    ),
  );
  const circusCells = new Map<string, HTMLElement>();
  const unsubs: (() => void)[] = [];

  const render = (daemons: Daemon[]): void => {
    for (const u of unsubs.splice(0)) u();
    circusCells.clear();
    replace(
      list,
      ...daemons.map((d) => {
        const cell = h(
          "td",
          { "data-testid": `circus-stats-${d.id}` },
          d.statsEndpoint ? "waiting for stats…" : "no stats endpoint",
        );
        circusCells.set(d.id, cell);
        // Down ones too: the server starts following their stats once they are up (a
        // daemon just added is down until its first answer).
        unsubs.push(ctx.socket.subscribe(d.id, ["stats"]));
        return h(
          "tr",
          { "data-testid": `daemon-${d.id}`, "data-state": d.state },
          h(
            "td",
            {},
            h(
              "a",
              { href: `#/d/${encodeURIComponent(d.id)}`, "data-testid": `daemon-link-${d.id}` },
              d.id,
            ),
          ),
          h("td", {}, d.endpoint),
          h(
            "td",
            {},
            h("span", { class: `pill ${d.state}`, "data-testid": `daemon-state-${d.id}` }, d.state),
            d.error ? h("span", { class: "muted" }, ` ${d.error}`) : null,
          ),
          cell,
        );
      }),
    );
  };
  // Loads may overlap (the form, a daemon going up): only the newest one renders, else an
  // older answer would show a daemon down again, and drop its stats.
  let latest = 0;
  const load = (): Promise<boolean> => {
    const mine = ++latest;
    return attempt(ctx, async () => {
      const daemons = await api.daemons();
      if (mine === latest) render(daemons);
    });
  };

  const stop = ctx.socket.listen((m) => {
    if (m.type === "daemon") void load();
    if (m.type !== "stats") return;
    const cell = circusCells.get(m.daemon);
    const circus = readBatch(m).processes.get("circus");
    if (!cell || !circus) return;
    replace(
      cell,
      h(
        "ul",
        { class: "circus-procs" },
        ...[...circus].map(([pid, f]) =>
          h(
            "li",
            { "data-testid": `circus-proc-${f.name ?? pid}` },
            h("b", {}, f.name ?? String(pid)),
            ` pid ${pid} · CPU ${fmt(f.cpu)}% · mem ${fmt(f.mem)}%`,
          ),
        ),
      ),
    );
  });

  el.append(discoverPanel(ctx, load));
  if (ctx.admin) el.append(addForm(load));
  void load();
  return {
    el,
    dispose: () => {
      stop();
      for (const u of unsubs) u();
    },
  };
}

function addForm(reload: () => Promise<boolean>): HTMLElement {
  const endpoint = h("input", {
    name: "endpoint",
    placeholder: "tcp://127.0.0.1:5555",
    required: true,
    "data-testid": "add-daemon-endpoint",
  });
  const stats = h("input", {
    name: "statsEndpoint",
    placeholder: "tcp://127.0.0.1:5557 (optional)",
    "data-testid": "add-daemon-stats",
  });
  const serverKey = h("input", {
    name: "serverKey",
    placeholder: "its CURVE public key (optional)",
    "data-testid": "add-daemon-server-key",
  });
  const error = h("span", { class: "error", "data-testid": "add-daemon-error" });
  const form = h(
    "form",
    { class: "inline-form", "data-testid": "add-daemon-form" },
    h("h3", {}, "Connect to another circusd"),
    h("label", {}, "Endpoint", endpoint),
    h("label", {}, "Stats endpoint", stats),
    h("label", {}, "Server key", serverKey),
    h("button", { type: "submit", "data-testid": "add-daemon-submit" }, "Connect"),
    error,
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    error.textContent = "";
    if (!/^(tcp:\/\/.+:\d+|ipc:\/\/.+)$/.test(endpoint.value.trim())) {
      error.textContent = "expected tcp://HOST:PORT or ipc://PATH";
      return;
    }
    const optional = (input: HTMLInputElement) => input.value.trim() || undefined;
    api.addDaemon(endpoint.value.trim(), optional(stats), optional(serverKey)).then(
      () => {
        form.reset();
        void reload();
      },
      (e: unknown) => (error.textContent = e instanceof Error ? e.message : String(e)),
    );
  });
  return form;
}

/**
 * The Discover button: asks `GET /api/discover` and lists who answered, each with an "Add"
 * button (admins) or the daemon it already is here.
 */
function discoverPanel(ctx: Context, reload: () => Promise<boolean>): HTMLElement {
  const rows = h("tbody", {});
  const status = h("span", { class: "muted", "data-testid": "discover-status" });
  const button = h("button", { type: "button", "data-testid": "discover-button" }, "Discover");
  const table = h(
    "table",
    { class: "grid", "data-testid": "discover-list", hidden: true },
    h("thead", {}, h("tr", {}, h("th", {}, "Endpoint"), h("th", {}, "From"), h("th", {}, ""))),
    rows,
  );
  const row = (d: Discovered, i: number): HTMLElement => {
    const action = h("td", {});
    const known = (id: string) =>
      replace(
        action,
        h(
          "a",
          { href: `#/d/${encodeURIComponent(id)}`, "data-testid": `discovered-known-${i}` },
          `daemon ${id}`,
        ),
      );
    if (d.daemon !== null) known(d.daemon);
    else if (ctx.admin) {
      const add = h("button", { type: "button", "data-testid": `discovered-add-${i}` }, "Add");
      add.addEventListener("click", () => {
        add.disabled = true;
        api.addDaemon(d.reachable).then(
          (daemon) => {
            known(daemon.id);
            void reload();
          },
          (e: unknown) => {
            add.disabled = false;
            status.textContent = e instanceof Error ? e.message : String(e);
          },
        );
      });
      action.append(add);
    }
    return h(
      "tr",
      { "data-testid": `discovered-${i}`, "data-endpoint": d.reachable },
      h("td", {}, d.reachable),
      h("td", {}, d.from),
      action,
    );
  };
  button.addEventListener("click", () => {
    button.disabled = true;
    status.textContent = "asking the network…";
    void attempt(ctx, async () => {
      try {
        const found = await api.discover();
        replace(rows, ...found.map(row));
        table.hidden = found.length === 0;
        status.textContent = found.length === 0 ? "no daemon answered" : "";
      } finally {
        button.disabled = false;
      }
    }).then((ok) => {
      if (!ok) status.textContent = "";
    });
  });
  return h(
    "section",
    { class: "inline-form", "data-testid": "discover" },
    h("h3", {}, "Daemons on the network"),
    h("p", { class: "muted" }, "circusd daemons that answer on the multicast group."),
    button,
    status,
    table,
  );
}
