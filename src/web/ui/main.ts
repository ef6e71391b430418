/**
 * The circushttpd page: hash routes over the API and WebSocket of src/web/API.md.
 *
 * Routes: `#/` daemons; `#/d/ID` a daemon's watchers; `#/d/ID/w/NAME` a watcher;
 * `#/d/ID/add` the add-watcher form (admin); `#/d/ID/options` the arbiter's options.
 *
 * data-testid attributes (for the browser tests; NAME a watcher, PID a process, ID a daemon,
 * FIELD an add-watcher field):
 * - login: `login-form`, `login-user`, `login-password`, `login-submit`, `login-error`
 *   (wrong password, or the 429 "Too many failed logins: try again in N s.").
 * - header: `user` (the user's name), `role` (`admin` / `readonly`), `logout`, `ws-state`
 *   (`data-state` `up` / `down`: the WebSocket), `nav-daemons`.
 * - banners: `error-banner` (any API error, its text the server's `error`), `error-dismiss`,
 *   `daemon-banner-ID` (`data-state` `down` while down; `up` for 5 s after it is back);
 *   while a daemon is down its watchers / watcher view has the class `stale`.
 * - daemons (`#/`): `daemons` (table), `daemon-ID` (row, `data-state`), `daemon-link-ID`,
 *   `daemon-state-ID`, `circus-stats-ID` (the Circus processes' cell), `circus-proc-NAME`
 *   (circusd, circusd-stats...: "pid P · CPU x% · mem y%"); admin: `add-daemon-form`,
 *   `add-daemon-endpoint`, `add-daemon-stats`, `add-daemon-server-key`, `add-daemon-submit`,
 *   `add-daemon-error`.
 * - watchers (`#/d/ID`): `watchers` (table), `watcher-NAME` (row, `data-status`),
 *   `watcher-link-NAME`, `watcher-status-NAME` (a button for an admin: click = stop when
 *   active, start otherwise; a plain span for readonly), `watcher-count-NAME`,
 *   `watcher-cpu-NAME`, `watcher-mem-NAME`, `watcher-search`, `socket-hits`, `sockets`,
 *   `options-link`; admin: `arbiter-reload`, `arbiter-restart` (each needs a SECOND click
 *   within 4 s: the first one only arms it), `add-watcher-link`.
 * - watcher (`#/d/ID/w/NAME`): `watcher-status`, `process-count`, `process-list` (the
 *   virtualized list: only the rows in view exist), `process-PID` (row, `data-pid`; cells in
 *   order pid, wid, age, cpu, mem), `chart-cpu`, `chart-mem` (uPlot: `.u-legend` lists the
 *   lines), `log-tail`, `log-line`, `event-timeline`, `event` (`data-action` spawn, reap,
 *   ...); admin: `incr`, `decr`, `watcher-restart`, `watcher-reload`, `kill-PID`.
 * - add watcher (`#/d/ID/add`): `add-watcher-form`, `field-FIELD` and `error-FIELD` for FIELD
 *   in name, cmd, args, numprocesses, working_dir, autostart (a checkbox);
 *   `add-watcher-submit`, `form-error` (the server's `error`, and `fields` the form lacks).
 * - options (`#/d/ID/options`): `options`, `option-KEY`.
 * A read-only user gets no control buttons at all (none of the "admin:" ids above).
 */
import { api, ApiError, setCsrf, type Session } from "./api.ts";
import { Banners, type Context, type View } from "./context.ts";
import { h, replace } from "./dom.ts";
import { addWatcherView } from "./views/add-watcher.ts";
import { daemonsView } from "./views/daemons.ts";
import { loginView } from "./views/login.ts";
import { optionsView } from "./views/options.ts";
import { watcherView } from "./views/watcher.ts";
import { watchersView } from "./views/watchers.ts";
import { Socket } from "./ws.ts";

const root = document.getElementById("app") ?? document.body;

/** The view of a route; unknown routes go to the daemons. */
function route(ctx: Context, hash: string): View {
  const parts = hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  if (parts[0] === "d" && parts[1] !== undefined) {
    const d = parts[1];
    if (parts[2] === "w" && parts[3]) return watcherView(ctx, d, parts[3]);
    if (parts[2] === "add" && ctx.admin) return addWatcherView(ctx, d);
    if (parts[2] === "options") return optionsView(ctx, d);
    return watchersView(ctx, d);
  }
  return daemonsView(ctx);
}

function start(session: Session): void {
  setCsrf(session.csrf);
  const socket = new Socket();
  const banners = new Banners();
  const ctx: Context = { session, socket, banners, admin: session.role === "admin" };
  const wsState = h(
    "span",
    { class: "ws", "data-testid": "ws-state", "data-state": "down", title: "live updates" },
    "●",
  );
  socket.onState = (up) => {
    wsState.dataset.state = up ? "up" : "down";
    wsState.title = up ? "live updates on" : "live updates off: reconnecting";
  };
  socket.listen((m) => {
    if (m.type === "daemon") banners.daemon(m.id, m.state, m.error);
  });
  const logout = h("button", { class: "link", "data-testid": "logout" }, "Log out");
  logout.addEventListener("click", () => {
    void api.logout().finally(() => {
      socket.close();
      location.hash = "#/";
      location.reload();
    });
  });
  const main = h("main", {});
  replace(
    root,
    h(
      "header",
      {},
      h("a", { class: "brand", href: "#/", "data-testid": "nav-daemons" }, "Circus"),
      h("span", { class: "grow" }),
      wsState,
      h("span", { "data-testid": "user" }, session.user),
      h("span", { class: `role role-${session.role}`, "data-testid": "role" }, session.role),
      // Anonymous (no users file) has no session to end.
      session.user === "anonymous" ? null : logout,
    ),
    banners.el,
    main,
  );
  let view: View | null = null;
  const show = (): void => {
    view?.dispose?.();
    view = route(ctx, location.hash);
    replace(main, view.el);
  };
  window.addEventListener("hashchange", show);
  socket.open();
  show();
}

api.session().then(start, (e: unknown) => {
  if (e instanceof ApiError && e.status === 401) replace(root, loginView(start));
  else
    replace(
      root,
      h(
        "p",
        { class: "banner banner-error", "data-testid": "error-banner" },
        e instanceof Error ? e.message : String(e),
      ),
    );
});
