import { CIRCUS_DEFAULTS } from "./defaults.js";
import { applyFields, fieldsOf, warnIfMisspelled, type SectionView } from "./section.js";
import type { CircusOptions } from "./types.js";
import { parseBool, parseNumber, parseOptionalString, parsePort, parseUmask } from "./values.js";

const c = fieldsOf<CircusOptions>();
const seconds = (text: string): number => parseNumber(text, { min: 0 });

/** Every `[circus]` option and how its text becomes a `CircusOptions` field. */
const CIRCUS_FIELDS = {
  endpoint: c("endpoint", (text) => text),
  endpoint_owner: c("endpointOwner", parseOptionalString),
  pubsub_endpoint: c("pubsubEndpoint", (text) => text),
  papa_endpoint: c("papaEndpoint", (text) => text),
  statsd: c("statsd", parseBool),
  stats_endpoint: c("statsEndpoint", (text) => text),
  statsd_close_outputs: c("statsdCloseOutputs", parseBool),
  check_delay: c("checkDelay", seconds),
  stream_backend: c("streamBackend", (text) => text),
  warmup_delay: c("warmupDelay", seconds),
  httpd: c("httpd", parseBool),
  httpd_host: c("httpdHost", (text) => text),
  httpd_port: c("httpdPort", parsePort),
  httpd_close_outputs: c("httpdCloseOutputs", parseBool),
  debug: c("debug", parseBool),
  debug_gc: c("debugGc", parseBool),
  pidfile: c("pidfile", parseOptionalString),
  // An empty umask means "leave circusd's umask alone", like no umask at all.
  umask: c("umask", (text) => (text.trim() === "" ? null : parseUmask(text))),
  loglevel: c("loglevel", (text) => text),
  logoutput: c("logoutput", (text) => text),
  loggerconfig: c("loggerconfig", parseOptionalString),
};

/** Read by the loader itself before anything else. */
const INCLUDE_OPTIONS = ["include", "include_dir"];

/**
 * Read the `[circus]` section (or the defaults when there is none). Unknown keys are kept raw in
 * `options`, with a warning when they look like a typo of a known one.
 *
 * @throws ConfigError for any bad value.
 */
export function circusFromSection(view: SectionView | undefined): CircusOptions {
  const input: Partial<CircusOptions> = {};
  const options: Record<string, string> = {};
  if (view !== undefined) {
    const known = [...Object.keys(CIRCUS_FIELDS), ...INCLUDE_OPTIONS];
    for (const [option, value] of applyFields(view, CIRCUS_FIELDS, input)) {
      if (INCLUDE_OPTIONS.includes(option)) continue;
      options[option] = value;
      warnIfMisspelled(view, option, known, "kept");
    }
  }
  return { ...CIRCUS_DEFAULTS, ...input, options };
}
