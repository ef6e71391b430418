/**
 * Circus's `circus.plugins.http_observer.HttpObserver`: every `loop_rate` seconds, a GET of
 * `check_url`; an answer outside 2xx, no answer within `timeout` seconds or no connection at
 * all restarts the watcher named by `restart_on_error`. Timings and errors go to statsd
 * (StatsdEmitter's options; buckets under `circus.http_observer.watcher` by default).
 *
 * ```ini
 * [plugin:http]
 * use = circus.plugins.http_observer.HttpObserver
 * check_url = http://127.0.0.1:8080/health
 * loop_rate = 10
 * timeout = 2
 * restart_on_error = web
 * ```
 */
import { logger } from "../../log/logger.js";
import { PluginOptionError, readOptions } from "../options.js";
import { BaseObserver } from "./statsd.js";

/** The code counted (`http_stats.error.599`) when there is no answer: tornado's, as the reference. */
const NO_RESPONSE_CODE = 599;

/** What one check found. */
type HttpCheck =
  | { ok: true; status: number; milliseconds: number }
  | { ok: false; status: number; reason: string };

/**
 * GETs `url`, body included, within `timeout` seconds (redirects followed, as tornado's
 * client does). Never throws: a failure is described, with {@link NO_RESPONSE_CODE} when
 * there was no answer.
 */
async function checkUrl(url: string, timeout: number): Promise<HttpCheck> {
  const started = performance.now();
  try {
    const response = await fetch(url, {
      signal: AbortSignal.timeout(timeout * 1000),
      // A connection of its own for each check, as tornado's client of the reference: a
      // kept-alive one that the server dropped in between must not count as the server down.
      headers: { "user-agent": "circus http_observer", connection: "close" },
    });
    // Read to the end: the timeout covers the whole answer, and the connection is freed.
    await response.arrayBuffer();
    const milliseconds = Math.trunc(performance.now() - started);
    if (response.status >= 200 && response.status < 300)
      return { ok: true, status: response.status, milliseconds };
    const reason = `HTTP ${response.status} ${response.statusText}`.trim();
    return { ok: false, status: response.status, reason };
  } catch (error) {
    const e = error as Error & { cause?: { code?: string; message?: string } };
    const timedOut = e.name === "TimeoutError" || e.name === "AbortError";
    const reason = timedOut
      ? `no answer within ${timeout} s`
      : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { ok: false, status: NO_RESPONSE_CODE, reason };
  }
}

/** The options with `check_url` checked: an http or https URL. */
function checkedUrl<T extends { check_url: string }>(opts: T): T {
  let url: URL;
  try {
    url = new URL(opts.check_url);
  } catch {
    throw new PluginOptionError("check_url", `expected a URL, got "${opts.check_url}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new PluginOptionError("check_url", `expected an http or https URL, got ${url.href}`);
  return opts;
}

/** The documented options of its own, and their defaults. */
const OPTIONS = {
  check_url: { type: "string", default: "http://localhost/" },
  timeout: { type: "number", default: "10", above: 0 },
  restart_on_error: { type: "string" },
} as const;

/** Pings a web page regularly and restarts its watcher when it fails. */
export class HttpObserver extends BaseObserver {
  /** StatsdEmitter's and BaseObserver's options, and the documented ones. */
  static override readonly options = { ...BaseObserver.options, ...OPTIONS } as const;

  static override readonly defaultAppName = "http_observer";

  override name = "http_observer";
  /** Its own options, read (BaseObserver reads the others). */
  readonly opts = checkedUrl(readOptions(OPTIONS, this.config));

  /** One check: a timing when it answers, else error counters and maybe a restart. */
  async lookAfter(): Promise<void> {
    if (this.inGrace()) return;
    const result = await checkUrl(this.opts.check_url, this.opts.timeout);
    if (result.ok) {
      this.statsd.timed("http_stats.request_time", result.milliseconds);
      return;
    }
    this.statsd.increment("http_stats.error");
    this.statsd.increment(`http_stats.error.${result.status}`);
    const target = this.opts.restart_on_error;
    logger.warning(
      `${this.name}: ${this.opts.check_url}: ${result.reason}` +
        (target ? `; restarting ${target}` : ""),
    );
    if (!target) return;
    this.statsd.increment("http_stats.restart_on_error");
    await this.restartWatcher(target);
  }
}
